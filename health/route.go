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

func (r *route) maybeEvaluate(now time.Time) {
	if now.UnixNano() >= r.nextEval {
		r.evaluate(now)
	}
}

// evaluate learns the expected receipt time and applies every rule.
func (r *route) evaluate(now time.Time) {
	sec := unixSec(now)
	r.nextEval = (sec + 1) * int64(time.Second)
	r.learn(sec)
	switch {
	case r.forced:
	case r.state == Down:
		r.checkProbes(now)
	default:
		if !r.checkHard(now) {
			r.judge(now)
		}
	}
}

// learn sets the expected receipt time from the receipts in the window.
func (r *route) learn(sec int64) {
	cfg := &r.m.cfg
	var h hist
	n := 0
	for s := r.win.oldest(sec); s <= sec; s++ {
		if b := r.win.read(s); b != nil && b.receipts > 0 {
			h.merge(&b.receiptLat)
			n += int(b.receipts)
		}
	}
	if n < cfg.ExpectedMinSamples {
		return // keep what was learned last, or the default
	}
	e := time.Duration(float64(h.quantile(cfg.ExpectedPercentile)) * cfg.ExpectedFactor)
	r.expected = min(max(e, cfg.MinExpected), cfg.MaxExpected)
	r.learned = true
}

// checkHard applies the fast hard-outage rules and reports whether they
// took the route down.
func (r *route) checkHard(now time.Time) bool {
	cfg := &r.m.cfg
	sec := unixSec(now)
	prev := 0
	if sec-1 >= r.baseline {
		if b := r.win.read(sec - 1); b != nil {
			prev = int(b.judged())
		}
	}
	// A run of hard errors, at least a tenth of a second's traffic long so
	// that a few random timeouts in a row at a high rate open nothing.
	if r.streak >= cfg.HardConsecutive && r.streak*10 >= prev {
		r.down(now, ReasonHardErrors)
		return true
	}
	n := r.m.hardSecs
	t := r.win.recentTally(sec, max(r.baseline, sec-n+1), n, 0)
	if t.judged() >= cfg.HardMinSubmits && share(t.submits[Hard-1], t.judged()) >= cfg.HardShare {
		r.down(now, ReasonHardErrors)
		return true
	}
	return false
}

// signal is one reason to be degraded.
type signal struct {
	reason Reason
	enter  bool // bad enough to become degraded
	stay   bool // bad enough to stay degraded
}

// judge applies the silent-outage rule and the degraded rules with their
// hysteresis.
func (r *route) judge(now time.Time) {
	cfg := &r.m.cfg
	sec := unixSec(now)
	from := max(r.baseline, r.win.oldest(sec))
	recent := r.win.recentTally(sec, from, r.m.recentSecs, cfg.MinSamples)
	newest := unixSec(now.Add(-r.expected)) - 1 // the newest second whose sends all had their expected time
	fast, matured := r.win.maturedTallies(newest, from, r.m.recentSecs, cfg.SilentMinSent)
	armed := r.receipts >= int64(cfg.SilentArm)

	if armed && fast.sent >= cfg.SilentMinSent && share(fast.answered, fast.sent) < cfg.SilentDown {
		r.down(now, ReasonSilent)
		return
	}

	var sig [3]signal
	if j := recent.judged(); j >= cfg.MinSamples {
		h := share(recent.submits[Hard-1], j)
		sig[0] = signal{ReasonHardErrors, h >= cfg.ErrorDegradedEnter, h >= cfg.ErrorDegradedLeave}
		t := share(recent.submits[Throttled-1], j)
		sig[2] = signal{ReasonThrottled, t >= cfg.ThrottleDegradedEnter, t >= cfg.ThrottleDegradedLeave}
	}
	if armed && matured.sent >= cfg.SilentMinSent {
		d := share(matured.inTime, matured.sent)
		reason := ReasonUndelivered
		if share(matured.answered, matured.sent) < cfg.DeliveredDegradedEnter {
			reason = ReasonSilent
		}
		sig[1] = signal{reason, d < cfg.DeliveredDegradedEnter, d < cfg.DeliveredDegradedLeave}
	}

	for _, s := range sig {
		if s.enter {
			if r.state == Healthy {
				r.change(now, Degraded, s.reason, "")
			} else {
				r.reason = s.reason
			}
			return
		}
	}
	if r.state == Degraded {
		for _, s := range sig {
			if s.stay {
				return
			}
		}
		r.change(now, Healthy, ReasonRecovered, "")
	}
}

// down opens the breaker.
func (r *route) down(now time.Time, reason Reason) {
	r.probe.open(now, reason, &r.m.cfg)
	r.change(now, Down, reason, "")
}

// recover closes the breaker after good probes; the state rules then look
// only at what happens from the next second on.
func (r *route) recover(now time.Time) {
	r.probe.closed(now)
	r.baseline = unixSec(now) + 1
	r.streak = 0
	r.change(now, Healthy, ReasonProbeOK, "")
}
