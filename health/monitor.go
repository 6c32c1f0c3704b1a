package health

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/detourhq/detour"
)

// Monitor judges the health of routes and gates sends on them. It is safe
// for concurrent use; Submitted, Delivered and Allow take one lookup in an
// immutable index and, except for Allow's common case, one short lock of
// the route's own.
//
// Transitions go to Config.OnChange outside the Monitor's locks, one call at
// a time and in the order they happened, from whichever goroutine's call
// caused them (a call may return before a transition it caused was
// delivered by another goroutine already delivering). OnChange may call the
// Monitor; it should not block for long.
type Monitor struct {
	cfg        Config
	clock      detour.Clock
	metrics    *Metrics
	notify     notifier
	hardSecs   int64
	recentSecs int64

	mu  sync.Mutex // serialises adding routes to idx
	idx atomic.Pointer[index]

	run runState
}

// index is an immutable view of the known routes, replaced when one is added.
type index struct {
	routes   map[Key]*route
	channels map[string][]*route // by route name
}

// New returns a Monitor. Zero fields of cfg take the defaults of
// DefaultConfig; an invalid field is named in the error.
func New(cfg Config) (*Monitor, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	m := &Monitor{cfg: cfg, clock: cfg.Clock, metrics: cfg.Metrics, notify: notifier{fn: cfg.OnChange},
		hardSecs: seconds(cfg.HardWindow), recentSecs: seconds(cfg.RecentWindow)}
	m.idx.Store(&index{routes: map[Key]*route{}, channels: map[string][]*route{}})
	return m, nil
}

// lookup returns the route of k, or nil if it is not known yet.
func (m *Monitor) lookup(k Key) *route { return m.idx.Load().routes[k] }

