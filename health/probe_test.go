package health_test

import (
	"testing"
	"time"

	"github.com/detourhq/detour/health"
)

// downHard takes the world's route down with a hard outage at 10 msg/s and
// returns when it went down.
func downHard(t *testing.T, w *world, rec *recorder) time.Time {
	t.Helper()
	w.run(20*time.Second, 10, always(okIn1s))
	start := w.clock.Now()
	for i := 0; i < 20; i++ {
		w.run(100*time.Millisecond, 10, always(hard))
		if tr, ok := rec.first(health.Down, start); ok {
			return tr.At
		}
	}
	t.Fatalf("no hard outage: %v", rec.all())
	return time.Time{}
}

// until returns how long from now until d after t.
func (w *world) until(t time.Time, d time.Duration) time.Duration {
	return t.Add(d).Sub(w.clock.Now())
}

// While down, nothing goes through during the cool-off, then one probe a
// second.
func TestProbeShareWhileDown(t *testing.T) {
	w, rec := setup(t, t0, health.Config{})
	down := downHard(t, w, rec)
	st := w.run(w.until(down, 4900*time.Millisecond), 100, always(hard))
	if st.sent != 0 {
		t.Fatalf("%d sends allowed in the cool-off", st.sent)
	}
	if r := w.route(); r.NextProbeAt != down.Add(5*time.Second) || r.CooloffS != 5 || r.Probing {
		t.Fatalf("next probe at %s, cool-off %gs, probing %v; want at %s, 5s, not yet", r.NextProbeAt, r.CooloffS, r.Probing, down.Add(5*time.Second))
	}
	// throttled probes neither close nor reopen the breaker
	st = w.run(10*time.Second, 100, always(result{class: health.Throttled}))
	t.Logf("probing: %d of %d sends allowed, all probes: %v", st.sent, st.asked, st.sent == st.probes)
	if st.sent != 10 || st.probes != 10 || st.asked < 990 {
		t.Fatalf("%d sends allowed (%d probes) of %d in 10 s of probing, want 10 probes", st.sent, st.probes, st.asked)
	}
	for i := 1; i < len(st.probeTimes); i++ {
		if gap := st.probeTimes[i].Sub(st.probeTimes[i-1]); gap < time.Second {
			t.Fatalf("probes %s apart", gap)
		}
	}
	if r := w.route(); r.State != health.Down || !r.Probing {
		t.Fatalf("state %s probing %v, want down and probing", r.State, r.Probing)
	}
	w.clock.Advance(time.Second)
	if !w.m.ChannelUp("sms") {
		t.Fatal("ChannelUp false while a probe is due")
	}
	if allowed, probe := w.m.Allow(sms1); !allowed || !probe {
		t.Fatalf("Allow after ChannelUp: %v %v, want the probe ChannelUp did not take", allowed, probe)
	}
	if w.m.ChannelUp("sms") {
		t.Fatal("ChannelUp true right after the probe was taken")
	}
}

// A hard outage is over after three probes in a row were accepted.
func TestHardRecoveryByProbes(t *testing.T) {
	w, rec := setup(t, t0, health.Config{})
	down := downHard(t, w, rec)
	w.run(3*time.Second, 10, always(hard)) // still broken, but nothing is sent
	st := w.run(10*time.Second, 10, always(okIn1s))
	tr, ok := rec.first(health.Healthy, down)
	if !ok || tr.Reason != health.ReasonProbeOK {
		t.Fatalf("want healthy by probe_ok, got %v", rec.all())
	}
	took := tr.At.Sub(down)
	t.Logf("hard outage: healthy %s after going down (%d probes)", took, st.probes)
	if took < 7*time.Second || took > 7100*time.Millisecond || st.probes != 3 {
		t.Fatalf("healthy after %s with %d probes, want the 3rd probe at 5+2 s", took, st.probes)
	}
	if st.sent < 60 {
		t.Fatalf("only %d sends allowed after recovery", st.sent)
	}
	if s := w.state(); s != health.Healthy {
		t.Fatalf("after recovery: %s", s)
	}
}

