package health

import (
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// route is the health of one route. Everything but gate is guarded by mu.
type route struct {
	key Key
	m   *Monitor

	// gate lets Allow answer without the lock: the unix nanosecond until
	// which the answer cannot change without an observation (rounded down to
	// even), with the low bit set if sends are allowed.
	gate atomic.Int64
	_    [56]byte // keeps gate off the cache line the lock writes

	mu       sync.Mutex
	win      window
	state    State
	since    time.Time
	reason   Reason
	note     string // the operator's note while forced
	forced   bool
	nextEval int64 // unix nanoseconds of the next full evaluation (the next second)
	baseline int64 // the oldest second the state rules look at
	changed  bool  // a transition was queued since the last takeChanged

	streak   int   // hard errors in a row
	receipts int64 // positive receipts ever seen: silent detection is armed from SilentArm on
	expected time.Duration
	learned  bool // expected was learned from receipts, not the default

	probe   probe
	history []Transition // oldest first, at most Config.History
}

func newRoute(m *Monitor, k Key, now time.Time) *route {
	r := &route{key: k, m: m, win: newWindow(m.cfg.Window), state: Healthy, since: now,
		expected: m.cfg.DefaultExpected}
	r.probe.cooloff = m.cfg.ProbeCooloff
	r.updateGate()
	return r
}

func unixSec(t time.Time) int64 { return t.Unix() }

// takeChanged reports whether transitions were queued since the last call.
func (r *route) takeChanged() bool {
	c := r.changed
	r.changed = false
	return c
}

// updateGate publishes what Allow may answer without the lock.
func (r *route) updateGate() {
	var due int64
	open := r.state != Down
	switch {
	case r.forced:
		due = math.MaxInt64
	case open:
		due = r.nextEval
	default:
		due = min(r.nextEval, r.probe.nextSlot(r.m.cfg.ProbeInterval).UnixNano())
	}
	g := due &^ 1
	if open {
		g |= 1
	}
	if r.gate.Load() != g { // no write, no cache line taken from Allow's readers
		r.gate.Store(g)
	}
}

// change moves the route to state to and records the transition.
func (r *route) change(now time.Time, to State, reason Reason, note string) {
	t := Transition{Key: r.key, From: r.state, To: to, At: now, Reason: reason, Note: note}
	r.state, r.since, r.reason = to, now, reason
	if len(r.history) == r.m.cfg.History {
		copy(r.history, r.history[1:])
		r.history = r.history[:len(r.history)-1]
	}
	r.history = append(r.history, t)
	r.m.metrics.transition(t)
	if r.m.notify.push(t) {
		r.changed = true
	}
}

// submitted records one submit that ended at at.
func (r *route) submitted(now, at time.Time, latency time.Duration, c Class) {
	if at.IsZero() || at.After(now) {
		at = now
	}
	if b := r.win.write(unixSec(at), unixSec(now)); b != nil {
		b.submits[c-1]++
		b.submitLat.add(latency)
	}
	switch c {
	case Hard:
		r.streak++
	case OK, Throttled:
		r.streak = 0
	}
	if r.forced {
		r.maybeEvaluate(now)
		return
	}
	if r.state == Down {
		r.probeSubmitted(now, at, latency, c)
	} else if c == Hard {
		r.checkHard(now)
	}
	r.maybeEvaluate(now)
}

// receipt records a receipt for a message accepted at sentAt.
func (r *route) receipt(now, sentAt, at time.Time, delivered bool) {
	if at.IsZero() || at.After(now) {
		at = now
	}
	latency := max(0, at.Sub(sentAt))
	inTime := latency <= r.expected
	nowSec := unixSec(now)
	if b := r.win.write(unixSec(sentAt), nowSec); b != nil {
		if delivered {
			b.delivered++
		} else {
			b.undelivered++
		}
		if inTime {
			b.answered++
			if delivered {
				b.inTime++
			}
		}
	}
	if delivered {
		r.receipts++
		if b := r.win.write(unixSec(at), nowSec); b != nil {
			b.receipts++
			b.receiptLat.add(latency)
		}
	}
	if !r.forced && r.state == Down {
		r.probeReceipt(now, sentAt, delivered, inTime)
	}
	r.maybeEvaluate(now)
}
