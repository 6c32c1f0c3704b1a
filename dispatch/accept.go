package dispatch

import (
	"context"
	"fmt"
	"net/url"
	"time"
	"unicode/utf8"

	"github.com/detourhq/detour"
)

// Limits on the fields of a send request that the core does not check.
const (
	MaxClientRef     = 128
	MaxCallbackURL   = 2048
	MaxMetadataKeys  = 16
	MaxMetadataKey   = 40
	MaxMetadataValue = 500
	MinValidity      = time.Second
	MinFallbackAfter = time.Second
)

// SendMessage validates req, stores the message with its first send timer
// in one durable write, and wakes the loop.
func (e *Engine) SendMessage(ctx context.Context, tenantID string, req *detour.SendRequest, idem *detour.Idempotency) (*detour.Message, bool, error) {
	m, err := e.build(tenantID, req)
	if err != nil {
		return nil, false, err
	}
	// With a free send slot the message is stored already leased to this
	// node and sent straight away: no claim, one durable write fewer. If
	// the node dies, the lease runs out and any node claims it, as with
	// any other send in flight.
	direct := e.reserveDirect()
	if direct {
		m.Timer.Owner, m.Timer.Lease = e.cfg.Owner, 1
		m.Timer.RunAt = m.CreatedAt.Add(e.cfg.Lease)
	}
	stored, replayed, err := e.store.CreateMessage(ctx, m, idem)
	switch {
	case direct && (err != nil || replayed):
		e.releaseDirect()
	case direct:
		e.startDirect(stored.Clone()) // the caller keeps the stored state
	case err == nil && !replayed:
		e.Notify()
	}
	if err != nil {
		return nil, false, err
	}
	return stored, replayed, nil
}

// build turns a request into a new message, or says which field is wrong.
func (e *Engine) build(tenantID string, req *detour.SendRequest) (*detour.Message, error) {
	to, _, err := detour.ParseE164(req.To)
	if err != nil {
		return nil, err
	}
	if err := req.Content.Validate(); err != nil {
		return nil, err
	}
	steps := req.Channels
	if steps == nil {
		steps = e.cfg.DefaultPolicy
	}
	if len(steps) == 0 {
		return nil, detour.FieldErrorf(detour.CodeInvalidRequest, "channels", "channels, when given, has at least one step")
	}
	if len(steps) > e.cfg.MaxSteps {
		return nil, detour.FieldErrorf(detour.CodeInvalidRequest, "channels", "a policy has at most %d steps", e.cfg.MaxSteps)
	}
	for i, s := range steps {
		if err := e.checkStep(s, i, &req.Content); err != nil {
			return nil, err
		}
	}
	validity := req.Validity.Std()
	if validity == 0 {
		validity = e.cfg.DefaultValidity
	}
	if validity < MinValidity || validity > e.cfg.MaxValidity {
		return nil, detour.FieldErrorf(detour.CodeInvalidRequest, "validity", "validity must be between %s and %s", MinValidity, e.cfg.MaxValidity)
	}
	prio := req.Priority
	if prio == "" {
		prio = detour.PriorityNormal
	}
	if prio.Rank() < 0 {
		return nil, detour.FieldErrorf(detour.CodeInvalidRequest, "priority", "priority must be otp, high, normal or bulk")
	}
	if err := checkRef(req.ClientRef); err != nil {
		return nil, err
	}
	if err := checkCallback(req.CallbackURL); err != nil {
		return nil, err
	}
	if req.CallbackURL != "" && e.cfg.CallbackURL != nil {
		if err := e.cfg.CallbackURL(req.CallbackURL); err != nil {
			return nil, err
		}
	}
	if err := checkMetadata(req.Metadata); err != nil {
		return nil, err
	}
	now := e.clock.Now().UTC().Truncate(time.Microsecond)
	m := &detour.Message{
		ID:          e.cfg.IDs.New("msg_"),
		TenantID:    tenantID,
		To:          to,
		Content:     req.Content,
		Steps:       append([]detour.Step(nil), steps...),
		Priority:    prio,
		ClientRef:   req.ClientRef,
		CallbackURL: req.CallbackURL,
		Metadata:    req.Metadata,
		Status:      detour.StatusQueued,
		CreatedAt:   now,
		UpdatedAt:   now,
		ExpiresAt:   now.Add(validity),
		Timer:       &detour.Timer{Kind: detour.TimerSend, RunAt: now},
	}
	return m, nil
}

