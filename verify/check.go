package verify

import (
	"context"
	"crypto/hmac"
	"unicode/utf8"

	"github.com/detourhq/detour"
)

// CheckVerification checks code against a verification and returns it as
// the check left it: approved; pending with a check fewer; or, with the
// fifth wrong code, max_attempts_reached. Each check of a pending
// verification takes one attempt, in the store, atomically: concurrent
// checks never share one. A verification that expired, was canceled or ran
// out of attempts is returned as it is; an approved one is
// verification_not_pending, so a code is approved at most once.
func (s *Service) CheckVerification(ctx context.Context, tenantID, id, code string) (*detour.Verification, error) {
	if !detour.ValidID("ver_", id) {
		return nil, detour.ErrNotFound
	}
	switch {
	case code == "":
		return nil, detour.FieldErrorf(detour.CodeMissingField, "code", "code is required")
	case len(code) > maxCodeInput || !utf8.ValidString(code):
		return nil, detour.FieldErrorf(detour.CodeInvalidRequest, "code", "code is at most %d bytes of UTF-8", maxCodeInput)
	}
	candidate := s.codes.hash(id, code) // outside the store's writer
	var before detour.VerificationStatus
	v, err := s.store.UpdateVerification(ctx, tenantID, id, func(v *detour.Verification) error {
		now := s.now()
		before = v.Status
		switch {
		case v.Expire(now):
			return nil
		case v.Status == detour.VerificationApproved:
			return notPending(v)
		case v.Status != detour.VerificationPending:
			return nil
		}
		v.Checks++
		v.UpdatedAt = now
		switch {
		case hmac.Equal(v.CodeHash, candidate): // constant time
			v.SetStatus(detour.VerificationApproved, now)
		case v.Checks >= detour.MaxVerificationChecks:
			v.SetStatus(detour.VerificationMaxAttempts, now)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var canceled []*detour.Message
	if before == detour.VerificationPending && v.Status.Final() {
		canceled = s.cancelSends(ctx, v)
	}
	return s.view(ctx, v, canceled...)
}

// CancelVerification ends a pending verification and cancels its messages
// still pending. One already ended is verification_not_pending.
func (s *Service) CancelVerification(ctx context.Context, tenantID, id string) (*detour.Verification, error) {
	if !detour.ValidID("ver_", id) {
		return nil, detour.ErrNotFound
	}
	expired := false
	v, err := s.store.UpdateVerification(ctx, tenantID, id, func(v *detour.Verification) error {
		now := s.now()
		if v.Expire(now) {
			expired = true
			return nil
		}
		if !v.SetStatus(detour.VerificationCanceled, now) {
			return notPending(v)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if expired {
		return nil, notPending(v)
	}
	return s.view(ctx, v, s.cancelSends(ctx, v)...)
}

// Verification returns one of the tenant's verifications with its sends.
// A pending one whose expiry passed is expired now, with its event.
func (s *Service) Verification(ctx context.Context, tenantID, id string) (*detour.Verification, error) {
	v, err := s.verification(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	return s.view(ctx, v)
}

// verification reads a verification, expiring it if its expiry passed.
func (s *Service) verification(ctx context.Context, tenantID, id string) (*detour.Verification, error) {
	if !detour.ValidID("ver_", id) {
		return nil, detour.ErrNotFound
	}
	v, err := s.store.Verification(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	if v.Status == detour.VerificationPending && !s.now().Before(v.ExpiresAt) {
		return s.store.UpdateVerification(ctx, tenantID, id, func(v *detour.Verification) error {
			v.Expire(s.now())
			return nil
		})
	}
	return v, nil
}

// view returns v with each send's message status and the channel it is on
// now (the one that delivered it, or its latest attempt's). Sends still
// being made are left out. Messages in known (by id) are not read again.
func (s *Service) view(ctx context.Context, v *detour.Verification, known ...*detour.Message) (*detour.Verification, error) {
	out := v.Clone()
	out.Sends = out.Sends[:0]
	for _, send := range v.Sends {
		if send.MessageID == "" {
			continue
		}
		var m *detour.Message
		for _, k := range known {
			if k != nil && k.ID == send.MessageID {
				m = k
			}
		}
		if m == nil {
			var err error
			if m, err = s.msgs.Message(ctx, v.TenantID, send.MessageID); err != nil {
				return nil, err
			}
		}
		send.Status = m.Status
		if a := m.DeliveredBy(); a != nil {
			send.Channel = a.Channel
		} else if n := len(m.Attempts); n > 0 {
			send.Channel = m.Attempts[n-1].Channel
		}
		out.Sends = append(out.Sends, send)
	}
	return out, nil
}

// cancelSends cancels v's messages that are not final, so that no
// fallback or retry sends an ended verification's code, and returns the
// messages it canceled. The Renderer refuses such sends anyway; this
// saves the attempts.
func (s *Service) cancelSends(ctx context.Context, v *detour.Verification) []*detour.Message {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cancelDeadline)
	defer cancel()
	var out []*detour.Message
	for _, send := range v.Sends {
		if send.MessageID == "" || send.Status.Final() {
			continue
		}
		m, err := s.msgs.CancelMessage(ctx, v.TenantID, send.MessageID)
		switch detour.ErrorCode(err) {
		case "":
			out = append(out, m)
		case detour.CodeNotCancelable, detour.CodeNotFound:
		default:
			s.log.Warn("verify: canceling a message of an ended verification failed", "verification", v.ID,
				"message", send.MessageID, "err", err)
		}
	}
	return out
}

func notPending(v *detour.Verification) error {
	return detour.Errorf(detour.CodeNotPending, "the verification is %s", v.Status)
}
