package verify

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/detourhq/detour"
)

// params are a start request checked, with the defaults applied.
type params struct {
	to, region string
	channels   []string
	codeLength int
	expiry     time.Duration
	locale     string
	template   string
	brand      string
}

// params checks req field by field; errors name the field.
func (s *Service) params(req *detour.VerificationRequest) (*params, error) {
	to, region, err := detour.ParseE164(req.To)
	if err != nil {
		return nil, err
	}
	p := &params{to: to, region: region, channels: req.Channels, codeLength: req.CodeLength, expiry: req.Expiry.Std(),
		locale: req.Locale, template: req.Template, brand: req.Brand}
	if p.channels == nil {
		p.channels = s.cfg.Channels
	}
	if err := s.checkChannels(p.channels); err != nil {
		return nil, err
	}
	if p.codeLength == 0 {
		p.codeLength = s.cfg.CodeLength
	}
	if p.codeLength < detour.MinCodeLength || p.codeLength > detour.MaxCodeLength {
		return nil, detour.FieldErrorf(detour.CodeInvalidRequest, "code_length", "code_length is %d to %d", detour.MinCodeLength, detour.MaxCodeLength)
	}
	if p.expiry == 0 {
		p.expiry = s.cfg.Expiry
	}
	if p.expiry < MinExpiry || p.expiry > MaxExpiry {
		return nil, detour.FieldErrorf(detour.CodeInvalidRequest, "expiry", "expiry is %s to %s", MinExpiry, MaxExpiry)
	}
	if p.locale == "" {
		p.locale = s.cfg.Locale
	}
	if !validLocale(p.locale) {
		return nil, detour.FieldErrorf(detour.CodeInvalidRequest, "locale", "locale is a language tag such as en, es-MX or pt_BR")
	}
	p.locale = language(p.locale)
	if p.template == "" {
		p.template = s.cfg.Template
	}
	if len(p.template) > 512 || strings.TrimFunc(p.template, func(r rune) bool {
		return r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_'
	}) != "" {
		return nil, detour.FieldErrorf(detour.CodeInvalidRequest, "template", "template names use lowercase letters, digits and underscores")
	}
	if p.brand == "" {
		p.brand = s.cfg.Brand
	}
	if !utf8.ValidString(p.brand) || utf8.RuneCountInString(p.brand) > MaxBrandLength ||
		strings.IndexFunc(p.brand, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 || strings.TrimSpace(p.brand) != p.brand {
		return nil, detour.FieldErrorf(detour.CodeInvalidRequest, "brand", "brand is at most %d printable characters, without surrounding spaces", MaxBrandLength)
	}
	return p, nil
}

func (s *Service) checkChannels(chs []string) error {
	if len(chs) == 0 || len(chs) > MaxChannels {
		return detour.FieldErrorf(detour.CodeInvalidRequest, "channels", "channels has 1 to %d channels", MaxChannels)
	}
	for i, ch := range chs {
		field := fmt.Sprintf("channels[%d]", i)
		if err := s.checkChannel(field, ch); err != nil {
			return err
		}
		if slices.Index(chs, ch) != i {
			return detour.FieldErrorf(detour.CodeInvalidRequest, field, "channel %q repeats", ch)
		}
	}
	return nil
}

func (s *Service) checkChannel(field, ch string) error {
	switch {
	case ch == "":
		return detour.FieldErrorf(detour.CodeMissingField, field, "a channel is named")
	case s.known != nil && !s.known[ch]:
		return detour.FieldErrorf(detour.CodeUnknownChannel, field, "no channel named %q is configured", truncate(ch, 40))
	}
	return nil
}

func validLocale(s string) bool {
	if len(s) < 2 || len(s) > 35 {
		return false
	}
	for i, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' && i > 2 || (r == '-' || r == '_') && i >= 2) {
			return false
		}
	}
	return true
}

