package dispatch

import (
	"context"
	"time"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/health"
)

// job is one send to perform: the message as claimed, the attempt made for
// it and the lease that allows recording its outcome.
type job struct {
	msg     *detour.Message
	content *detour.Content // what the channel sends: the message's, or its template as text
	probe   *health.Key     // the send probes this route, which is down
	attempt *detour.Attempt // not stored until its outcome is
	lease   int64
	channel detour.Channel
	claimed time.Time // when the step began, if it had not before
}

// RunOnce claims up to limit due timers, acts on each inside the claim's
// transaction, and starts the sends that result. It returns how many timers
// it claimed. Sends run in the background; Stop waits for them. Tests drive
// the engine with RunOnce and Wait instead of Start.
func (e *Engine) RunOnce(ctx context.Context, limit int) (int, error) {
	now := e.clock.Now()
	var jobs []*job
	var moves []move
	msgs, err := e.store.Claim(ctx, detour.ClaimRequest{Owner: e.cfg.Owner, Now: now, Lease: e.cfg.Lease, Limit: limit},
		func(m *detour.Message) error {
			from := m.Status
			j := e.onTimer(m, now)
			moves = append(moves, move{from, m})
			if j != nil {
				jobs = append(jobs, j)
			}
			return nil
		})
	if err != nil {
		return 0, err
	}
	for _, mv := range moves {
		e.metrics.transition(mv.from, mv.m)
	}
	for _, j := range jobs {
		e.metrics.dispatchDelay.Observe(now.Sub(j.msg.CreatedAt).Seconds())
		e.inflight.Add(1)
		e.sends.Add(1)
		go e.send(j)
	}
	return len(msgs), nil
}

type move struct {
	from detour.Status
	m    *detour.Message
}

// Wait blocks until every send started so far has finished and recorded
// its outcome.
func (e *Engine) Wait() { e.sends.Wait() }

// onTimer acts on a message whose timer came due and was leased to us. It
// returns the send to perform, if any.
func (e *Engine) onTimer(m *detour.Message, now time.Time) *job {
	t := m.Timer
	if m.Status.Final() {
		m.Timer = nil
		return nil
	}
	if !now.Before(m.ExpiresAt) {
		expire(m, now)
		return nil
	}
	switch t.Kind {
	case detour.TimerExpire:
		expire(m, now)
		return nil
	case detour.TimerFallback:
		if t.Step != m.Step {
			waitForReceipt(m) // stale: the step already moved on
			return nil
		}
		if !advance(m, now, detour.ReasonTimeout, "no delivery receipt within fallback_after") {
			return nil
		}
	case detour.TimerSend:
		return e.prepareSend(m, now, t.Owner, t.Lease, t.Lease > 1)
	}
	return e.prepareSend(m, now, t.Owner, t.Lease, false)
}

