package health

import "time"

// maybeEvaluate evaluates the route once a second, at the first call in
// each new second.
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
