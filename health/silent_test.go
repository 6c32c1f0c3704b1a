package health_test

import (
	"testing"
	"time"

	"github.com/detourhq/detour/health"
)

// At 5 messages a second, all delivered a second after being sent for two
// minutes, a silent outage (accepted, never delivered) takes the route down
// within 30 s.
func TestSilentOutageDetectedWithin30s(t *testing.T) {
	for _, phase := range []time.Duration{0, 300 * time.Millisecond, 700 * time.Millisecond} {
		t.Run(phase.String(), func(t *testing.T) {
			w, rec := setup(t, t0, health.Config{})
			w.run(2*time.Minute+phase, 5, always(okIn1s))
			r := w.route()
			if r.State != health.Healthy || !r.Figures.ExpectedLearned || r.Figures.ExpectedReceiptS != 3 {
				t.Fatalf("before the outage: %s, expected %gs learned %v; want healthy, 3s (p95 1s × 2, clamped to 3s) learned",
					r.State, r.Figures.ExpectedReceiptS, r.Figures.ExpectedLearned)
			}
			start := w.clock.Now()
			w.run(60*time.Second, 5, always(okNever))
			tr, ok := rec.first(health.Down, start)
			if !ok {
				t.Fatalf("silent outage not detected in 60 s: %+v", rec.all())
			}
			took := tr.At.Sub(start)
			t.Logf("silent outage %s into a second at 5 msg/s, receipts in 1 s: down (%s) after %s", phase, tr.Reason, took)
			if took > 30*time.Second || tr.Reason != health.ReasonSilent {
				t.Fatalf("down after %s by %s, want ≤ 30s by silent", took, tr.Reason)
			}
		})
	}
}

// Tick alone finds a silent outage once traffic stops altogether.
func TestSilentOutageFoundByTickWithoutObservations(t *testing.T) {
	w, rec := setup(t, t0, health.Config{})
	w.run(2*time.Minute, 5, always(okIn1s))
	start := w.clock.Now()
	w.run(6*time.Second, 5, always(okNever)) // 30 sends that will never arrive
	w.ticks = false
	w.run(10*time.Second, 0, nil) // nothing at all
	if ts := rec.all(); len(ts) != 0 {
		t.Fatalf("a transition without observations or Tick: %+v", ts)
	}
	w.m.Tick()
	tr, ok := rec.first(health.Down, start)
	if !ok || tr.Reason != health.ReasonSilent || !tr.At.Equal(w.clock.Now()) {
		t.Fatalf("want down by silent at the Tick, got %+v", rec.all())
	}
	w.ticks = true
	w.run(30*time.Second, 0, nil)
	rec.mu.Lock()
	rec.ts = nil
	rec.mu.Unlock()

	// and with the ticks every second, the outage is found as early as with traffic
	w, rec = setup(t, t0, health.Config{})
	w.run(2*time.Minute, 5, always(okIn1s))
	start = w.clock.Now()
	w.run(6*time.Second, 5, always(okNever))
	w.run(30*time.Second, 0, nil) // nothing but Tick
	if tr, ok = rec.first(health.Down, start); !ok || tr.Reason != health.ReasonSilent {
		t.Fatalf("want down by silent, got %+v", rec.all())
	}
	t.Logf("30 undelivered sends then only Tick: down after %s", tr.At.Sub(start))
}

// The same at a receipt time near the top of the clamp still detects
// within 30 s.
func TestSilentOutageWithSlowReceipts(t *testing.T) {
	w, rec := setup(t, t0, health.Config{})
	slow := result{class: health.OK, receipt: 9 * time.Second}
	w.run(2*time.Minute, 5, always(slow))
	if e := w.route().Figures.ExpectedReceiptS; e < 18 || e > 20 {
		t.Fatalf("expected receipt time %gs, want about 2 × 9s, at most 20s", e)
	}
	start := w.clock.Now()
	w.run(60*time.Second, 5, always(okNever))
	tr, ok := rec.first(health.Down, start)
	if !ok {
		t.Fatalf("not detected: %+v", rec.all())
	}
	t.Logf("receipts in 9 s: silent outage down after %s", tr.At.Sub(start))
	if took := tr.At.Sub(start); took > 30*time.Second {
		t.Fatalf("down after %s, want ≤ 30s", took)
	}
}

// A route whose provider never sends receipts is never judged silent.
func TestNoReceiptsEverIsNotSilent(t *testing.T) {
	w, rec := setup(t, t0, health.Config{})
	w.run(3*time.Minute, 5, always(okNever))
	if ts := rec.all(); len(ts) != 0 {
		t.Fatalf("transitions without receipts ever: %+v", ts)
	}
}

// Before enough receipts the expected time is the default; then it is
// learned, and clamped.
func TestExpectedReceiptTime(t *testing.T) {
	w, _ := setup(t, t0, health.Config{})
	w.run(2*time.Second, 5, always(result{class: health.OK, receipt: 4 * time.Second}))
	if f := w.route().Figures; f.ExpectedReceiptS != 10 || f.ExpectedLearned {
		t.Fatalf("before history: %gs learned %v, want the 10s default", f.ExpectedReceiptS, f.ExpectedLearned)
	}
	w.run(30*time.Second, 5, always(result{class: health.OK, receipt: 4 * time.Second}))
	if f := w.route().Figures; f.ExpectedReceiptS < 7.5 || f.ExpectedReceiptS > 10 || !f.ExpectedLearned {
		t.Fatalf("receipts in 4s: expected %gs learned %v, want about 8s", f.ExpectedReceiptS, f.ExpectedLearned)
	}
	w.run(70*time.Second, 5, always(result{class: health.OK, receipt: 100 * time.Millisecond}))
	if f := w.route().Figures; f.ExpectedReceiptS != 3 {
		t.Fatalf("receipts in 100ms: expected %gs, want the 3s floor", f.ExpectedReceiptS)
	}
}

// Receipts that come late, or negative, make the route degraded, not down.
func TestLateAndNegativeReceiptsDegrade(t *testing.T) {
	t.Run("late", func(t *testing.T) {
		w, rec := setup(t, t0, health.Config{})
		w.run(2*time.Minute, 5, always(okIn1s))
		start := w.clock.Now()
		// every other message is late by far; the others come in time
		w.run(30*time.Second, 5, func(i int, _ time.Time, _ bool) result {
			if i%2 == 0 {
				return result{class: health.OK, receipt: 40 * time.Second}
			}
			return okIn1s
		})
		tr, ok := rec.first(health.Degraded, start)
		if !ok || tr.Reason != health.ReasonSilent {
			t.Fatalf("want degraded by silent, got %+v", rec.all())
		}
		if _, down := rec.first(health.Down, start); down {
			t.Fatalf("half the receipts late took the route down: %+v", rec.all())
		}
	})
	t.Run("undelivered", func(t *testing.T) {
		w, rec := setup(t, t0, health.Config{})
		w.run(2*time.Minute, 5, always(okIn1s))
		start := w.clock.Now()
		w.run(60*time.Second, 5, always(result{class: health.OK, receipt: time.Second, undelivered: true}))
		tr, ok := rec.first(health.Degraded, start)
		if !ok || tr.Reason != health.ReasonUndelivered {
			t.Fatalf("want degraded by undelivered, got %+v", rec.all())
		}
		if _, down := rec.first(health.Down, start); down {
			t.Fatalf("negative receipts took the route down: %+v", rec.all())
		}
		if f := w.route().Figures; f.Undelivered == 0 {
			t.Fatal("no undelivered counted")
		}
	})
}
