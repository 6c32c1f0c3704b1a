package dispatch

import (
	"context"
	"time"

	"github.com/detourhq/detour"
)

// send hands one message to its channel and records the outcome. It runs
// in its own goroutine; the context it sends with is not tied to Stop, so
// a drain completes the sends in flight.
func (e *Engine) send(j *job) {
	defer e.sends.Done()
	defer func() {
		e.inflight.Add(-1)
		e.Notify() // a slot is free
	}()
	m := j.msg
	ctx, cancel := context.WithTimeout(context.Background(), e.cfg.SendTimeout)
	start := e.clock.Now()
	out := j.channel.Send(ctx, &detour.Send{
		AttemptID: j.attempt.ID, MessageID: m.ID, TenantID: m.TenantID, To: m.To, Content: j.content,
		Route: j.attempt.Route, Priority: m.Priority, ExpiresAt: m.ExpiresAt,
	})
	cancel()
	if out.Result == 0 {
		out = detour.RetryableOutcome(j.attempt.Route, detour.ReasonProviderError, "the channel returned no outcome")
	}
	end := e.clock.Now()
	e.metrics.sendDuration.WithLabelValues(j.channel.Name(), out.Result.String()).Observe(end.Sub(start).Seconds())
	e.observeSend(j.attempt, j.channel.Name(), out, end, end.Sub(start))
	if out.Result != detour.Accepted {
		e.metrics.sendErrors.WithLabelValues(j.channel.Name(), out.Route, out.Result.String(), string(out.Reason)).Inc()
	}
	if err := e.record(j, out); err != nil {
		// The lease runs out and the timer comes due again: the message is
		// retried and this attempt is marked unknown then.
		e.log.Error("dispatch: recording a send outcome failed", "message", m.ID, "attempt", j.attempt.ID, "err", err)
	}
}

// record saves what a send produced and decides what comes next.
func (e *Engine) record(j *job, out detour.Outcome) error {
	var from detour.Status
	var after *detour.Message
	wake := false
	err := e.store.UpdateMessage(context.Background(), j.msg.ID, func(m *detour.Message) error {
		now := e.clock.Now()
		from, after = m.Status, m
		a := m.Attempt(j.attempt.ID)
		if a == nil {
			c := *j.attempt
			a = &c
			m.Attempts = append(m.Attempts, a)
		}
		if m.StepStartedAt.IsZero() && a.Step == m.Step {
			m.StepStartedAt = j.claimed
		}
		if out.Route != "" {
			a.Route = out.Route
		}
		if out.Segments > 0 {
			a.Segments = out.Segments
		}
		// Ours is false when the message was canceled, delivered by an
		// earlier step, or reclaimed after our lease ran out: record the
		// attempt, leave the timer to whoever owns it now.
		ours := m.Timer != nil && m.Timer.Owner == e.cfg.Owner && m.Timer.Lease == j.lease && !m.Status.Final()
		switch out.Result {
		case detour.Accepted:
			a.ProviderID = out.ProviderID
			if len(out.Parts) > 1 {
				a.Parts = make([]detour.Part, len(out.Parts))
				for i, id := range out.Parts {
					a.Parts[i] = detour.Part{ProviderID: id, Status: detour.AttemptSent}
				}
				if a.ProviderID == "" {
					a.ProviderID = out.Parts[0]
				}
				a.Segments = max(a.Segments, len(out.Parts))
			}
			a.SetStatus(detour.AttemptSent, now)
			m.SetStatus(detour.StatusSent, now)
			if ours {
				waitForReceipt(m)
				e.probeDeadline(m, j.probe, now)
			}
		case detour.Retryable:
			a.ErrorCode, a.ErrorDetail = out.Reason, out.Detail
			a.SetStatus(detour.AttemptFailed, now)
			m.SetStatus(detour.StatusSending, now) // being retried
			if ours {
				wake = e.retryOrAdvance(m, now, out)
			}
		default:
			a.ErrorCode, a.ErrorDetail = out.Reason, out.Detail
			a.SetStatus(detour.AttemptFailed, now)
			m.SetStatus(detour.StatusSending, now) // moving on, or failed below
			if ours {
				wake = advance(m, now, out.Reason, out.Detail)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	e.metrics.transition(from, after)
	if wake {
		e.Notify()
	}
	if out.Result == detour.Accepted && e.orphans.Load() > 0 {
		// A receipt for this send may be waiting: its attempt is stored now.
		e.wakeOrphans()
	}
	return nil
}

// retryOrAdvance schedules a retry of the current step if its budget and
// deadline allow one, else moves on. It reports whether a send is due now.
func (e *Engine) retryOrAdvance(m *detour.Message, now time.Time, out detour.Outcome) bool {
	tries := triesInStep(m)
	delay := backoff(tries, e.cfg.BackoffBase, e.cfg.BackoffMax, out.RetryAfter, e.jitter())
	if tries < e.cfg.MaxTriesPerStep && now.Add(delay).Before(stepDeadline(m)) {
		m.Timer = &detour.Timer{Kind: detour.TimerSend, Step: m.Step, RunAt: now.Add(delay)}
		return false
	}
	return advance(m, now, out.Reason, out.Detail)
}
