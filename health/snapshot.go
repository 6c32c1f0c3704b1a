package health

import (
	"slices"

	"time"
)

// ChannelHealth is the health of one channel and its routes, ready to be
// served as JSON by GET /v1/channels. A channel is down when every route
// is, degraded when any route is degraded or down, healthy otherwise.
type ChannelHealth struct {
	Channel string        `json:"channel"`
	State   State         `json:"state"`
	Routes  []RouteHealth `json:"routes"`
}

// RouteHealth is the health of one route and the figures behind it.
type RouteHealth struct {
	Route         string       `json:"route"`
	State         State        `json:"state"`
	Forced        bool         `json:"forced"`
	Since         time.Time    `json:"since"`                   // when it entered State
	Reason        Reason       `json:"reason,omitempty"`        // why it entered State, or why it stays degraded
	Note          string       `json:"note,omitempty"`          // the operator's note while forced
	Probing       bool         `json:"probing"`                 // down and letting probes through
	NextProbeAt   time.Time    `json:"next_probe_at,omitzero"`  // down and not forced: when the next probe may go
	CooloffS      float64      `json:"cooloff_s,omitempty"`     // down: the current cool-off
	ProbeFailures int          `json:"probe_failures,omitzero"` // down: failed probe rounds so far
	Figures       Figures      `json:"figures"`
	Transitions   []Transition `json:"transitions"` // the last few, oldest first
}

// Figures are a route's numbers over the whole sliding window. The state
// is judged on the newest part of the window since the route last
// recovered or was forced, so the figures can look worse than the state.
type Figures struct {
	WindowS          float64  `json:"window_s"`
	Submits          int      `json:"submits"` // of every class
	OK               int      `json:"ok"`
	Throttled        int      `json:"throttled"`
	Hard             int      `json:"hard"`
	Rejected         int      `json:"rejected"`
	OKShare          float64  `json:"ok_share"` // shares of Submits
	ThrottledShare   float64  `json:"throttled_share"`
	HardShare        float64  `json:"hard_share"`
	RejectedShare    float64  `json:"rejected_share"`
	SubmitP50S       float64  `json:"submit_p50_s"` // submit latency estimates, ±25%
	SubmitP99S       float64  `json:"submit_p99_s"`
	Sent             int      `json:"sent"`                      // accepted submits
	Delivered        int      `json:"delivered"`                 // positive receipts for them so far
	Undelivered      int      `json:"undelivered"`               // negative receipts for them so far
	Matured          int      `json:"matured"`                   // sends older than the expected receipt time
	DeliveredShare   *float64 `json:"delivered_share,omitempty"` // of Matured, delivered within the expected time; absent without matured sends
	ExpectedReceiptS float64  `json:"expected_receipt_s"`
	ExpectedLearned  bool     `json:"expected_learned"` // learned from receipts rather than the default
	ConsecutiveHard  int      `json:"consecutive_hard"`
}

// Snapshot returns every known channel with its routes, sorted by name,
// after evaluating them at the clock's time.
func (m *Monitor) Snapshot() []ChannelHealth {
	now := m.clock.Now()
	idx := m.idx.Load()
	names := make([]string, 0, len(idx.channels))
	for ch := range idx.channels {
		names = append(names, ch)
	}
	slices.Sort(names)
	out := make([]ChannelHealth, 0, len(names))
	for _, ch := range names {
		c := ChannelHealth{Channel: ch}
		for _, r := range idx.channels[ch] {
			m.with(r, func(r *route) {
				r.maybeEvaluate(now)
				c.Routes = append(c.Routes, r.health(now))
			})
		}
		c.State = channelState(c.Routes)
		out = append(out, c)
	}
	return out
}

// Route returns route k's health as Snapshot shows it, ok=false if the
// monitor does not know the route.
func (m *Monitor) Route(k Key) (rh RouteHealth, ok bool) {
	r := m.lookup(k)
	if r == nil {
		return RouteHealth{}, false
	}
	now := m.clock.Now()
	m.with(r, func(r *route) {
		r.maybeEvaluate(now)
		rh = r.health(now)
	})
	return rh, true
}

func channelState(rs []RouteHealth) State {
	down, worse := 0, false
	for _, r := range rs {
		switch r.State {
		case Down:
			down++
			worse = true
		case Degraded:
			worse = true
		}
	}
	switch {
	case len(rs) > 0 && down == len(rs):
		return Down
	case worse:
		return Degraded
	}
	return Healthy
}

// health reports the route at now. The caller holds r.mu.
func (r *route) health(now time.Time) RouteHealth {
	h := RouteHealth{Route: r.key.Route, State: r.state, Forced: r.forced, Since: r.since,
		Reason: r.reason, Note: r.note, Figures: r.figures(now), Transitions: slices.Clone(r.history)}
	if h.Transitions == nil {
		h.Transitions = []Transition{}
	}
	if r.state == Down && !r.forced {
		h.Probing = r.probe.probing
		h.NextProbeAt = r.probe.nextSlot(r.m.cfg.ProbeInterval)
		h.CooloffS = r.probe.cooloff.Seconds()
		h.ProbeFailures = r.probe.failures
	}
	return h
}

// figures sums the whole window at now. The caller holds r.mu.
func (r *route) figures(now time.Time) Figures {
	sec := unixSec(now)
	newest := unixSec(now.Add(-r.expected)) - 1
	var all, matured tally
	var lat hist
	for s := r.win.oldest(sec); s <= sec; s++ {
		b := r.win.read(s)
		if b == nil {
			continue
		}
		all.add(b)
		lat.merge(&b.submitLat)
		if s <= newest {
			matured.add(b)
		}
	}
	n := all.all()
	f := Figures{
		WindowS:          float64(len(r.win.b)),
		Submits:          n,
		OK:               all.submits[OK-1],
		Throttled:        all.submits[Throttled-1],
		Hard:             all.submits[Hard-1],
		Rejected:         all.submits[Rejected-1],
		OKShare:          share(all.submits[OK-1], n),
		ThrottledShare:   share(all.submits[Throttled-1], n),
		HardShare:        share(all.submits[Hard-1], n),
		RejectedShare:    share(all.submits[Rejected-1], n),
		SubmitP50S:       lat.quantile(0.5).Seconds(),
		SubmitP99S:       lat.quantile(0.99).Seconds(),
		Sent:             all.sent,
		Delivered:        all.delivered,
		Undelivered:      all.undelivered,
		Matured:          matured.sent,
		ExpectedReceiptS: r.expected.Seconds(),
		ExpectedLearned:  r.learned,
		ConsecutiveHard:  r.streak,
	}
	if matured.sent > 0 {
		d := share(matured.inTime, matured.sent)
		f.DeliveredShare = &d
	}
	return f
}