// Each failed probe round doubles the cool-off, up to a minute.
func TestFailedProbeBacksOff(t *testing.T) {
	w, rec := setup(t, t0, health.Config{})
	down := downHard(t, w, rec)
	st := w.run(5*time.Minute, 10, always(hard))
	var gaps []time.Duration
	last := down
	for _, p := range st.probeTimes {
		gaps = append(gaps, p.Sub(last).Round(100*time.Millisecond))
		last = p
	}
	t.Logf("gaps before each probe: %v", gaps)
	want := []time.Duration{5, 10, 20, 40, 60, 60, 60}
	if len(gaps) < len(want) {
		t.Fatalf("%d probes in 5 minutes, want at least %d", len(gaps), len(want))
	}
	for i, wnt := range want {
		if d := gaps[i] - wnt*time.Second; d < 0 || d > 100*time.Millisecond {
			t.Fatalf("gap %d is %s, want %ds", i, gaps[i], wnt)
		}
	}
	r := w.route()
	if r.ProbeFailures != len(gaps) || r.CooloffS != 60 {
		t.Fatalf("probe failures %d cool-off %gs, want %d and 60s", r.ProbeFailures, r.CooloffS, len(gaps))
	}
	if ts := rec.all(); len(ts) != 1 {
		t.Fatalf("failed probes made transitions: %v", ts)
	}
}

// A route that fails again soon after recovering waits twice as long.
func TestFlappingDoublesCooloff(t *testing.T) {
	w, rec := setup(t, t0, health.Config{})
	downHard(t, w, rec)
	w.run(10*time.Second, 10, always(okIn1s)) // recovers
	start := w.clock.Now()
	w.run(time.Second, 10, always(hard))
	if _, ok := rec.first(health.Down, start); !ok {
		t.Fatalf("no second outage: %v", rec.all())
	}
	if r := w.route(); r.CooloffS != 10 {
		t.Fatalf("cool-off %gs after flapping, want 10s", r.CooloffS)
	}
}

// downSilent takes the world's route down with a silent outage at 5
// msg/s and returns when it went down.
func downSilent(t *testing.T, w *world, rec *recorder) time.Time {
	t.Helper()
	w.run(2*time.Minute, 5, always(okIn1s))
	start := w.clock.Now()
	for i := 0; i < 30; i++ {
		w.run(time.Second, 5, always(okNever))
		if tr, ok := rec.first(health.Down, start); ok {
			if tr.Reason != health.ReasonSilent {
				t.Fatalf("down by %s", tr.Reason)
			}
			return tr.At
		}
	}
	t.Fatalf("no silent outage: %v", rec.all())
	return time.Time{}
}

// A silent outage is over only once probes are delivered in time, and a
// probe that gets no receipt in time reopens the breaker.
func TestSilentRecoveryByDeliveredProbes(t *testing.T) {
	w, rec := setup(t, t0, health.Config{})
	down := downSilent(t, w, rec)
	// still silent: probes are accepted, which is not enough; the first
	// has no receipt 3 s later, and the round fails
	st := w.run(w.until(down, 9*time.Second), 5, always(okNever))
	if st.probes < 3 || st.probes > 4 || w.state() != health.Down {
		t.Fatalf("%d probes, state %s; want 3 or 4 probes and still down", st.probes, w.state())
	}
	r := w.route()
	if r.Probing || r.CooloffS != 10 || r.ProbeFailures != 1 {
		t.Fatalf("after an undelivered probe: probing %v, cool-off %gs, failures %d; want a new 10s cool-off",
			r.Probing, r.CooloffS, r.ProbeFailures)
	}
	t.Logf("first probe undelivered: next probe at +%s", r.NextProbeAt.Sub(down))
	// fixed: probes are delivered in a second
	st = w.run(20*time.Second, 5, always(okIn1s))
	tr, ok := rec.first(health.Healthy, down)
	if !ok || tr.Reason != health.ReasonProbeOK {
		t.Fatalf("want healthy by probe_ok, got %v", rec.all())
	}
	t.Logf("silent outage over: healthy %s after going down, %d probes in the last round", tr.At.Sub(down), st.probes)
	if tr.At.Before(r.NextProbeAt.Add(3 * time.Second)) {
		t.Fatalf("healthy at %s, before three probes could be delivered", tr.At)
	}
	if s := w.state(); s != health.Healthy {
		t.Fatalf("state %s after recovery", s)
	}
}
