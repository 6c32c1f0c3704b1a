package health

import "time"

// probe is the half-open state of a route that is down: after a cool-off,
// Allow lets one send per ProbeInterval through; their results close the
// breaker or open it again for twice as long.
type probe struct {
	kind        Reason        // what the probes must show: hard_errors wants accepted submits, silent wants receipts in time
	cooloff     time.Duration // the current cool-off
	nextRound   time.Time     // when probing may start
	probing     bool          // a round is on: probes are granted
	roundStart  time.Time     // sends that started before it are not probes
	last        time.Time     // when the last probe was granted
	good        int           // good probes in this round
	pending     []time.Time   // silent: accepted probes waiting for their receipt
	failures    int           // failed rounds since the route went down
	recoveredAt time.Time     // when the breaker last closed after probes
}

// maxPending bounds the silent probes followed at once.
const maxPending = 64

// open starts a cool-off. A route that fails again within MaxCooloff of
// recovering waits twice as long as last time (no flapping).
func (p *probe) open(now time.Time, kind Reason, cfg *Config) {
	if !p.recoveredAt.IsZero() && now.Sub(p.recoveredAt) < cfg.MaxCooloff {
		p.cooloff = min(2*p.cooloff, cfg.MaxCooloff)
	} else {
		p.cooloff = cfg.ProbeCooloff
	}
	p.kind = kind
	p.failures = 0
	p.restart(now)
}

// restart waits one cool-off before the next round.
func (p *probe) restart(now time.Time) {
	p.nextRound = now.Add(p.cooloff)
	p.probing = false
	p.good = 0
	p.pending = p.pending[:0]
}

// fail ends a round that failed: the cool-off doubles.
func (p *probe) fail(now time.Time, cfg *Config) {
	p.failures++
	p.cooloff = min(2*p.cooloff, cfg.MaxCooloff)
	p.restart(now)
}

func (p *probe) closed(now time.Time) {
	p.recoveredAt = now
	p.probing = false
	p.pending = p.pending[:0]
}

// nextSlot returns when the next probe may be granted.
func (p *probe) nextSlot(interval time.Duration) time.Time {
	if !p.probing {
		return p.nextRound
	}
	return p.last.Add(interval)
}

// available reports whether a probe would be granted now.
func (p *probe) available(now time.Time, interval time.Duration) bool {
	return !now.Before(p.nextSlot(interval))
}

// take grants a probe if one is available.
func (p *probe) take(now time.Time, interval time.Duration) bool {
	if !p.available(now, interval) {
		return false
	}
	if !p.probing {
		p.probing = true
		p.roundStart = now
		p.good = 0
		p.pending = p.pending[:0]
	}
	p.last = now
	return true
}

// isProbe reports whether a send that started at start belongs to the
// current round.
func (p *probe) isProbe(start time.Time) bool {
	return p.probing && !start.Before(p.roundStart)
}

// probeSubmitted applies a submit seen while down.
func (r *route) probeSubmitted(now, at time.Time, latency time.Duration, c Class) {
	p, cfg := &r.probe, &r.m.cfg
	if !p.isProbe(at.Add(-latency)) {
		return // sent before the round: a straggler, not a probe
	}
	switch c {
	case Hard:
		p.fail(now, cfg)
	case OK:
		if p.kind == ReasonSilent {
			if len(p.pending) < maxPending {
				p.pending = append(p.pending, at)
			}
			return
		}
		if p.good++; p.good >= cfg.ProbeSuccesses {
			r.recover(now)
		}
	}
}

// probeReceipt applies a receipt seen while down.
func (r *route) probeReceipt(now, sentAt time.Time, delivered, inTime bool) {
	p, cfg := &r.probe, &r.m.cfg
	if p.kind != ReasonSilent || !p.isProbe(sentAt) {
		return
	}
	p.forget(sentAt)
	switch {
	case !delivered:
		// a negative receipt proves nothing either way
	case !inTime:
		p.fail(now, cfg)
	default:
		if p.good++; p.good >= cfg.ProbeSuccesses {
			r.recover(now)
		}
	}
}

// forget drops the pending probe sent closest to sentAt.
func (p *probe) forget(sentAt time.Time) {
	best := -1
	var bestGap time.Duration
	for i, t := range p.pending {
		gap := t.Sub(sentAt)
		if gap < 0 {
			gap = -gap
		}
		if best < 0 || gap < bestGap {
			best, bestGap = i, gap
		}
	}
	if best >= 0 {
		p.pending = append(p.pending[:best], p.pending[best+1:]...)
	}
}

// checkProbes fails a silent round whose oldest probe went without a
// receipt past the expected time.
func (r *route) checkProbes(now time.Time) {
	p := &r.probe
	if !p.probing || p.kind != ReasonSilent {
		return
	}
	for _, t := range p.pending {
		if now.Sub(t) > r.expected {
			p.fail(now, &r.m.cfg)
			return
		}
	}
}
