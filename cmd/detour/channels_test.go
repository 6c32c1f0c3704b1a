package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestChannelsThroughTheCLI: an operator lists the channels, forces a
// route down and hands it back to the detector.
func TestChannelsThroughTheCLI(t *testing.T) {
	cliServer(t, "ops")
	out, err := run(t, "channels", "force", "sandbox/default", "down", "--note", "carrier maintenance")
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
