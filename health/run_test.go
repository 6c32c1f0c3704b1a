package health_test

import (
	"context"
	"testing"
	"time"

	"github.com/detourhq/detour/clocktest"
	"github.com/detourhq/detour/health"
)

// Start's loop ticks on the clock: a silent outage is found with no
// observation at all. Stop ends the loop (goleak checks) and is safe twice.
func TestStartTicks(t *testing.T) {
	clock := clocktest.New(t0)
	got := make(chan health.Transition, 10)
	m, err := health.New(health.Config{Clock: clock, OnChange: func(tr health.Transition) { got <- tr }})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Stop()
	if err := m.Start(context.Background()); err == nil {
		t.Fatal("started twice")
	}
	// a minute of traffic delivered in a second, then 30 sends never delivered
	for i := range 330 {
		at := t0.Add(time.Duration(i) * 200 * time.Millisecond)
		clock.Set(at)
		m.Submitted(sms1, at, 0, health.OK)
		if j := i - 5; j >= 0 && j < 300 {
			m.Delivered(sms1, t0.Add(time.Duration(j)*200*time.Millisecond), at)
		}
	}
	select {
	case tr := <-got:
		t.Fatalf("a transition before the silence: %v", tr)
	default:
	}
	for {
		if !clock.WaitForWaiters(1, 5*time.Second) {
			t.Fatal("the loop set no timer")
		}
		select {
		case tr := <-got:
			if tr.To == health.Degraded && tr.Reason == health.ReasonSilent {
				continue // on the way down
			}
			if tr.To != health.Down || tr.Reason != health.ReasonSilent {
				t.Fatalf("transition %v", tr)
			}
			t.Logf("found by the loop at +%s", tr.At.Sub(t0))
			m.Stop()
			m.Stop()
			return
		default:
		}
		if clock.Now().After(t0.Add(2 * time.Minute)) {
			t.Fatal("no transition from the loop")
		}
		clock.Advance(time.Second)
	}
}

func TestStopBeforeStart(t *testing.T) {
	m, err := health.New(health.Config{})
	if err != nil {
		t.Fatal(err)
	}
	m.Stop()
	if err := m.Start(context.Background()); err == nil {
		t.Fatal("started after Stop")
	}
}

func TestStartEndsWithContext(t *testing.T) {
	m, err := health.New(health.Config{Clock: clocktest.New(t0)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	m.Stop()
}
