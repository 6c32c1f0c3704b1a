package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestDemo runs the README's demo, shortened: nothing is lost, both
// channels carry messages, the detector sees the silent outage, and the
// output shows the table, a phone's handset and the trail of a fallback.
// It takes half a minute of real time: skipped with -short (the race
// run); the drill's own test covers the same paths.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole demo; skipped with -short")
	}
	o := demoOptions{rate: 10, before: 4 * time.Second, silent: 10 * time.Second, down: 4 * time.Second,
		after: 6 * time.Second, fallbackAfter: 3 * time.Second}
	var out bytes.Buffer
	rep, err := runDemo(context.Background(), &out, o)
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	if rep.Lost != 0 || rep.Delivered != rep.Sent || rep.ByChannel["whatsapp"] == 0 || rep.ByChannel["sms"] == 0 {
		t.Fatalf("report %+v\n%s", rep, out.String())
	}
	if rep.SilentDetectS == nil {
		t.Fatalf("the silent outage was not detected\n%s", out.String())
	}
	text := out.String()
	for _, s := range []string{"p99 to phone", "silent outage detected after", "GET /v1/sim/handsets/+44",
		"from Detour", "step 1 sms/smsc-", "→ down"} {
		if !strings.Contains(text, s) {
			t.Errorf("the output lacks %q:\n%s", s, text)
		}
	}
}