// prepareSend makes the attempt for the current step and keeps the lease,
// or moves past steps that cannot be sent at all. The attempt lives in
// memory until its outcome is recorded: claiming writes only the lease, so
// a send costs one write fewer. A send timer whose previous lease was never
// released (Lease above 1: every recorded outcome replaces the timer)
// belonged to a sender that died mid-send, and the provider may have taken
// that message: it is recorded as an attempt with an unknown outcome and
// counted. That is the documented at-least-once window.
func (e *Engine) prepareSend(m *detour.Message, now time.Time, owner string, lease int64, resumed bool) *job {
	if resumed {
		step := m.Steps[m.Step]
		m.Attempts = append(m.Attempts, &detour.Attempt{
			ID: e.cfg.IDs.New("att_"), MessageID: m.ID, Step: m.Step, Channel: step.Channel, Route: step.Route,
			Status: detour.AttemptUnknown, ErrorCode: detour.ReasonLost,
			ErrorDetail: "the sender stopped before the outcome was recorded; the message may have been sent",
			CreatedAt:   now, EndedAt: now, UpdatedAt: now,
		})
		m.SetStatus(detour.StatusSending, now)
		e.metrics.unknownOutcomes.Inc()
	}
	for {
		step := m.Steps[m.Step]
		ch, ok := e.channels[step.Channel]
		var content *detour.Content
		if ok {
			content, ok = e.contentFor(ch, &m.Content)
		}
		var probe *health.Key
		if ok {
			var up bool
			if up, probe = e.usable(step); !up {
				ok = false
			}
		}
		if !ok && content != nil {
			// Down: skip it now rather than wait for it to fail.
			if !advance(m, now, detour.ReasonChannelDown, "channel "+step.Channel+" is down") {
				return nil
			}
			continue
		}
		if ok {
			a := &detour.Attempt{
				ID: e.cfg.IDs.New("att_"), MessageID: m.ID, Step: m.Step, Channel: step.Channel, Route: step.Route,
				Status: detour.AttemptPending, CreatedAt: now, UpdatedAt: now,
			}
			m.Timer = &detour.Timer{Kind: detour.TimerSend, Step: m.Step, RunAt: now.Add(e.cfg.Lease), Owner: owner, Lease: lease}
			return &job{msg: m, content: content, attempt: a, lease: lease, channel: ch, claimed: now, probe: probe}
		}
		// The channel was removed from the configuration since, or cannot
		// carry this content: skip the step at once.
		reason := detour.ReasonContentUnsupported
		if _, known := e.channels[step.Channel]; !known {
			reason = detour.ReasonUnreachable
		}
		if !advance(m, now, reason, "channel "+step.Channel+" cannot send this message") {
			return nil
		}
	}
}

// reserveDirect takes a send slot for a message being accepted, if the
// loop runs and one is free.
func (e *Engine) reserveDirect() bool {
	// Stop flips running under the write lock before it waits for the
	// sends, so no slot is taken once it waits.
	e.directMu.RLock()
	defer e.directMu.RUnlock()
	if !e.running.Load() {
		return false
	}
	if e.inflight.Add(1) > int64(e.cfg.Concurrency) {
		e.inflight.Add(-1)
		return false
	}
	e.sends.Add(1)
	return true
}

// releaseDirect gives back a slot that reserveDirect took.
func (e *Engine) releaseDirect() {
	e.inflight.Add(-1)
	e.sends.Done()
}

// startDirect sends a message stored with its first step leased to us.
func (e *Engine) startDirect(m *detour.Message) {
	now := e.clock.Now()
	owner, lease := m.Timer.Owner, m.Timer.Lease
	j := e.prepareSend(m, now, owner, lease, false)
	if j == nil || m.Step != 0 {
		// The first step is down or cannot carry the content: store where
		// that leaves the message (its next step, or failed), and send the
		// next step if it can go.
		j = e.moveOnDirect(m.ID, now, owner, lease)
		if j == nil {
			e.releaseDirect()
			return
		}
	}
	e.metrics.dispatchDelay.Observe(now.Sub(m.CreatedAt).Seconds())
	go e.send(j)
}

// moveOnDirect runs prepareSend on the stored message, which is still
// leased to us, and saves what it did.
func (e *Engine) moveOnDirect(id string, now time.Time, owner string, lease int64) *job {
	var j *job
	var from detour.Status
	var after *detour.Message
	err := e.store.UpdateMessage(context.Background(), id, func(m *detour.Message) error {
		j, after = nil, nil
		if t := m.Timer; t == nil || t.Owner != owner || t.Lease != lease || m.Status.Final() {
			return nil // no longer ours
		}
		from, after = m.Status, m
		j = e.prepareSend(m, now, owner, lease, false)
		return nil
	})
	if err != nil {
		// The lease runs out and the claim loop decides.
		e.log.Error("dispatch: moving a message past its first step failed", "message", id, "err", err)
		return nil
	}
	if after != nil {
		e.metrics.transition(from, after)
	}
	return j
}
