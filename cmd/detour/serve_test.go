package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestServeSimulate runs the real binary with --simulate: the simulators
// are its channels, /v1/sim switches them and shows the handsets, and a
// message falls back to SMS once WhatsApp is down.
func TestServeSimulate(t *testing.T) {
	root := t.TempDir()
	data := filepath.Join(root, "data")
	out, err := exec.Command(binary(t), "keys", "create", "--tenant", "sim", "--data", data).Output()
	if err != nil {
		t.Fatalf("keys create: %v", err)
	}
	key := strings.TrimSpace(string(out))
	addr := freeAddr(t)
	srv := startServerArgs(t, data, addr, []string{"--simulate"}, "DETOUR_DISPATCH__BACKOFF_BASE=50ms", "DETOUR_LOG__LEVEL=warn")
	call := func(method, path, body string, out any) int {
		t.Helper()
		req, _ := http.NewRequest(method, "http://"+addr+path, bytes.NewBufferString(body))
		req.Header.Set("Authorization", "Bearer "+key)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: %d: %v", method, path, resp.StatusCode, err)
		}
		return resp.StatusCode
	}
	var sims struct {
		Data []struct{ Name, Mode, Addr string } `json:"data"`
	}
	if code := call("GET", "/v1/sim", "", &sims); code != 200 || len(sims.Data) != 3 || sims.Data[1].Name != "smsc-1" || sims.Data[1].Mode != "healthy" {
		t.Fatalf("GET /v1/sim: %d %+v", code, sims)
	}
	const phone = "+447400123456"
	send := func(code string) (channel string) {
		t.Helper()
		var m struct {
			ID, Status, Channel string
		}
		body := `{"to":"` + phone + `","content":{"text":"Your code is ` + code + `","template":{"name":"otp_code","language":"en","params":["` + code + `"]}}}`
		if st := call("POST", "/v1/messages", body, &m); st != 202 {
			t.Fatalf("send: %d %+v", st, m)
		}
		deadline := time.Now().Add(30 * time.Second)
		for m.Status != "delivered" {
			if isFinal(m.Status) || time.Now().After(deadline) {
				t.Fatalf("message %s: %s", m.ID, m.Status)
			}
			time.Sleep(20 * time.Millisecond)
			call("GET", "/v1/messages/"+m.ID, "", &m)
		}
		return m.Channel
	}
	if ch := send("111111"); ch != "whatsapp" {
		t.Fatalf("healthy: delivered by %s", ch)
	}
	var sim struct{ Mode string }
	if code := call("POST", "/v1/sim/whatsapp", `{"mode":"down"}`, &sim); code != 200 || sim.Mode != "down" {
		t.Fatalf("POST /v1/sim/whatsapp: %d %+v", code, sim)
	}
	if ch := send("222222"); ch != "sms" {
		t.Fatalf("whatsapp down: delivered by %s", ch)
	}
	var h struct {
		Data []struct{ Channel, Text string } `json:"data"`
	}
	deadline := time.Now().Add(10 * time.Second)
	for call("GET", "/v1/sim/handsets/"+phone, "", &h); len(h.Data) < 2 && time.Now().Before(deadline); call("GET", "/v1/sim/handsets/"+phone, "", &h) {
		time.Sleep(20 * time.Millisecond)
	}
	if len(h.Data) != 2 || h.Data[0].Channel != "whatsapp" || h.Data[0].Text != "otp_code: 111111" ||
		h.Data[1].Channel != "sms" || h.Data[1].Text != "Your code is 222222" {
		t.Fatalf("the handset shows %+v", h.Data)
	}
	srv.Process.Signal(syscall.SIGTERM)
	if err := srv.Wait(); err != nil {
		t.Fatalf("serve --simulate after SIGTERM: %v", err)
	}
	logs, _ := os.ReadFile(filepath.Join(root, "server.log"))
	if !strings.Contains(string(logs), "on a simulated world") || !strings.Contains(string(logs), "smsc-2") {
		t.Fatalf("serve --simulate does not say where the simulators are:\n%s", logs)
	}
}
