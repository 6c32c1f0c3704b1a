package verify

import (
	"context"
	"strings"
	"time"

	"github.com/detourhq/detour"
)

// A verification's messages are stored with a token where the code goes,
// never the code: "{{verification_code:ver_…}}". The Renderer puts the
// code in at the last moment, between the dispatcher and the channel, so
// that the code exists only in memory on its way to the provider.
const (
	tokenPrefix = "{{verification_code:"
	tokenSuffix = "}}"
)

func token(id string) string { return tokenPrefix + id + tokenSuffix }

// RendererConfig configures a Renderer.
type RendererConfig struct {
	Store  detour.VerificationStore // required
	Secret detour.Secret            // required: the service's secret
	Clock  detour.Clock
	// TemplateChannels get a verification message as its template alone
	// (the WhatsApp authentication template with its copy-code button);
	// other channels get its text alone.
	TemplateChannels []string
}

// Renderer renders verification codes into messages as channels send
// them. Wrap every channel the dispatcher drives with it.
type Renderer struct {
	store        detour.VerificationStore
	codes        *codes
	clock        detour.Clock
	templateOnly map[string]bool
}

// NewRenderer returns a Renderer.
func NewRenderer(cfg RendererConfig) (*Renderer, error) {
	c, err := newCodes(cfg.Secret)
	if err != nil {
		return nil, err
	}
	if cfg.Store == nil {
		return nil, errNoStore
	}
	if cfg.Clock == nil {
		cfg.Clock = detour.SystemClock{}
	}
	r := &Renderer{store: cfg.Store, codes: c, clock: cfg.Clock, templateOnly: map[string]bool{}}
	for _, ch := range cfg.TemplateChannels {
		r.templateOnly[ch] = true
	}
	return r, nil
}

// Wrap returns ch rendering the codes of verification messages before they
// reach it; other messages pass unchanged. It keeps ch's routes.
func (r *Renderer) Wrap(ch detour.Channel) detour.Channel {
	c := &channel{Channel: ch, r: r}
	if rl, ok := ch.(detour.RouteLister); ok {
		return &routedChannel{channel: c, RouteLister: rl}
	}
	return c
}

type channel struct {
	detour.Channel
	r *Renderer
}

type routedChannel struct {
	*channel
	detour.RouteLister
}

// Send renders the code, if the message is a verification's, and sends.
func (c *channel) Send(ctx context.Context, s *detour.Send) detour.Outcome {
	id, ok := tokenIn(s.Content)
	if !ok {
		return c.Channel.Send(ctx, s)
	}
	content, code, refused := c.r.render(ctx, s, id, c.Name())
	if refused != nil {
		return *refused
	}
	r := *s
	r.Content = content
	out := c.Channel.Send(ctx, &r)
	// A provider's error may quote what it was sent: the code goes no
	// further than the channel.
	out.Detail = strings.ReplaceAll(out.Detail, code, "[code]")
	return out
}

// render returns the content of s with the code of verification id in
// place of its token, or the outcome that refuses the send: a verification
// that ended (approved, canceled ...) sends nothing more, even if its
// messages were not canceled (the service cancels them, but might die
// before it does).
func (r *Renderer) render(ctx context.Context, s *detour.Send, id, channel string) (*detour.Content, string, *detour.Outcome) {
	refuse := func(res detour.Result, reason detour.Code, detail string) (*detour.Content, string, *detour.Outcome) {
		return nil, "", &detour.Outcome{Result: res, Route: s.Route, Reason: reason, Detail: detail}
	}
	v, err := r.store.Verification(ctx, s.TenantID, id)
	now := r.clock.Now()
	switch {
	case detour.ErrorCode(err) == detour.CodeNotFound:
		return refuse(detour.Permanent, detour.ReasonRejected, "the message names a verification its tenant does not have")
	case err != nil:
		return refuse(detour.Retryable, detour.ReasonProviderError, "the verification could not be read to render its code")
	case v.To != s.To:
		return refuse(detour.Permanent, detour.ReasonRejected, "the message does not go to the verification's number")
	case v.Status != detour.VerificationPending:
		return refuse(detour.Permanent, detour.ReasonCanceled, "the verification is "+string(v.Status)+": its code is no longer sent")
	case !now.Before(v.ExpiresAt):
		return refuse(detour.Permanent, detour.ReasonExpired, "the verification expired: its code is no longer sent")
	}
	code := r.codes.derive(v.ID, v.CodeSeed, v.CodeLength)
	tok := token(v.ID)
	out := &detour.Content{}
	if strings.Contains(s.Content.Text, tok) {
		// The text is written anew, so that it tells the minutes left now
		// (a fallback goes out a while after the message was made).
		out.Text = smsText(v.Locale, v.Brand, code, int(v.ExpiresAt.Sub(now)/time.Minute))
	}
	if t := s.Content.Template; t != nil {
		rt := *t
		rt.Params = replaceAll(t.Params, tok, code)
		rt.Header = replaceAll(t.Header, tok, code)
		rt.Buttons = append([]detour.TemplateButton(nil), t.Buttons...)
		for i := range rt.Buttons {
			rt.Buttons[i].Value = strings.ReplaceAll(rt.Buttons[i].Value, tok, code)
		}
		out.Template = &rt
	}
	if r.templateOnly[channel] {
		return out.TemplateOnly(), code, nil
	}
	return out.TextOnly(), code, nil
}

// tokenIn returns the verification id of the first token in c, if any.
func tokenIn(c *detour.Content) (string, bool) {
	if c == nil {
		return "", false
	}
	fields := []string{c.Text}
	if c.Template != nil {
		fields = append(fields, c.Template.Params...)
		for _, b := range c.Template.Buttons {
			fields = append(fields, b.Value)
		}
	}
	for _, f := range fields {
		i := strings.Index(f, tokenPrefix)
		if i < 0 {
			continue
		}
		rest := f[i+len(tokenPrefix):]
		if j := strings.Index(rest, tokenSuffix); j > 0 && detour.ValidID("ver_", rest[:j]) {
			return rest[:j], true
		}
	}
	return "", false
}

func replaceAll(ss []string, old, repl string) []string {
	if ss == nil {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.ReplaceAll(s, old, repl)
	}
	return out
}