// route returns the route of k, adding it if it is new.
func (m *Monitor) route(k Key) *route {
	if r := m.lookup(k); r != nil {
		return r
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old := m.idx.Load()
	if r := old.routes[k]; r != nil {
		return r
	}
	r := newRoute(m, k, m.clock.Now())
	idx := &index{routes: make(map[Key]*route, len(old.routes)+1), channels: make(map[string][]*route, len(old.channels)+1)}
	for key, v := range old.routes {
		idx.routes[key] = v
	}
	idx.routes[k] = r
	for ch, rs := range old.channels {
		idx.channels[ch] = rs
	}
	rs := append(slices.Clone(old.channels[k.Channel]), r)
	slices.SortFunc(rs, func(a, b *route) int { return strings.Compare(a.key.Route, b.key.Route) })
	idx.channels[k.Channel] = rs
	m.idx.Store(idx)
	m.metrics.state(k, Healthy)
	return r
}

// with runs f on r under its lock, then publishes its gate and delivers the
// transitions it caused.
func (m *Monitor) with(r *route, f func(*route)) {
	r.mu.Lock()
	f(r)
	r.updateGate()
	changed := r.takeChanged()
	r.mu.Unlock()
	if changed {
		m.notify.drain()
	}
}

// Register makes a route known before its first observation, so that
// snapshots list it and ChannelUp counts it.
func (m *Monitor) Register(k Key) { m.route(k) }

// Submitted records the outcome of one submit on route k: at is when the
// provider answered (for an accepted message, the sentAt later given to
// Delivered), latency how long the submit took, c its class. Call it after
// every submit, probes included.
func (m *Monitor) Submitted(k Key, at time.Time, latency time.Duration, c Class) {
	if !c.valid() {
		return
	}
	r := m.route(k)
	now := m.clock.Now()
	m.with(r, func(r *route) { r.submitted(now, at, latency, c) })
}

// Delivered records a positive receipt (delivered or read; once per message)
// at at for a message route k accepted at sentAt.
func (m *Monitor) Delivered(k Key, sentAt, at time.Time) {
	r := m.route(k)
	now := m.clock.Now()
	m.with(r, func(r *route) { r.receipt(now, sentAt, at, true) })
}

// Undelivered records a negative receipt (failed, expired) at at for a
// message route k accepted at sentAt. Negative receipts show the route
// still answers: they can make it degraded, never down.
func (m *Monitor) Undelivered(k Key, sentAt, at time.Time) {
	r := m.route(k)
	now := m.clock.Now()
	m.with(r, func(r *route) { r.receipt(now, sentAt, at, false) })
}

// Allow reports whether to send on route k now: always while it is healthy
// or degraded (or forced up), never while it is forced down, and while it is
// down only as a probe, at most once per ProbeInterval after its cool-off.
// probe is true when the send is a probe; its outcome must be reported with
// Submitted as usual. Unknown routes are allowed.
func (m *Monitor) Allow(k Key) (allowed, probe bool) {
	r := m.lookup(k)
	if r == nil {
		return true, false
	}
	now := m.clock.Now()
	if g := r.gate.Load(); now.UnixNano() < g&^1 {
		return g&1 == 1, false
	}
	m.with(r, func(r *route) {
		if r.forced {
			allowed = r.state != Down
			return
		}
		r.maybeEvaluate(now)
		if r.state != Down {
			allowed = true
			return
		}
		allowed = r.probe.take(now, m.cfg.ProbeInterval)
		probe = allowed
	})
	return allowed, probe
}

// ExpectedReceipt returns the time within which a message sent on route k
// is expected to be delivered (learned from its receipts, else the
// default). A probe not delivered by then has failed.
func (m *Monitor) ExpectedReceipt(k Key) time.Duration {
	r := m.lookup(k)
	if r == nil {
		return m.cfg.DefaultExpected
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.expected
}

// RouteUp reports whether route k is up: healthy, degraded or forced up.
// Unlike Allow it takes no probe and says no for a down route due one, so
// a channel choosing among routes can prefer those that are up. An
// unknown route is up.
func (m *Monitor) RouteUp(k Key) bool {
	r := m.lookup(k)
	if r == nil {
		return true
	}
	now := m.clock.Now()
	if g := r.gate.Load(); now.UnixNano() < g&^1 {
		return g&1 == 1
	}
	up := false
	m.with(r, func(r *route) {
		if !r.forced {
			r.maybeEvaluate(now)
		}
		up = r.state != Down
	})
	return up
}

// ChannelUp reports whether some route of the channel would let a send
// through now: one is healthy, degraded or forced up, or a down one is due
// a probe. It takes no probe. A channel with no known route is up.
func (m *Monitor) ChannelUp(channel string) bool {
	rs := m.idx.Load().channels[channel]
	if len(rs) == 0 {
		return true
	}
	now := m.clock.Now()
	ns := now.UnixNano()
	for _, r := range rs {
		g := r.gate.Load()
		if ns < g&^1 {
			if g&1 == 1 {
				return true
			}
			continue
		}
		up := false
		m.with(r, func(r *route) {
			if !r.forced {
				r.maybeEvaluate(now)
			}
			up = r.state != Down || (!r.forced && r.probe.available(now, m.cfg.ProbeInterval))
		})
		if up {
			return true
		}
	}
	return false
}

// Force sets route k to s, Healthy (forced up: every send allowed) or Down
// (forced down: nothing allowed, no probes), until Unforce. Evidence keeps
// being counted but changes nothing while forced. note is the operator's
// reason, kept in the transition and in snapshots.
func (m *Monitor) Force(k Key, s State, note string) error {
	if s != Healthy && s != Down {
		return fmt.Errorf("health: a route can be forced healthy or down, not %q", s)
	}
	r := m.route(k)
	now := m.clock.Now()
	m.with(r, func(r *route) {
		r.forced = true
		r.note = note
		r.baseline = unixSec(now) + 1
		r.streak = 0
		r.change(now, s, ReasonForced, note)
	})
	return nil
}

// Unforce returns route k to automatic judgement. A route forced up is then
// judged on what happened since it was forced; a route forced down stays
// down and probes at once, so it comes back only once probes are good.
func (m *Monitor) Unforce(k Key) {
	r := m.lookup(k)
	if r == nil {
		return
	}
	now := m.clock.Now()
	m.with(r, func(r *route) {
		if !r.forced {
			return
		}
		r.forced = false
		r.note = ""
		if r.state == Down {
			if r.probe.kind == "" {
				r.probe.kind = ReasonHardErrors
			}
			r.probe.cooloff = m.cfg.ProbeCooloff
			r.probe.failures = 0
			r.probe.restart(now.Add(-r.probe.cooloff)) // due at once
			r.change(now, Down, ReasonUnforced, "")
			return
		}
		r.change(now, Healthy, ReasonUnforced, "")
		r.evaluate(now)
	})
}

// Tick evaluates every route at the clock's time. Call it about once a
// second (Start does) so that time-driven changes, above all a silent
// outage, are found when no observation arrives.
func (m *Monitor) Tick() {
	now := m.clock.Now()
	for _, r := range m.idx.Load().routes {
		m.with(r, func(r *route) { r.maybeEvaluate(now) })
	}
}
