package health_test

import (
	"testing"
	"time"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/health"
)

// The hard-error share enters degraded at 10% and leaves under 5%: 7.7%
// keeps a degraded route degraded and a healthy one healthy.
func TestHysteresis(t *testing.T) {
	w, rec := setup(t, t0, health.Config{})
	oneIn := func(n int) func(int, time.Time, bool) result {
		return func(i int, _ time.Time, _ bool) result {
			if i%n == 0 {
				return hard
			}
			return okIn1s
		}
	}
	phases := []struct {
		name string
		fn   func(int, time.Time, bool) result
		want health.State
	}{
		{"clean", always(okIn1s), health.Healthy},
		{"7.7% from healthy", oneIn(13), health.Healthy},
		{"20%", oneIn(5), health.Degraded},
		{"7.7% from degraded", oneIn(13), health.Degraded},
		{"2.5%", oneIn(40), health.Healthy},
		{"7.7% again", oneIn(13), health.Healthy},
	}
	for _, p := range phases {
		w.run(40*time.Second, 20, p.fn)
		r := w.route()
		t.Logf("%s: %s (%s), hard share over the window %.3f", p.name, r.State, r.Reason, r.Figures.HardShare)
		if r.State != p.want {
			t.Fatalf("%s: %s, want %s; transitions %v", p.name, r.State, p.want, rec.all())
		}
	}
	ts := rec.all()
	if len(ts) != 2 || ts[0].To != health.Degraded || ts[0].Reason != health.ReasonHardErrors ||
		ts[1].To != health.Healthy || ts[1].Reason != health.ReasonRecovered {
		t.Fatalf("transitions %v, want one degraded by hard_errors and one recovered", ts)
	}
}

// Throttling makes a route degraded, never down, and sends stay allowed.
func TestThrottlingDegradesNotDown(t *testing.T) {
	w, rec := setup(t, t0, health.Config{})
	w.run(20*time.Second, 10, always(okIn1s))
	start := w.clock.Now()
	st := w.run(60*time.Second, 10, always(result{class: health.Throttled}))
	if st.sent != st.asked {
		t.Fatalf("%d of %d sends allowed while throttled", st.sent, st.asked)
	}
	tr, ok := rec.first(health.Degraded, start)
	if !ok || tr.Reason != health.ReasonThrottled {
		t.Fatalf("want degraded by throttled, got %v", rec.all())
	}
	t.Logf("all throttled at 10 msg/s: degraded after %s", tr.At.Sub(start))
	if _, down := rec.first(health.Down, start); down {
		t.Fatalf("throttling took the route down: %v", rec.all())
	}
	if r := w.route(); r.Figures.ThrottledShare < 0.99 {
		t.Fatalf("throttled share %g", r.Figures.ThrottledShare)
	}
	start = w.clock.Now()
	w.run(30*time.Second, 10, always(okIn1s))
	if tr, ok := rec.first(health.Healthy, start); !ok || tr.Reason != health.ReasonRecovered {
		t.Fatalf("want recovered, got %v", rec.all())
	} else {
		t.Logf("throttling over: healthy after %s", tr.At.Sub(start))
	}
}

// Rejected messages are counted but are no health signal: they neither
// make a route unhealthy nor dilute its hard errors.
func TestRejectedIsNoSignal(t *testing.T) {
	w, rec := setup(t, t0, health.Config{})
	w.run(60*time.Second, 10, always(result{class: health.Rejected}))
	if ts := rec.all(); len(ts) != 0 {
		t.Fatalf("rejections made transitions: %v", ts)
	}
	if f := w.route().Figures; f.Rejected < 590 || f.RejectedShare != 1 || f.Sent != 0 {
		t.Fatalf("figures %+v", f)
	}
	start := w.clock.Now()
	w.run(time.Second, 10, func(i int, _ time.Time, _ bool) result {
		if i%2 == 0 {
			return hard
		}
		return result{class: health.Rejected}
	})
	// the three hard errors are all the judged submits of the last two seconds
	if tr, ok := rec.first(health.Down, start); !ok || tr.At.Sub(start) != 400*time.Millisecond {
		t.Fatalf("hard errors between rejections: %v, want down at the 3rd", rec.all())
	}
}

func TestClassOf(t *testing.T) {
	for _, tc := range []struct {
		o    detour.Outcome
		want health.Class
	}{
		{detour.AcceptedOutcome("r", "id"), health.OK},
		{detour.RetryableOutcome("r", detour.ReasonThrottled, ""), health.Throttled},
		{detour.RetryableOutcome("r", detour.ReasonUnreachable, ""), health.Hard},
		{detour.RetryableOutcome("r", detour.ReasonTimeout, ""), health.Hard},
		{detour.RetryableOutcome("r", detour.ReasonProviderError, ""), health.Hard},
		{detour.PermanentOutcome("r", detour.ReasonInvalidRecipient, ""), health.Rejected},
		{detour.PermanentOutcome("r", detour.ReasonRejected, ""), health.Rejected},
		{detour.PermanentOutcome("r", detour.ReasonOutsideWindow, ""), health.Rejected},
	} {
		if got := health.ClassOf(tc.o); got != tc.want {
			t.Errorf("%v %s: %s, want %s", tc.o.Result, tc.o.Reason, got, tc.want)
		}
	}
}
