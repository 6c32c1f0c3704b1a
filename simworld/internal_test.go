package simworld

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/detourhq/detour/config"
	"github.com/detourhq/detour/logtest"
	"github.com/detourhq/detour/server"
)

// TestSecretsNeverLogged runs a node on a world with debug logs and checks
// that none of the generated credentials reached them.
func TestSecretsNeverLogged(t *testing.T) {
	cfg, err := config.Load("", nil, map[string]any{"server.addr": "127.0.0.1:0", "server.data": t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	logs := &logtest.Buffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	n, err := StartNode(context.Background(), cfg, server.Options{Logger: log}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	w := n.World
	// A bind or two and a webhook handshake's worth of traffic.
	deadline := time.Now().Add(10 * time.Second)
	for s, _ := w.Simulator(SMSC2); s.Counters["bound"] == 0 && time.Now().Before(deadline); s, _ = w.Simulator(SMSC2) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := n.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	if !strings.Contains(out, "smsc bind") {
		t.Fatalf("the test saw no bind in the logs:\n%s", out)
	}
	for name, s := range map[string]string{"token": w.token.Reveal(), "app secret": w.appSecret.Reveal(),
		"verify token": w.verifyToken.Reveal(), "SMPP password": w.password.Reveal()} {
		if len(s) < 8 || strings.Contains(out, s) {
			t.Errorf("the %s (%d characters) reached the logs", name, len(s))
		}
	}
}

// TestHandsets keeps the last messages of each number, forgets the
// number written to least recently, and shows a message only from its
// time on.
func TestHandsets(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	h := newHandsets(3, 2)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	for i := range 5 {
		h.record("+447400000001", Received{Text: string(rune('a' + i)), At: at(i)})
	}
	texts := func(rs []Received) string {
		var b strings.Builder
		for _, r := range rs {
			b.WriteString(r.Text)
		}
		return b.String()
	}
	if got := texts(h.list("+447400000001", at(10))); got != "cde" {
		t.Fatalf("kept %q, want the last three", got)
	}
	// An SMS known to arrive later shows from then on, in time order.
	h.record("+447400000001", Received{Text: "x", At: at(3).Add(500 * time.Millisecond)})
	if got := texts(h.list("+447400000001", at(3))); got != "d" {
		t.Fatalf("at 3s: %q", got)
	}
	if got := texts(h.list("+447400000001", at(10))); got != "dxe" {
		t.Fatalf("at 10s: %q", got)
	}
	h.record("+447400000002", Received{Text: "y", At: at(0)})
	h.record("+447400000001", Received{Text: "z", At: at(6)}) // 1 is now the most recent
	h.record("+447400000003", Received{Text: "w", At: at(0)}) // forgets 2
	if h.numbers() != 2 || len(h.list("+447400000002", at(10))) != 0 || texts(h.list("+447400000003", at(10))) != "w" ||
		texts(h.list("+447400000001", at(10))) != "xez" {
		t.Fatalf("numbers kept: %d", h.numbers())
	}
	if got := h.list("+447400000009", at(10)); len(got) != 0 {
		t.Fatalf("an unknown number: %+v", got)
	}
}