// StartVerification sends a new code to req.To, unless the tenant has a
// verification of that number pending: that one is returned, with
// created=false, and nothing is sent (req.New cancels it and starts anew).
func (s *Service) StartVerification(ctx context.Context, tenantID string, req *detour.VerificationRequest) (*detour.Verification, bool, error) {
	p, err := s.params(req)
	if err != nil {
		return nil, false, err
	}
	if err := s.limits.country(p.region); err != nil {
		return nil, false, err
	}
	now := s.now()
	if !req.New {
		old, err := s.store.PendingVerification(ctx, tenantID, p.to)
		switch {
		case err == nil && now.Before(old.ExpiresAt):
			v, err := s.view(ctx, old)
			return v, false, err
		case err != nil && detour.ErrorCode(err) != detour.CodeNotFound:
			return nil, false, err
		}
	}
	if err := s.limits.take(tenantID, p.to, now); err != nil {
		return nil, false, err
	}
	seed, err := newSeed(s.rand)
	if err != nil {
		return nil, false, err
	}
	v := &detour.Verification{
		ID: s.ids.New("ver_"), TenantID: tenantID, To: p.to, Channels: p.channels, Locale: p.locale,
		Template: p.template, Brand: p.brand, CodeLength: p.codeLength, CodeSeed: seed,
		Status: detour.VerificationPending, Sends: []detour.VerificationSend{{Channel: p.channels[0], CreatedAt: now}},
		CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(p.expiry),
	}
	v.CodeHash = s.codes.hash(v.ID, s.codes.derive(v.ID, seed, p.codeLength))
	stored, ended, err := s.store.CreateVerification(ctx, v, req.New)
	if err != nil {
		return nil, false, err
	}
	if ended != nil {
		s.cancelSends(ctx, ended)
	}
	if stored.ID != v.ID {
		// Another start for the number won the race.
		out, err := s.view(ctx, stored)
		return out, false, err
	}
	stored, m, err := s.send(ctx, stored, 0, stored.Channels, true)
	if err != nil {
		return nil, false, err
	}
	out, err := s.view(ctx, stored, m)
	return out, true, err
}

