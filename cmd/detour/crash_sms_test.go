package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/detourhq/detour/sim/smsc"
)

// TestCrashOverSMPPLosesNothing is the durability contract with SMS as the
// channel: the real binary sends over SMPP to the SMSC simulator, with
// submits outstanding and receipts on their way, and is killed with
// SIGKILL mid-load. After a restart on the same data every message that
// got 202 reaches the handset and ends delivered: receipts the SMSC could
// not hand over are delivered again on the new bind, and sends whose
// answer was lost are made again (at least once).
func TestCrashOverSMPPLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the real binary; skipped with -short")
	}
	sim, err := smsc.New(smsc.Config{Accounts: []smsc.Account{{SystemID: "crash", Password: "pw"}},
		RedeliveryDelay: 200 * time.Millisecond,
		Behavior:        smsc.Behavior{ReceiptDelay: smsc.Uniform(10*time.Millisecond, 300*time.Millisecond), Delivered: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer sim.Stop(context.Background())
	host, port, _ := net.SplitHostPort(sim.Addr())

	root := t.TempDir()
	data := filepath.Join(root, "data")
	conf := filepath.Join(root, "detour.yaml")
	yaml := fmt.Sprintf(`messages:
  default_policy:
    - channel: sms
channels:
  sms:
    routes:
      - name: op1
        host: %s
        port: %s
        system_id: crash
        password: pw
        source_addr: Detour
        source_ton: 5
        window: 50
        reconnect_min: 20ms
`, host, port)
	if err := os.WriteFile(conf, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	key := createKey(t, data, "crash")
	env := crashEnv
	addr := freeAddr(t)
	args := []string{"--config", conf}
	srv := startServerArgs(t, data, addr, args, env...)

	const total, clients, killAfter = 1500, 32, 700
	hc := &http.Client{Timeout: 10 * time.Second}
	text := func(i int) string { return fmt.Sprintf("sms crash test %d", i) }
	post := func(i int) (*http.Response, error) {
		body := fmt.Sprintf(`{"to":"+4474%08d","content":{"text":%q},"client_ref":"sms-%d"}`, 100000+i, text(i), i)
		return postMessage(hc, addr, key, fmt.Sprintf("sms-%d", i), []byte(body))
	}
	results, nAcked := postUntilKilled(t, srv, post, total, clients, killAfter)
	before := sim.Counters()
	t.Logf("at the kill the SMSC had %d submits, %d receipts waiting", before.Submits, before.Scheduled)

	srv = startServerArgs(t, data, addr, args, env...)
	list := func() map[string]wireMessage { return listMessages(t, hc, addr, key) }
	stored := waitAllFinal(t, list, len(list()), 60*time.Second)
	for i, r := range results {
		m, ok := stored[fmt.Sprintf("sms-%d", i)]
		if r.acked && (!ok || m.ID != r.id) {
			t.Fatalf("message sms-%d (%s) got 202 and is lost after the crash", i, r.id)
		}
		if ok && m.Status != "delivered" {
			t.Fatalf("message sms-%d ended %s, want delivered (the SMSC delivers everything)", i, m.Status)
		}
	}
	// The handsets got every stored message, some more than once.
	got := map[string]int{}
	for _, m := range sim.Messages() {
		if m.Delivered {
			got[m.Text]++
		}
	}
	again := 0
	for i := range total {
		if _, ok := stored[fmt.Sprintf("sms-%d", i)]; !ok {
			continue
		}
		switch n := got[text(i)]; {
		case n == 0:
			t.Fatalf("sms-%d is delivered but never reached the handset", i)
		case n > 1:
			again++
		}
	}
	t.Logf("%d stored (%d acknowledged), all delivered; %d reached the handset twice; %d receipts delivered again",
		len(stored), nAcked, again, sim.Counters().Redeliveries)

	srv.Process.Signal(syscall.SIGTERM)
	if err := srv.Wait(); err != nil {
		t.Fatalf("serve after SIGTERM: %v", err)
	}
	if out, err := exec.Command(binary(t), "check", "--data", data).CombinedOutput(); err != nil {
		t.Fatalf("detour check after the crash: %v\n%s", err, out)
	}
}
