package health_test

import (
	"testing"
	"time"

	"github.com/detourhq/detour/health"
)

// Forced down refuses everything, probes included, whatever the evidence.
func TestForceDown(t *testing.T) {
	w, rec := setup(t, t0, health.Config{})
	w.run(10*time.Second, 10, always(okIn1s))
	if err := w.m.Force(sms1, health.Down, "operator maintenance"); err != nil {
		t.Fatal(err)
	}
	st := w.run(5*time.Minute, 10, always(okIn1s))
	if st.sent != 0 {
		t.Fatalf("%d sends (%d probes) allowed while forced down", st.sent, st.probes)
	}
	if w.m.ChannelUp("sms") {
		t.Fatal("ChannelUp with its only route forced down")
	}
	r := w.route()
	if r.State != health.Down || !r.Forced || r.Reason != health.ReasonForced || r.Note != "operator maintenance" ||
		!r.NextProbeAt.IsZero() {
		t.Fatalf("route %+v", r)
	}
	ts := rec.all()
	if len(ts) != 1 || ts[0].From != health.Healthy || ts[0].To != health.Down || ts[0].Reason != health.ReasonForced ||
		ts[0].Note != "operator maintenance" {
		t.Fatalf("transitions %v", ts)
	}
}

// Unforcing a route forced down probes at once; good probes bring it back.
func TestUnforceDownProbesAtOnce(t *testing.T) {
	w, rec := setup(t, t0, health.Config{})
	w.run(10*time.Second, 10, always(okIn1s))
	if err := w.m.Force(sms1, health.Down, ""); err != nil {
		t.Fatal(err)
	}
	w.run(time.Minute, 10, always(okIn1s))
	at := w.clock.Now()
	w.m.Unforce(sms1)
	if allowed, probe := w.m.Allow(sms1); !allowed || !probe {
		t.Fatalf("Allow right after Unforce: %v %v, want a probe", allowed, probe)
	}
	w.m.Submitted(sms1, w.clock.Now(), 0, health.OK)
	w.run(3*time.Second, 10, always(okIn1s))
	tr, ok := rec.first(health.Healthy, at)
	if !ok || tr.Reason != health.ReasonProbeOK {
		t.Fatalf("want healthy by probe_ok, got %v", rec.all())
	}
	if u, _ := rec.first(health.Down, at); u.Reason != health.ReasonUnforced || u.From != health.Down {
		t.Fatalf("unforce transition %v", u)
	}
}

// Forced up allows everything during an outage; unforced, the route is
// judged on what happened while forced.
func TestForceUpAndUnforce(t *testing.T) {
	w, rec := setup(t, t0, health.Config{})
	downHard(t, w, rec)
	if err := w.m.Force(sms1, health.Healthy, "provider says it is fine"); err != nil {
		t.Fatal(err)
	}
	st := w.run(10*time.Second, 10, always(hard))
	if st.sent != st.asked || st.probes != 0 {
		t.Fatalf("forced up: %d of %d allowed, %d probes", st.sent, st.asked, st.probes)
	}
	if r := w.route(); r.State != health.Healthy || !r.Forced || r.Figures.ConsecutiveHard < 50 {
		t.Fatalf("forced up: %+v", r)
	}
	at := w.clock.Now()
	w.m.Unforce(sms1)
	ts := rec.all()
	if n := len(ts); n < 2 || ts[n-2].Reason != health.ReasonUnforced || ts[n-2].To != health.Healthy ||
		ts[n-1].To != health.Down || ts[n-1].Reason != health.ReasonHardErrors || !ts[n-1].At.Equal(at) {
		t.Fatalf("unforced with hard errors in the last seconds: %v", ts)
	}
}

// Forced up, a route that works stays healthy after Unforce even though it
// was down before being forced.
func TestForceUpIgnoresEvidenceBeforeIt(t *testing.T) {
	w, rec := setup(t, t0, health.Config{})
	downHard(t, w, rec)
	if err := w.m.Force(sms1, health.Healthy, ""); err != nil {
		t.Fatal(err)
	}
	w.run(5*time.Second, 10, always(okIn1s))
	w.m.Unforce(sms1)
	w.run(time.Minute, 10, always(okIn1s))
	if r := w.route(); r.State != health.Healthy || r.Forced {
		t.Fatalf("after unforce: %+v; transitions %v", r, rec.all())
	}
}

func TestForceRefusesDegraded(t *testing.T) {
	w, _ := setup(t, t0, health.Config{})
	if err := w.m.Force(sms1, health.Degraded, ""); err == nil {
		t.Fatal("forced degraded")
	}
	if err := w.m.Force(sms1, "sideways", ""); err == nil {
		t.Fatal("forced an unknown state")
	}
	w.m.Unforce(health.Key{Channel: "nope"}) // unknown: nothing happens
	w.m.Unforce(sms1)                        // not forced: nothing happens
}
