package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/detourhq/detour/config"
	"github.com/detourhq/detour/server"
)

// TestChannelsThroughTheCLI: an operator lists the channels, forces a
// route down and hands it back to the detector.
func TestChannelsThroughTheCLI(t *testing.T) {
	data := t.TempDir()
	cfg, err := config.Load("", nil, map[string]any{"server.addr": "127.0.0.1:0", "server.data": data})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(context.Background(), cfg, server.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer srv.Stop(context.Background())
	out, err := run(t, "keys", "create", "--tenant", "ops", "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("DETOUR_URL", "http://"+srv.Addr())
	t.Setenv("DETOUR_API_KEY", strings.TrimSpace(out))

	out, err = run(t, "channels", "force", "sandbox/default", "down", "--note", "carrier maintenance")
	if err != nil {
		t.Fatalf("force: %v", err)
	}
	var r struct {
		State  string `json:"state"`
		Forced bool   `json:"forced"`
		Note   string `json:"note"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil || r.State != "down" || !r.Forced || r.Note != "carrier maintenance" {
		t.Fatalf("force: %s %v", out, err)
	}
	out, err = run(t, "channels")
	if err != nil || !strings.Contains(out, `"state": "down"`) || !strings.Contains(out, `"channel": "sandbox"`) {
		t.Fatalf("channels: %s %v", out, err)
	}
	if out, err = run(t, "channels", "force", "sandbox/default", "auto"); err != nil || !strings.Contains(out, `"forced": false`) {
		t.Fatalf("auto: %s %v", out, err)
	}
	if _, err = run(t, "channels", "force", "sandbox", "down"); err == nil {
		t.Fatal("a route without its channel was accepted")
	}
	if _, err = run(t, "channels", "force", "sandbox/nope", "down"); err == nil || !strings.Contains(err.Error(), "not_found") {
		t.Fatalf("an unknown route: %v", err)
	}
}
