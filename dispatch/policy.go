package dispatch

import (
	"strings"
	"time"

	"github.com/detourhq/detour"
)

// The state machine of one message. Every function here changes a loaded
// message in memory; the store saves the result atomically. now is the
// engine clock's time.

// advance moves the message past its current step because of reason. It
// reports whether the next step should be sent now: if so the message's
// timer is a send timer due now, otherwise the message waits for a
// receipt until its validity ends, or failed.
func advance(m *detour.Message, now time.Time, reason detour.Code, detail string) bool {
	if m.Step+1 < len(m.Steps) {
		m.Step++
		m.StepStartedAt = now
		m.Timer = &detour.Timer{Kind: detour.TimerSend, Step: m.Step, RunAt: now}
		return true
	}
	if awaitingReceipt(m) {
		// Every step was tried, but one of them was accepted and may still
		// be delivered: wait for its receipt until the validity ends.
		m.Timer = &detour.Timer{Kind: detour.TimerExpire, Step: m.Step, RunAt: m.ExpiresAt}
		return false
	}
	if reason == "" {
		reason = detour.ReasonNoSteps
	}
	m.Fail(detour.StatusFailed, reason, detail, now)
	return false
}

// awaitingReceipt reports whether some attempt was accepted and has no
// final receipt yet.
func awaitingReceipt(m *detour.Message) bool {
	for _, a := range m.Attempts {
		if a.Status == detour.AttemptSent {
			return true
		}
	}
	return false
}

// waitForReceipt sets the timer that follows an accepted send of the
// current step: the step's fallback deadline if it has one and a next step
// exists, else the end of validity.
func waitForReceipt(m *detour.Message) {
	step := m.Steps[m.Step]
	if step.FallbackAfter > 0 && m.Step+1 < len(m.Steps) {
		at := m.StepStartedAt.Add(step.FallbackAfter.Std())
		if at.Before(m.ExpiresAt) {
			m.Timer = &detour.Timer{Kind: detour.TimerFallback, Step: m.Step, RunAt: at}
			return
		}
	}
	m.Timer = &detour.Timer{Kind: detour.TimerExpire, Step: m.Step, RunAt: m.ExpiresAt}
}

// stepDeadline is when the current step must give way: its fallback
// deadline if it has one and a next step exists, else the end of validity.
func stepDeadline(m *detour.Message) time.Time {
	step := m.Steps[m.Step]
	if step.FallbackAfter > 0 && m.Step+1 < len(m.Steps) {
		if at := m.StepStartedAt.Add(step.FallbackAfter.Std()); at.Before(m.ExpiresAt) {
			return at
		}
	}
	return m.ExpiresAt
}

// triesInStep counts the attempts made for the current step.
func triesInStep(m *detour.Message) int {
	n := 0
	for _, a := range m.Attempts {
		if a.Step == m.Step {
			n++
		}
	}
	return n
}

// backoff returns the delay before retry number tries (1 for the first
// retry): exponential from base, capped at max, with up to ±20% jitter
// drawn from u in [0,1), and never shorter than the provider's hint.
func backoff(tries int, base, maxDelay, hint time.Duration, u float64) time.Duration {
	d := base
	for i := 1; i < tries && d < maxDelay; i++ {
		d *= 2
	}
	d = min(d, maxDelay)
	d = time.Duration(float64(d) * (0.8 + 0.4*u))
	return max(d, hint)
}

// expire ends a message whose validity ran out, unless it was delivered.
func expire(m *detour.Message, now time.Time) {
	if m.Status.Delivered() {
		m.Timer = nil
		return
	}
	m.Fail(detour.StatusExpired, detour.ReasonExpired, "the validity ended before a delivery receipt arrived", now)
}

// contentFor returns what ch sends of c: c itself when ch carries its
// kind; for a template on a channel that carries only text, the template's
// text from TemplateTexts. ok is false when ch cannot send c at all.
func (e *Engine) contentFor(ch detour.Channel, c *detour.Content) (*detour.Content, bool) {
	kind := c.Kind()
	if ch.Carries(kind) {
		return c, true
	}
	if kind != detour.KindTemplate || !ch.Carries(detour.KindText) {
		return nil, false
	}
	text, ok := e.templateText(c.Template)
	if !ok {
		return nil, false
	}
	return &detour.Content{Text: text}, true
}

// templateText renders t with the configured text of its name and
// language: the exact language, its base ("pt" for "pt_BR"), then "".
func (e *Engine) templateText(t *detour.Template) (string, bool) {
	langs := e.cfg.TemplateTexts[t.Name]
	if langs == nil {
		return "", false
	}
	base, _, _ := strings.Cut(t.Language, "_")
	for _, l := range []string{t.Language, base, ""} {
		if text, ok := langs[l]; ok {
			return detour.RenderParams(text, t.Params), true
		}
	}
	return "", false
}
