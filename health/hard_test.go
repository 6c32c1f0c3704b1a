package health_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/detourhq/detour/health"
)

// A hard outage opens the breaker within a second at 10 and at 2
// messages a second (and at other rates), whatever the phase of the outage
// within a second.
func TestHardOutageOpensWithinOneSecond(t *testing.T) {
	for _, rate := range []float64{2, 3, 5, 10, 100, 1000} {
		for _, phase := range []time.Duration{0, 100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond, 750 * time.Millisecond} {
			t.Run(fmt.Sprintf("%g/s+%s", rate, phase), func(t *testing.T) {
				w, rec := setup(t, t0, health.Config{})
				w.run(30*time.Second+phase, rate, always(okIn1s))
				if s := w.state(); s != health.Healthy {
					t.Fatalf("before the outage: %s", s)
				}
				start := w.clock.Now()
				w.run(3*time.Second, rate, always(hard))
				tr, ok := rec.first(health.Down, start)
				if !ok {
					t.Fatalf("no down in 3 s; transitions %+v", rec.all())
				}
				took := tr.At.Sub(start)
				t.Logf("%g msg/s, outage %s into a second: down after %s (%s)", rate, phase, took, tr.Reason)
				if took > time.Second || tr.Reason != health.ReasonHardErrors {
					t.Fatalf("down after %s with %s, want ≤ 1s with hard_errors", took, tr.Reason)
				}
				if allowed, _ := w.m.Allow(sms1); allowed {
					t.Fatal("Allow is true right after the breaker opened")
				}
			})
		}
	}
}

// At a low rate the run of hard errors opens the breaker.
func TestHardOutageAtOneMessageASecond(t *testing.T) {
	w, rec := setup(t, t0, health.Config{})
	w.run(30*time.Second, 1, always(okIn1s))
	start := w.clock.Now()
	w.run(10*time.Second, 1, always(hard))
	tr, ok := rec.first(health.Down, start)
	if !ok {
		t.Fatal("no down")
	}
	t.Logf("1 msg/s: down after %s", tr.At.Sub(start))
	if took := tr.At.Sub(start); took > 5*time.Second {
		t.Fatalf("down after %s, want by the 5th error", took)
	}
}

// One hard error, or a few in a row at a high rate, opens nothing.
func TestSingleErrorDoesNotFlip(t *testing.T) {
	for _, tc := range []struct {
		rate  float64
		every int // one hard error in every this many sends
		run   int // errors in a row each time
	}{
		{1, 30, 1}, {2, 30, 1}, {5, 30, 1}, {10, 30, 1}, {10, 30, 2}, {100, 200, 4}, {1000, 2000, 20},
	} {
		t.Run(fmt.Sprintf("%g/s_%dx_every_%d", tc.rate, tc.run, tc.every), func(t *testing.T) {
			w, rec := setup(t, t0, health.Config{})
			w.run(20*time.Second, tc.rate, always(okIn1s))
			w.run(60*time.Second, tc.rate, func(i int, _ time.Time, _ bool) result {
				if i%tc.every < tc.run {
					return hard
				}
				return okIn1s
			})
			for _, tr := range rec.all() {
				t.Errorf("transition %+v", tr)
			}
		})
	}
}

// Hard errors mixed with successes at a rate that is bad but not an outage
// make the route degraded, not down.
func TestHardErrorShareDegrades(t *testing.T) {
	w, rec := setup(t, t0, health.Config{})
	w.run(20*time.Second, 20, always(okIn1s))
	start := w.clock.Now()
	w.run(20*time.Second, 20, func(i int, _ time.Time, _ bool) result {
		if i%5 == 0 { // 20%
			return hard
		}
		return okIn1s
	})
	tr, ok := rec.first(health.Degraded, start)
	if !ok || tr.Reason != health.ReasonHardErrors {
		t.Fatalf("want degraded by hard_errors, got %+v", rec.all())
	}
	if _, down := rec.first(health.Down, start); down {
		t.Fatalf("a 20%% error share took the route down: %+v", rec.all())
	}
}
