package dispatch_test

import (
	"context"
	"testing"
	"time"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/dispatch"
	"github.com/detourhq/detour/health"
)

// healthWorld is a world whose engine consults a health monitor on the
// same manual clock.
func healthWorld(t *testing.T, tune func(*dispatch.Config)) (*world, *health.Monitor) {
	var mon *health.Monitor
	w := newWorld(t, func(c *dispatch.Config) {
		var err error
		mon, err = health.New(health.Config{Clock: c.Clock})
		if err != nil {
			t.Fatal(err)
		}
		c.Health = mon
		c.DefaultPolicy = []detour.Step{{Channel: "a", FallbackAfter: detour.Duration(10 * time.Second)}, {Channel: "b"}}
		if tune != nil {
			tune(c)
		}
	})
	return w, mon
}

// A channel forced down is skipped at once: nothing is sent on it, and
// the message goes out on the next step without waiting.
func TestDownChannelIsSkippedAtOnce(t *testing.T) {
	w, mon := healthWorld(t, nil)
	for _, r := range []string{"r1", "r2"} {
		if err := mon.Force(health.Key{Channel: "a", Route: r}, health.Down, "maintenance"); err != nil {
			t.Fatal(err)
		}
	}
	m := w.send(&detour.SendRequest{})
	w.run()
	m = w.get(m.ID)
	if w.a.count() != 0 || w.b.count() != 1 {
		t.Fatalf("sends on a=%d b=%d, want 0 and 1", w.a.count(), w.b.count())
	}
	expectStatus(t, m, detour.StatusSent)
	if m.Step != 1 || len(m.Attempts) != 1 || m.Attempts[0].Channel != "b" {
		t.Fatalf("step %d, attempts %s", m.Step, trail(m))
	}
	// One route up again is enough for the channel.
	mon.Unforce(health.Key{Channel: "a", Route: "r1"})
	if err := mon.Force(health.Key{Channel: "a", Route: "r1"}, health.Healthy, ""); err != nil {
		t.Fatal(err)
	}
	w.send(&detour.SendRequest{})
	w.run()
	if w.a.count() != 1 {
		t.Fatalf("a channel with a route up was skipped")
	}
}

// A step naming a route that is down is skipped even while other routes
// of its channel are up.
func TestDownRouteOfAStepIsSkipped(t *testing.T) {
	w, mon := healthWorld(t, nil)
	_ = mon.Force(health.Key{Channel: "a", Route: "r2"}, health.Down, "")
	m := w.send(&detour.SendRequest{Channels: []detour.Step{{Channel: "a", Route: "r2"}, {Channel: "a", Route: "r1"}}})
	w.run()
	m = w.get(m.ID)
	if w.a.count() != 1 || w.a.last().Route != "r1" || m.Attempts[0].Route != "r1" {
		t.Fatalf("attempts %s", trail(m))
	}
}

// When every step is down the message fails with channel_down (no step
// is left to try), rather than waiting.
func TestEveryStepDownFailsTheMessage(t *testing.T) {
	w, mon := healthWorld(t, nil)
	for _, k := range []health.Key{{Channel: "a", Route: "r1"}, {Channel: "a", Route: "r2"}, {Channel: "b", Route: "r1"}, {Channel: "b", Route: "r2"}} {
		_ = mon.Force(k, health.Down, "")
	}
	m := w.send(&detour.SendRequest{})
	w.run()
	m = w.get(m.ID)
	expectStatus(t, m, detour.StatusFailed)
	if m.ErrorCode != detour.ReasonChannelDown || w.a.count()+w.b.count() != 0 {
		t.Fatalf("error %s, sends %d", m.ErrorCode, w.a.count()+w.b.count())
	}
}

// Hard errors on a channel open its breaker: the detector learns from the
// engine's outcomes, and later messages skip the channel.
func TestHardErrorsOpenTheBreaker(t *testing.T) {
	w, mon := healthWorld(t, func(c *dispatch.Config) { c.MaxTriesPerStep = 1 })
	for range 6 {
		w.a.outcomes = append(w.a.outcomes, detour.RetryableOutcome("r1", detour.ReasonUnreachable, "refused"))
	}
	for range 6 {
		w.send(&detour.SendRequest{Channels: []detour.Step{{Channel: "a", Route: "r1"}, {Channel: "b"}}})
		w.run()
		w.clock.Advance(100 * time.Millisecond)
	}
	if ok, _ := mon.Allow(health.Key{Channel: "a", Route: "r1"}); ok {
		t.Fatalf("route still allowed after %d hard errors", w.a.count())
	}
	if w.a.count() > 5 {
		t.Fatalf("%d sends reached a route whose breaker should be open", w.a.count())
	}
	if w.b.count() != 6 {
		t.Fatalf("%d messages fell back to b, want 6", w.b.count())
	}
}

