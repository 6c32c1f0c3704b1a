package dispatch

import (
	"context"
	"time"

	"github.com/detourhq/detour"
)

// Receipt applies a provider's status report to the attempt it is about.
// A receipt for an attempt not recorded yet is kept and applied once the
// attempt appears (see RetryOrphans).
func (e *Engine) Receipt(ctx context.Context, r detour.Receipt) error {
	switch r.Status {
	case detour.AttemptSent, detour.AttemptDelivered, detour.AttemptRead, detour.AttemptFailed, detour.AttemptExpired:
	default:
		return detour.Errorf(detour.CodeInvalidRequest, "a receipt cannot report %q", r.Status)
	}
	if r.ProviderID == "" {
		return detour.Errorf(detour.CodeInvalidRequest, "a receipt needs the provider's message id")
	}
	now := e.clock.Now()
	matched, err := e.store.ApplyReceipt(ctx, r, func(m *detour.Message, a *detour.Attempt) error {
		return e.applyReceipt(now)(m, a, r)
	})
	if err != nil {
		return err
	}
	e.metrics.receipts.WithLabelValues(r.Channel, string(r.Status), boolLabel(matched)).Inc()
	if !matched {
		e.orphans.Add(1)
		e.wakeOrphans()
	}
	if matched && (r.Status == detour.AttemptFailed || r.Status == detour.AttemptExpired) {
		e.Notify() // the message may have moved to its next step
	}
	return nil
}

// applyReceipt returns the function that changes a message for a receipt.
// It also counts the status transition once the store has called it.
func (e *Engine) applyReceipt(now time.Time) func(*detour.Message, *detour.Attempt, detour.Receipt) error {
	return func(m *detour.Message, a *detour.Attempt, r detour.Receipt) error {
		from := m.Status
		if len(a.Parts) > 1 {
			// A multipart message is delivered when every part is, and
			// failed as soon as one part is.
			whole, _ := a.PartReceipt(r.ProviderID, r.Status)
			if whole == "" {
				return nil
			}
			r.Status = whole
		}
		at := r.At
		if at.IsZero() || at.After(now) {
			at = now
		}
		if at.Before(a.SentAt) {
			// An SMSC's done date has minute or second precision, and some
			// write local time: never before the provider took it.
			at = a.SentAt
		}
		if r.Status == detour.AttemptFailed || r.Status == detour.AttemptExpired {
			if a.Status == detour.AttemptSent || a.Status == detour.AttemptPending {
				a.ErrorCode, a.ErrorDetail = r.Reason, r.Detail
				if a.ErrorCode == "" {
					a.ErrorCode = detour.ReasonUndeliverable
					if r.Status == detour.AttemptExpired {
						a.ErrorCode = detour.ReasonExpired
					}
				}
			}
		}
		newlyDelivered := a.DeliveredAt.IsZero() && a.ReadAt.IsZero()
		if a.Status == detour.AttemptSent {
			e.observeReceipt(a, r.Status, at) // the first answer about this attempt
		}
		a.SetStatus(r.Status, at)
		switch r.Status {
		case detour.AttemptSent:
			m.SetStatus(detour.StatusSent, now)
		case detour.AttemptDelivered, detour.AttemptRead:
			if newlyDelivered && deliveredElsewhere(m, a) {
				e.metrics.doubleDeliveries.Inc() // a second attempt reached the handset
			}
			st := detour.StatusDelivered
			if r.Status == detour.AttemptRead {
				st = detour.StatusRead
			}
			if m.SetStatus(st, now) {
				m.ErrorCode, m.ErrorDetail = "", ""
			}
			if r.Status == detour.AttemptDelivered && awaitsRead(m, a) {
				break // the step's fallback still runs unless it is read
			}
			m.Timer = nil // cancels a pending fallback or expiry
		case detour.AttemptFailed, detour.AttemptExpired:
			e.onNegativeReceipt(m, a, now)
		}
		// Counted even if the batch later fails to commit; that is rare and
		// only skews a counter.
		e.metrics.transition(from, m)
		return nil
	}
}

// onNegativeReceipt moves on when the attempt the message was waiting for
// turns out undelivered.
func (e *Engine) onNegativeReceipt(m *detour.Message, a *detour.Attempt, now time.Time) {
	t := m.Timer
	if m.Status.Final() || t == nil || t.Owner != "" {
		return // nothing waits, or a send is in flight and will decide
	}
	switch {
	case t.Kind == detour.TimerFallback && a.Step == m.Step:
		advance(m, now, a.ErrorCode, a.ErrorDetail)
	case t.Kind == detour.TimerExpire && !awaitingReceipt(m):
		m.Fail(detour.StatusFailed, a.ErrorCode, a.ErrorDetail, now)
	}
}

// deliveredElsewhere reports whether an attempt other than a was
// delivered.
func deliveredElsewhere(m *detour.Message, a *detour.Attempt) bool {
	for _, o := range m.Attempts {
		if o != a && (!o.DeliveredAt.IsZero() || !o.ReadAt.IsZero()) {
			return true
		}
	}
	return false
}

func boolLabel(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// awaitsRead reports whether a's step waits for a read receipt, and its
// fallback is still pending.
func awaitsRead(m *detour.Message, a *detour.Attempt) bool {
	t := m.Timer
	return a.Step == m.Step && a.Step < len(m.Steps) && m.Steps[a.Step].Await == detour.AwaitRead &&
		t != nil && t.Kind == detour.TimerFallback && t.Owner == ""
}
