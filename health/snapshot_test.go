package health_test

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/detourhq/detour/health"
)

// A snapshot shows each channel and route with its state and the figures
// behind it, and serves as JSON as it is.
func TestSnapshot(t *testing.T) {
	w, rec := setup(t, t0, health.Config{})
	w.m.Register(health.Key{Channel: "whatsapp"})
	w.m.Register(health.Key{Channel: "sms", Route: "smsc-2"})
	w.latency = 20 * time.Millisecond
	w.run(2*time.Minute, 10, func(i int, _ time.Time, _ bool) result {
		switch i % 10 {
		case 0:
			return result{class: health.Throttled}
		case 1:
			return result{class: health.Rejected}
		}
		return okIn1s
	})
	snap := w.m.Snapshot()
	if len(snap) != 2 || snap[0].Channel != "sms" || snap[1].Channel != "whatsapp" ||
		len(snap[0].Routes) != 2 || snap[0].Routes[0].Route != "smsc-1" || snap[0].Routes[1].Route != "smsc-2" ||
		len(snap[1].Routes) != 1 || snap[1].Routes[0].Route != "" {
		t.Fatalf("snapshot layout %+v", snap)
	}
	f := snap[0].Routes[0].Figures
	t.Logf("figures %+v, delivered share %g", f, *f.DeliveredShare)
	near := func(got, want, tol float64) bool { return math.Abs(got-want) <= tol }
	if f.WindowS != 60 || f.Submits != 590 || f.OK != 472 || f.Throttled != 59 || f.Rejected != 59 || f.Hard != 0 ||
		!near(f.OKShare, 0.8, 0.001) || !near(f.ThrottledShare, 0.1, 0.001) || !near(f.RejectedShare, 0.1, 0.001) ||
		!near(f.SubmitP50S, 0.020, 0.005) || !near(f.SubmitP99S, 0.020, 0.005) ||
		f.Sent != 472 || f.Delivered < 460 || f.Matured < 400 || f.DeliveredShare == nil || *f.DeliveredShare != 1 ||
		f.ExpectedReceiptS != 3 || !f.ExpectedLearned || f.ConsecutiveHard != 0 {
		t.Fatalf("figures %+v", f)
	}
	if snap[0].State != health.Healthy || snap[0].Routes[0].State != health.Healthy || len(snap[0].Routes[0].Transitions) != 0 {
		t.Fatalf("state %+v", snap[0])
	}

	down := downHard(t, w, rec)
	r := w.route()
	if r.State != health.Down || r.Reason != health.ReasonHardErrors || !r.Since.Equal(down) ||
		!r.NextProbeAt.Equal(down.Add(5*time.Second)) || r.CooloffS != 5 || r.Figures.ConsecutiveHard < 5 ||
		len(r.Transitions) != 1 || r.Transitions[0].To != health.Down {
		t.Fatalf("down route %+v", r)
	}

	b, err := json.Marshal(w.m.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", b)
	var got []map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	route := got[0]["routes"].([]any)[0].(map[string]any)
	figures := route["figures"].(map[string]any)
	tr := route["transitions"].([]any)[0].(map[string]any)
	for _, c := range []struct {
		obj  map[string]any
		keys []string
	}{
		{got[0], []string{"channel", "state", "routes"}},
		{route, []string{"route", "state", "forced", "since", "reason", "probing", "next_probe_at", "cooloff_s", "figures", "transitions"}},
		{figures, []string{"window_s", "submits", "ok", "throttled", "hard", "rejected", "ok_share", "throttled_share", "hard_share",
			"rejected_share", "submit_p50_s", "submit_p99_s", "sent", "delivered", "undelivered", "matured", "delivered_share",
			"expected_receipt_s", "expected_learned", "consecutive_hard"}},
		{tr, []string{"channel", "route", "from", "to", "at", "reason"}},
	} {
		var keys []string
		for k := range c.obj {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		want := slices.Sorted(slices.Values(c.keys))
		if !slices.Equal(keys, want) {
			t.Errorf("JSON keys %v, want %v", keys, want)
		}
	}
	if got[0]["state"] != "degraded" || route["state"] != "down" || tr["to"] != "down" || tr["reason"] != "hard_errors" {
		t.Fatalf("JSON %s", b)
	}
}

// A route keeps its last History transitions, oldest first.
func TestSnapshotKeepsLastTransitions(t *testing.T) {
	w, _ := setup(t, t0, health.Config{})
	for i := range 12 {
		w.clock.Advance(time.Second)
		if err := w.m.Force(sms1, health.Down, fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
		w.m.Unforce(sms1)
	}
	ts := w.route().Transitions
	if len(ts) != 10 || ts[0].Note != "7" || ts[9].Reason != health.ReasonUnforced || ts[8].Note != "11" {
		t.Fatalf("transitions %v", ts)
	}
	for i := 1; i < len(ts); i++ {
		if ts[i].At.Before(ts[i-1].At) {
			t.Fatalf("transitions out of order: %v", ts)
		}
	}
}

// A channel is down when every route is down, degraded when any route is
// degraded or down; ChannelUp is true while any route would let a send go.
func TestChannelStateFromRoutes(t *testing.T) {
	w, _ := setup(t, t0, health.Config{})
	sms2 := health.Key{Channel: "sms", Route: "smsc-2"}
	w.m.Register(sms1)
	w.m.Register(sms2)
	channel := func() health.State { return w.m.Snapshot()[0].State }
	if s := channel(); s != health.Healthy || !w.m.ChannelUp("sms") {
		t.Fatalf("fresh: %s", s)
	}
	for range 100 { // smsc-1 throttles
		w.clock.Advance(50 * time.Millisecond)
		w.m.Submitted(sms1, w.clock.Now(), 0, health.Throttled)
		w.m.Submitted(sms2, w.clock.Now(), 0, health.OK)
	}
	if s := channel(); s != health.Degraded || !w.m.ChannelUp("sms") {
		t.Fatalf("one route degraded: %s", s)
	}
	for range 10 { // smsc-2 is refused
		w.clock.Advance(50 * time.Millisecond)
		w.m.Submitted(sms2, w.clock.Now(), 0, health.Hard)
	}
	if s := channel(); s != health.Degraded || !w.m.ChannelUp("sms") {
		t.Fatalf("one route degraded, one down: %s", s)
	}
	if err := w.m.Force(sms1, health.Down, ""); err != nil {
		t.Fatal(err)
	}
	if s := channel(); s != health.Down || w.m.ChannelUp("sms") {
		t.Fatalf("both down: %s, up %v", s, w.m.ChannelUp("sms"))
	}
	w.clock.Advance(5 * time.Second) // smsc-2's cool-off is over
	if !w.m.ChannelUp("sms") {
		t.Fatal("ChannelUp false with a probe due on smsc-2")
	}
	if !w.m.ChannelUp("telegram") {
		t.Fatal("a channel without known routes is not up")
	}
	if allowed, probe := w.m.Allow(health.Key{Channel: "telegram"}); !allowed || probe {
		t.Fatal("an unknown route is not allowed")
	}
}