// A route going down moves the messages waiting on it to their next step
// now, not at their fallback deadline.
func TestRouteDownFallsBackNow(t *testing.T) {
	w, _ := healthWorld(t, nil)
	m := w.send(&detour.SendRequest{})
	other := w.send(&detour.SendRequest{Channels: []detour.Step{{Channel: "b", FallbackAfter: detour.Duration(10 * time.Second)}, {Channel: "a"}}})
	w.run()
	w.clock.Advance(2 * time.Second)
	n, err := w.engine.RouteDown(context.Background(), "a", "")
	if err != nil || n != 1 {
		t.Fatalf("RouteDown = %d, %v", n, err)
	}
	w.run()
	m = w.get(m.ID)
	if m.Step != 1 || len(m.Attempts) != 2 || m.Attempts[1].Channel != "b" || !m.StepStartedAt.Equal(t0.Add(2*time.Second)) {
		t.Fatalf("after the route went down: step %d, %s", m.Step, trail(m))
	}
	if o := w.get(other.ID); o.Step != 0 {
		t.Fatalf("a message waiting on another channel moved: %s", trail(o))
	}
}

// Receipts teach the detector: a channel whose sends stop getting
// receipts goes down (a silent outage) within 30 s at 5 messages/s.
func TestSilentOutageIsDetectedFromMissingReceipts(t *testing.T) {
	w, mon := healthWorld(t, nil)
	k := health.Key{Channel: "a", Route: "r1"}
	step := []detour.Step{{Channel: "a", Route: "r1", FallbackAfter: detour.Duration(10 * time.Second)}, {Channel: "b"}}
	type pending struct {
		a  *detour.Attempt
		at time.Time
	}
	var queue []pending
	deliverDue := func() {
		for len(queue) > 0 && !queue[0].at.After(w.clock.Now()) {
			w.receipt(w.a, queue[0].a, detour.AttemptDelivered)
			queue = queue[1:]
		}
	}
	tick := 200 * time.Millisecond
	for range 150 { // 30 s of healthy traffic, each delivered 1 s after it was sent
		m := w.send(&detour.SendRequest{Channels: step})
		w.run()
		queue = append(queue, pending{w.get(m.ID).Attempts[0], w.clock.Now().Add(time.Second)})
		w.clock.Advance(tick)
		deliverDue()
	}
	w.clock.Advance(time.Second)
	deliverDue()
	if st := stateOf(mon, k); st != health.Healthy {
		t.Fatalf("healthy traffic left the route %s", st)
	}
	start := w.clock.Now()
	var detected time.Duration
	for i := 0; i < 300 && detected == 0; i++ { // silent: accepted, never delivered
		w.send(&detour.SendRequest{Channels: step})
		w.run()
		w.clock.Advance(tick)
		mon.Tick()
		if stateOf(mon, k) == health.Down {
			detected = w.clock.Now().Sub(start)
		}
	}
	if detected == 0 || detected > 30*time.Second {
		t.Fatalf("silent outage detected after %v, want within 30s", detected)
	}
	t.Logf("silent outage detected after %v at 5 messages/s", detected)
}

func stateOf(mon *health.Monitor, k health.Key) health.State {
	r, _ := mon.Route(k)
	return r.State
}

// A message sent to probe a route that is down waits for its receipt only
// as long as the route's expected receipt time, not its step's whole
// fallback_after: a probe of a silent route costs little.
func TestProbeWaitsOnlyTheExpectedReceiptTime(t *testing.T) {
	w, mon := healthWorld(t, func(c *dispatch.Config) { c.MaxTriesPerStep = 1 })
	k := health.Key{Channel: "a", Route: "r1"}
	steps := []detour.Step{{Channel: "a", Route: "r1", FallbackAfter: detour.Duration(time.Minute)}, {Channel: "b"}}
	for i := 0; stateOf(mon, k) != health.Down; i++ {
		if i == 10 {
			t.Fatalf("route %s after 10 hard errors", stateOf(mon, k))
		}
		w.a.outcomes = []detour.Outcome{detour.RetryableOutcome("r1", detour.ReasonUnreachable, "refused")}
		w.send(&detour.SendRequest{Channels: steps})
		w.run()
	}
	w.clock.Advance(6 * time.Second) // past the cool-off: the next message probes
	m := w.send(&detour.SendRequest{Channels: steps})
	w.run()
	m = w.get(m.ID)
	if m.Step != 0 || len(m.Attempts) != 1 || m.Attempts[0].Status != detour.AttemptSent {
		t.Fatalf("the probe was not sent on a/r1: step %d %s", m.Step, trail(m))
	}
	want := w.clock.Now().Add(mon.ExpectedReceipt(k))
	if m.Timer == nil || m.Timer.Kind != detour.TimerFallback || !m.Timer.RunAt.Equal(want) {
		t.Fatalf("probe's fallback at %+v, want %v (not a minute)", m.Timer, want)
	}
	// The next message, within the probe interval, skips the route.
	other := w.send(&detour.SendRequest{Channels: steps})
	w.run()
	if o := w.get(other.ID); o.Step != 1 {
		t.Fatalf("a second message during the probe: %s", trail(o))
	}
}
