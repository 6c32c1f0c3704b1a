package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestDemo runs the README's demo on a few messages: every message of
// every phase is delivered, on WhatsApp while it is healthy and by SMS
// while it is down or silent, and the output shows the table, one
// phone's handset and the trail of its fallback. It takes seconds of
// simulated delays: skipped with -short (the race run), where the
// simworld tests cover the same paths.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole demo; skipped with -short")
	}
	var out bytes.Buffer
	results, err := runDemo(context.Background(), &out, demoOptions{messages: 10, concurrency: 4, fallbackAfter: 3 * time.Second})
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	if len(results) != 4 {
		t.Fatalf("%d phases", len(results))
	}
	// WhatsApp delivers within 2.6 s at worst in the simulated world, less
	// than fallback_after: while healthy every message arrives on it.
	want := []string{"whatsapp", "sms", "sms", "whatsapp"}
	for i, r := range results {
		if r.sent != 10 || r.delivered != 10 || r.byChannel[want[i]] != 10 || len(r.toDeliver) != 10 {
			t.Errorf("phase %s: %+v, want all 10 delivered on %s", r.name, r, want[i])
		}
	}
	for _, d := range results[2].toDeliver {
		if d < 3*time.Second {
			t.Errorf("silent phase: a message reached its phone after %s, before fallback_after", d)
		}
	}
	text := out.String()
	for _, s := range []string{"p99 to phone", "whatsapp down", "whatsapp silent", "GET /v1/sim/handsets/+4474001",
		"from Detour", "otp_code: ", "step 1 sms/smsc-", "(provider_error)", "What the simulators saw"} {
		if !strings.Contains(text, s) {
			t.Errorf("the output lacks %q:\n%s", s, text)
		}
	}
	if t.Failed() {
		t.Log(text)
	}
}

func TestDemoFlags(t *testing.T) {
	for _, o := range []demoOptions{{messages: 0, concurrency: 1, fallbackAfter: time.Second},
		{messages: 1, concurrency: 0, fallbackAfter: time.Second}, {messages: 1, concurrency: 1}} {
		if _, err := runDemo(context.Background(), &bytes.Buffer{}, o); err == nil {
			t.Errorf("%+v: accepted", o)
		}
	}
}