// ResendVerification sends the code again: on req.Channel, or on the
// channel after the one the last message went out on (the same one when
// it was the last). The messages still pending are canceled first, so
// their fallbacks do not follow.
func (s *Service) ResendVerification(ctx context.Context, tenantID, id string, req *detour.ResendRequest) (*detour.Verification, error) {
	v, err := s.verification(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	if err := checkResend(v, s.now()); err != nil {
		return nil, err
	}
	cur, err := s.view(ctx, v)
	if err != nil {
		return nil, err
	}
	ch := req.Channel
	if ch == "" {
		ch = nextChannel(cur)
	} else if err := s.checkChannel("channel", ch); err != nil {
		return nil, err
	}
	now := s.now()
	if err := s.limits.take(tenantID, v.To, now); err != nil {
		return nil, err
	}
	idx := -1
	v, err = s.store.UpdateVerification(ctx, tenantID, id, func(v *detour.Verification) error {
		if v.Expire(now) {
			return nil
		}
		if err := checkResend(v, now); err != nil {
			return err
		}
		v.Sends = append(v.Sends, detour.VerificationSend{Channel: ch, CreatedAt: now})
		v.UpdatedAt = now
		idx = len(v.Sends) - 1
		return nil
	})
	if err != nil {
		return nil, err
	}
	if idx < 0 {
		return nil, notPending(v)
	}
	known := s.cancelSends(ctx, cur)
	policy := []string{ch}
	if i := slices.Index(v.Channels, ch); i >= 0 {
		policy = v.Channels[i:]
	}
	v, m, err := s.send(ctx, v, idx, policy, false)
	if err != nil {
		return nil, err
	}
	return s.view(ctx, v, append(known, m)...)
}

func checkResend(v *detour.Verification, now time.Time) error {
	switch {
	case v.Status != detour.VerificationPending:
		return notPending(v)
	case len(v.Sends) >= detour.MaxVerificationSends:
		e := detour.Errorf(detour.CodeVerifyMaxSends, "the verification sent the %d messages it may; start a new one (\"new\": true)", detour.MaxVerificationSends)
		e.RetryAfter = v.ExpiresAt.Sub(now) // when a start without "new" sends again
		return e
	}
	return nil
}

// nextChannel returns the channel after the one v's last message is on,
// or that one if it is the last.
func nextChannel(v *detour.Verification) string {
	if len(v.Sends) == 0 {
		return v.Channels[0]
	}
	i := slices.Index(v.Channels, v.Sends[len(v.Sends)-1].Channel)
	return v.Channels[min(i+1, len(v.Channels)-1)]
}

// send makes the message of v's reserved send idx, with channels as its
// policy, and records its id. If the message cannot be made, the
// reservation is released (a start's verification is canceled: nothing
// was sent).
func (s *Service) send(ctx context.Context, v *detour.Verification, idx int, channels []string, start bool) (*detour.Verification, *detour.Message, error) {
	req, err := s.request(v, channels)
	var m *detour.Message
	if err == nil {
		m, _, err = s.msgs.SendMessage(ctx, v.TenantID, req, nil)
	}
	ctx = context.WithoutCancel(ctx) // what follows must happen even if the caller left
	if err != nil {
		// The reservation stays, empty (hidden, and counted against the
		// sends): deleting it would shift the index another send in flight
		// holds. A start that sent nothing ends its verification.
		var uerr error
		if start {
			_, uerr = s.store.UpdateVerification(ctx, v.TenantID, v.ID, func(v *detour.Verification) error {
				v.SetStatus(detour.VerificationCanceled, s.now())
				return nil
			})
		}
		if uerr != nil {
			s.log.Error("verify: releasing a send that was not made failed", "verification", v.ID, "err", uerr)
		}
		return nil, nil, err
	}
	v, err = s.store.UpdateVerification(ctx, v.TenantID, v.ID, func(v *detour.Verification) error {
		if idx >= len(v.Sends) {
			return detour.Errorf(detour.CodeInternal, "verification %s lost its send %d", v.ID, idx)
		}
		v.Sends[idx].MessageID = m.ID
		return nil
	})
	if err == nil && v.Status != detour.VerificationPending {
		// It ended while the message was being made (a "new" start
		// canceled it): the message goes nowhere, and the caller hears so.
		if _, cerr := s.msgs.CancelMessage(ctx, v.TenantID, m.ID); cerr != nil && detour.ErrorCode(cerr) != detour.CodeNotCancelable {
			s.log.Error("verify: canceling the message of an ended verification failed", "verification", v.ID, "err", cerr)
		}
		return nil, nil, notPending(v)
	}
	return v, m, err
}

// request builds the message of a send: the authentication template with
// the code as its body parameter and copy-code button, and the localized
// SMS text, both with the token in place of the code; valid until the
// verification expires, with the fallback window between channels.
func (s *Service) request(v *detour.Verification, channels []string) (*detour.SendRequest, error) {
	left := v.ExpiresAt.Sub(s.now())
	if left < time.Second {
		return nil, notPending(&detour.Verification{Status: detour.VerificationExpired})
	}
	steps := make([]detour.Step, len(channels))
	for i, ch := range channels {
		steps[i].Channel = ch
		if i < len(channels)-1 {
			steps[i].FallbackAfter = detour.Duration(s.cfg.FallbackAfter)
		}
	}
	tok := token(v.ID)
	return &detour.SendRequest{
		To: v.To,
		Content: detour.Content{
			Text: smsText(v.Locale, v.Brand, tok, int(left/time.Minute)),
			Template: &detour.Template{Name: v.Template, Language: templateLanguages[v.Locale], Params: []string{tok},
				Buttons: []detour.TemplateButton{{Type: "copy_code", Index: 0, Value: tok}}},
		},
		Channels: steps,
		Validity: detour.Duration(left),
		Priority: detour.PriorityOTP,
		Metadata: map[string]string{"verification_id": v.ID},
	}, nil
}

func (s *Service) now() time.Time { return s.clock.Now().UTC().Truncate(time.Microsecond) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
