package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds cmd/detour once per test run and returns its path.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "detour-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "detour")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startServer runs `detour serve` and waits until it is ready.
func startServer(t *testing.T, data, addr string, env ...string) *exec.Cmd {
	t.Helper()
	return startServerArgs(t, data, addr, nil, env...)
}

// startServerArgs is startServer with more arguments to serve.
func startServerArgs(t *testing.T, data, addr string, args []string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(binary(t), append([]string{"serve", "--addr", addr, "--data", data}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	logf, err := os.OpenFile(filepath.Join(data, "..", "server.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logf.Close() })
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return cmd
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server on %s not ready after 30s: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type wireMessage struct {
	ID        string `json:"id"`
	Status    string `json:"status"`
	To        string `json:"to"`
	ClientRef string `json:"client_ref"`
	Content   struct {
		Text string `json:"text"`
	} `json:"content"`
}

func isFinal(s string) bool {
	switch s {
	case "delivered", "read", "failed", "expired", "canceled":
		return true
	}
	return false
}

// TestCrashLosesNothingAccepted is the durability contract end to end: the
// real binary takes 2,000 messages from 32 concurrent clients and is killed
// with SIGKILL mid-stream; after a restart on the same data every message
// that got 202 exists and reaches a final state, nothing unacknowledged is
// half-written, and retrying the unacknowledged requests creates no
// duplicates.
func TestCrashLosesNothingAccepted(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the real binary; skipped with -short")
	}
	root := t.TempDir()
	data := filepath.Join(root, "data")
	key := createKey(t, data, "crash")
	env := crashEnv
	addr := freeAddr(t)
	serveArgs := []string{"--allow-private-webhooks"}
	srv := startServerArgs(t, data, addr, serveArgs, env...)
	hooks := newHookLog(t)
	hooks.register(t, addr, key)

	const total, clients, killAfter = 2000, 32, 900
	hc := &http.Client{Timeout: 10 * time.Second}
	body := func(i int) []byte {
		return []byte(fmt.Sprintf(`{"to":"+4474%08d","content":{"text":"crash test %d"},"client_ref":"crash-%d","validity":"10s"}`, 100000+i, i, i))
	}
	post := func(i int) (*http.Response, error) {
		return postMessage(hc, addr, key, fmt.Sprintf("crash-%d", i), body(i))
	}
	results, nAcked := postUntilKilled(t, srv, post, total, clients, killAfter)

	srv = startServerArgs(t, data, addr, serveArgs, env...)
	list := func() map[string]wireMessage { return listMessages(t, hc, addr, key) }

	// Every acknowledged message exists, and every stored message is whole
	// and came from a request that was made.
	stored := list()
	for i, r := range results {
		ref := fmt.Sprintf("crash-%d", i)
		m, ok := stored[ref]
		if r.acked && (!ok || m.ID != r.id) {
			t.Fatalf("message %s (%s) got 202 and is lost after the crash", ref, r.id)
		}
		if ok && (!r.tried || m.Content.Text != fmt.Sprintf("crash test %d", i) || m.To != fmt.Sprintf("+4474%08d", 100000+i)) {
			t.Fatalf("stored message %s is not what was sent: %+v", ref, m)
		}
	}
	t.Logf("%d stored after restart (%d acknowledged, %d in flight at the kill)", len(stored), nAcked, len(stored)-nAcked)

	// Retrying what was not acknowledged, with the same Idempotency-Key,
	// replays what was committed and creates the rest: never a duplicate.
	for i, r := range results {
		if r.acked {
			continue
		}
		resp, err := post(i)
		if err != nil {
			t.Fatal(err)
		}
		replayed := resp.Header.Get("Idempotent-Replayed") == "true"
		resp.Body.Close()
		_, existed := stored[fmt.Sprintf("crash-%d", i)]
		if resp.StatusCode != http.StatusAccepted || replayed != existed {
			t.Fatalf("retry of crash-%d: status %d, replayed %v, existed before %v", i, resp.StatusCode, replayed, existed)
		}
	}

	// Everything reaches a final state.
	stored = waitAllFinal(t, list, total, 90*time.Second)
	counts := map[string]int{}
	for _, m := range stored {
		counts[m.Status]++
	}
	t.Logf("final statuses: %v", counts)

	// Every message's final status reached the webhook receiver, each
	// message's events in order, whatever the kill interrupted (at least
	// once: a delivery made but not recorded is made again).
	final := map[string]string{}
	for _, m := range stored {
		final[m.ID] = m.Status
	}
	hooks.waitFor(t, final, 60*time.Second)

	// SIGTERM drains and exits cleanly; then the offline consistency check.
	srv.Process.Signal(syscall.SIGTERM)
	if err := srv.Wait(); err != nil {
		t.Fatalf("serve after SIGTERM: %v", err)
	}
	if out, err := exec.Command(binary(t), "check", "--data", data).CombinedOutput(); err != nil {
		t.Fatalf("detour check after the crash: %v\n%s", err, out)
	}
}

// hookLog is a webhook receiver that keeps every message.status event by
// message, in arrival order.
type hookLog struct {
	srv *httptest.Server
	mu  sync.Mutex
	got map[string][]hookEvent // by message id
	n   int
}

type hookEvent struct{ id, status string }

func newHookLog(t *testing.T) *hookLog {
	h := &hookLog{got: map[string][]hookEvent{}}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b struct {
			ID, Type  string
			MessageID string `json:"message_id"`
			Data      struct{ Status string }
		}
		if err := json.NewDecoder(r.Body).Decode(&b); err != nil || r.Header.Get("webhook-id") != b.ID {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.got[b.MessageID] = append(h.got[b.MessageID], hookEvent{b.ID, b.Data.Status})
		h.n++
		h.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// register makes the receiver an endpoint of key's tenant.
func (h *hookLog) register(t *testing.T, addr, key string) {
	req, _ := http.NewRequest("POST", "http://"+addr+"/v1/webhook-endpoints",
		strings.NewReader(`{"url":"`+h.srv.URL+`","event_types":["message.status"]}`))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("register the webhook endpoint: %d", resp.StatusCode)
	}
}

// waitFor waits until every message's final status has arrived, then
// checks that each message's events arrived in order (repeats allowed).
func (h *hookLog) waitFor(t *testing.T, final map[string]string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		h.mu.Lock()
		missing := 0
		for id, st := range final {
			evs := h.got[id]
			if len(evs) == 0 || evs[len(evs)-1].status != st {
				missing++
			}
		}
		n := h.n
		h.mu.Unlock()
		if missing == 0 {
			t.Logf("webhooks: %d deliveries, every final status arrived", n)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d messages' final status never reached the webhook receiver", missing)
		}
		time.Sleep(250 * time.Millisecond)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for id, evs := range h.got {
		last := ""
		for _, ev := range evs {
			if ev.id < last {
				t.Fatalf("message %s: event %s arrived after %s", id, ev.id, last)
			}
			last = ev.id
		}
	}
}

// crashEnv makes leases and send timeouts short, so that work the killed
// process held is taken up again soon after the restart.
var crashEnv = []string{"DETOUR_DISPATCH__LEASE=3s", "DETOUR_DISPATCH__SEND_TIMEOUT=2s", "DETOUR_LOG__LEVEL=warn",
	"DETOUR_SERVER__RATE_LIMIT=1000000", "DETOUR_SERVER__RATE_BURST=1000000"}

// createKey makes an API key for tenant in data with `detour keys create`.
func createKey(t *testing.T, data, tenant string) string {
	t.Helper()
	out, err := exec.Command(binary(t), "keys", "create", "--tenant", tenant, "--data", data).Output()
	if err != nil {
		t.Fatalf("keys create: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// crashResult is what a client of postUntilKilled learned of one request.
type crashResult struct {
	id    string
	acked bool // 202 with the message
	tried bool // the request was made
}

// postMessage posts body with an Idempotency-Key.
func postMessage(hc *http.Client, addr, key, idem string, body []byte) (*http.Response, error) {
	req, _ := http.NewRequest("POST", "http://"+addr+"/v1/messages", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", idem)
	return hc.Do(req)
}

// postUntilKilled makes total requests through post from clients at once
// and kills srv with SIGKILL once killAfter got 202; it returns what each
// request learned and how many were acknowledged, once srv is gone.
func postUntilKilled(t *testing.T, srv *exec.Cmd, post func(i int) (*http.Response, error), total, clients, killAfter int) ([]crashResult, int) {
	t.Helper()
	results := make([]crashResult, total)
	var acked, next atomic.Int64
	var killOnce sync.Once
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= total {
					return
				}
				results[i].tried = true
				resp, err := post(i)
				if err != nil {
					continue // the server is gone: unacknowledged
				}
				var m wireMessage
				dec := json.NewDecoder(resp.Body).Decode(&m)
				resp.Body.Close()
				if resp.StatusCode == http.StatusAccepted && dec == nil {
					results[i].id, results[i].acked = m.ID, true
					if acked.Add(1) == int64(killAfter) {
						killOnce.Do(func() { srv.Process.Signal(syscall.SIGKILL) })
					}
				}
			}
		})
	}
	wg.Wait()
	srv.Wait()
	n := int(acked.Load())
	if n < killAfter || n == total {
		t.Fatalf("the kill should land mid-stream: %d of %d acknowledged", n, total)
	}
	t.Logf("killed after %d of %d acknowledged", n, total)
	return results, n
}

// listMessages returns every message of key's tenant by client_ref,
// failing on two with the same one.
func listMessages(t *testing.T, hc *http.Client, addr, key string) map[string]wireMessage {
	t.Helper()
	all := map[string]wireMessage{}
	cursor := ""
	for {
		u := "http://" + addr + "/v1/messages?limit=500"
		if cursor != "" {
			u += "&cursor=" + cursor
		}
		req, _ := http.NewRequest("GET", u, nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			Data       []wireMessage `json:"data"`
			NextCursor *string       `json:"next_cursor"`
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err := json.Unmarshal(b, &page); err != nil {
			t.Fatalf("list: %v: %s", err, b)
		}
		for _, m := range page.Data {
			if _, dup := all[m.ClientRef]; dup {
				t.Fatalf("two messages carry client_ref %s", m.ClientRef)
			}
			all[m.ClientRef] = m
		}
		if page.NextCursor == nil {
			return all
		}
		cursor = *page.NextCursor
	}
}

// waitAllFinal polls list until want messages are stored and every one is
// final, failing after within.
func waitAllFinal(t *testing.T, list func() map[string]wireMessage, want int, within time.Duration) map[string]wireMessage {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		stored := list()
		pending := 0
		for _, m := range stored {
			if !isFinal(m.Status) {
				pending++
			}
		}
		if len(stored) != want {
			t.Fatalf("%d messages stored, want %d", len(stored), want)
		}
		if pending == 0 {
			return stored
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d messages still not final %v after the restart", pending, within)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