// checkStep checks that step i names a configured channel and route, and,
// when kind is set, that the channel carries that kind of content.
func (e *Engine) checkStep(s detour.Step, i int, content *detour.Content) error {
	field := fmt.Sprintf("channels[%d]", i)
	if s.Channel == "" {
		return detour.FieldErrorf(detour.CodeMissingField, field+".channel", "every step names a channel")
	}
	ch, ok := e.channels[s.Channel]
	if !ok {
		return detour.FieldErrorf(detour.CodeUnknownChannel, field+".channel", "no channel named %q is configured", truncate(s.Channel, 40))
	}
	if s.Route != "" {
		if routes, has := e.routes[s.Channel]; !has || !routes[s.Route] {
			return detour.FieldErrorf(detour.CodeUnknownRoute, field+".route", "channel %q has no route named %q", s.Channel, truncate(s.Route, 40))
		}
	}
	if s.FallbackAfter != 0 && s.FallbackAfter.Std() < MinFallbackAfter {
		return detour.FieldErrorf(detour.CodeInvalidRequest, field+".fallback_after", "fallback_after is at least %s", MinFallbackAfter)
	}
	switch s.Await {
	case "", detour.AwaitDelivered, detour.AwaitRead:
	default:
		return detour.FieldErrorf(detour.CodeInvalidRequest, field+".await", "await is delivered or read")
	}
	if content != nil {
		if _, ok := e.contentFor(ch, content); !ok {
			return detour.FieldErrorf(detour.CodeContentNotSupported, field+".channel", "channel %q cannot carry %s content"+
				" (a template needs a text in messages.template_texts, or a text alternative, to go by SMS)", s.Channel, content.Kind())
		}
	}
	return nil
}

func checkRef(ref string) error {
	if len(ref) > MaxClientRef || !utf8.ValidString(ref) {
		return detour.FieldErrorf(detour.CodeInvalidRequest, "client_ref", "client_ref is valid UTF-8 of at most %d bytes", MaxClientRef)
	}
	return nil
}

func checkCallback(s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(s) > MaxCallbackURL || u.User != nil {
		return detour.FieldErrorf(detour.CodeInvalidRequest, "callback_url", "callback_url is an absolute http(s) URL without credentials, at most %d bytes", MaxCallbackURL)
	}
	return nil
}

func checkMetadata(md map[string]string) error {
	if len(md) > MaxMetadataKeys {
		return detour.FieldErrorf(detour.CodeInvalidRequest, "metadata", "metadata has at most %d keys", MaxMetadataKeys)
	}
	for k, v := range md {
		if k == "" || len(k) > MaxMetadataKey || !utf8.ValidString(k) {
			return detour.FieldErrorf(detour.CodeInvalidRequest, "metadata", "metadata keys are 1 to %d bytes of UTF-8", MaxMetadataKey)
		}
		if len(v) > MaxMetadataValue || !utf8.ValidString(v) {
			return detour.FieldErrorf(detour.CodeInvalidRequest, "metadata."+k, "metadata values are at most %d bytes of UTF-8", MaxMetadataValue)
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Message returns one of the tenant's messages with its attempts.
func (e *Engine) Message(ctx context.Context, tenantID, id string) (*detour.Message, error) {
	if !detour.ValidID("msg_", id) {
		return nil, detour.ErrNotFound
	}
	return e.store.Message(ctx, tenantID, id)
}

// Messages lists the tenant's messages, newest first.
func (e *Engine) Messages(ctx context.Context, f detour.MessageFilter) (detour.MessagePage, error) {
	return e.store.Messages(ctx, f)
}

// CancelMessage ends a message that is not final yet; pending retries and
// fallbacks are dropped with its timer.
func (e *Engine) CancelMessage(ctx context.Context, tenantID, id string) (*detour.Message, error) {
	if !detour.ValidID("msg_", id) {
		return nil, detour.ErrNotFound
	}
	var out *detour.Message
	var from detour.Status
	err := e.store.UpdateMessage(ctx, id, func(m *detour.Message) error {
		if m.TenantID != tenantID {
			return detour.ErrNotFound
		}
		if m.Status.Final() {
			return detour.Errorf(detour.CodeNotCancelable, "the message is already %s", m.Status)
		}
		from = m.Status
		m.Fail(detour.StatusCanceled, detour.ReasonCanceled, "canceled by the API caller", e.clock.Now())
		out = m
		return nil
	})
	if err != nil {
		return nil, err
	}
	e.metrics.transition(from, out)
	return out, nil
}
