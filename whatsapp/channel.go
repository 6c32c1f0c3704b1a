package whatsapp

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/detourhq/detour"
)

// Window is the customer-service window: free-form messages may go to a
// user only this long after the user's last message to the number.
const Window = 24 * time.Hour

// unusableFor is how long a business number whose token or account was
// refused (RouteUnusable) is left out before it is tried again.
const unusableFor = time.Minute

// ChannelCarries are the content kinds WhatsApp carries.
var ChannelCarries = []detour.ContentKind{detour.KindText, detour.KindTemplate, detour.KindMedia, detour.KindInteractive}

// WhatsApp is the WhatsApp channel: a Client over the configured business
// numbers, each a route with its own throughput limit.
type WhatsApp struct {
	client  *Client
	clock   detour.Clock
	last    func(ctx context.Context, route, user string) (time.Time, bool, error)
	numbers []*number
	byName  map[string]*number
}

type number struct {
	Number
	mu            sync.Mutex
	next          time.Time // earliest time the next message may go (throughput)
	unusableUntil atomic.Int64
}

var (
	_ detour.Channel     = (*WhatsApp)(nil)
	_ detour.RouteLister = (*WhatsApp)(nil)
)

// NewChannel returns the channel for cfg.
func NewChannel(cfg Config) (*WhatsApp, error) {
	cfg = cfg.WithDefaults()
	client, err := NewClient(cfg)
	if err != nil {
		return nil, err
	}
	w := &WhatsApp{client: client, clock: cfg.Clock, last: cfg.LastInbound, byName: map[string]*number{}}
	if w.clock == nil {
		w.clock = detour.SystemClock{}
	}
	for _, n := range client.Numbers() {
		nn := &number{Number: n}
		w.numbers = append(w.numbers, nn)
		w.byName[n.Name] = nn
	}
	return w, nil
}

// Name returns "whatsapp".
func (w *WhatsApp) Name() string { return Channel }

// Carries reports whether WhatsApp carries content of kind k.
func (w *WhatsApp) Carries(k detour.ContentKind) bool {
	for _, c := range ChannelCarries {
		if c == k {
			return true
		}
	}
	return false
}

// Routes lists the business numbers' names.
func (w *WhatsApp) Routes() []string {
	out := make([]string, len(w.numbers))
	for i, n := range w.numbers {
		out[i] = n.Name
	}
	return out
}

// Send sends from the step's business number, or from the first usable
// one, after waiting for that number's throughput allowance.
func (w *WhatsApp) Send(ctx context.Context, s *detour.Send) detour.Outcome {
	n := w.pick(s.Route)
	if n == nil {
		return detour.RetryableOutcome(s.Route, detour.ReasonUnreachable, "no usable WhatsApp business number")
	}
	if w.outsideWindow(ctx, n, s) {
		if s.Content.Template == nil {
			return detour.PermanentOutcome(n.Name, detour.ReasonOutsideWindow,
				"free-form WhatsApp needs a message from the user in the last 24 hours; send a template")
		}
		c := *s
		c.Content = s.Content.TemplateOnly() // the message's own template
		s = &c
	} else if s.Content != nil && s.Content.Text != "" && s.Content.Template != nil {
		c := *s
		c.Content = s.Content.TextOnly() // inside the window the text goes as written
		s = &c
	}
	if err := n.wait(ctx, w.clock); err != nil {
		return detour.RetryableOutcome(n.Name, detour.ReasonThrottled, "the business number's throughput limit was not free in time")
	}
	out, v := w.client.Submit(ctx, n.PhoneNumberID, s)
	out.Route = n.Name
	if v.RouteUnusable {
		n.unusableUntil.Store(w.clock.Now().Add(unusableFor).UnixNano())
	}
	return out
}

// outsideWindow reports whether s is free-form content to a user whose
// customer-service window with number n is closed. Templates may always
// go; when the window is not known, Meta decides (131047).
func (w *WhatsApp) outsideWindow(ctx context.Context, n *number, s *detour.Send) bool {
	if s.Content == nil || s.Content.Kind() == detour.KindTemplate {
		return false
	}
	if w.last == nil {
		// Meta decides (131047), except for text with a template: send the
		// template, which always goes.
		return s.Content.Template != nil
	}
	at, ok, err := w.last(ctx, n.Name, s.To)
	if err != nil {
		return false
	}
	return !ok || w.clock.Now().Sub(at) >= Window
}

// pick returns the named number, or the first one not marked unusable.
func (w *WhatsApp) pick(name string) *number {
	if name != "" {
		return w.byName[name]
	}
	now := w.clock.Now().UnixNano()
	for _, n := range w.numbers {
		if n.unusableUntil.Load() <= now {
			return n
		}
	}
	return nil
}

// wait spaces messages 1/Throughput apart (a GCRA without burst), waiting
// on the clock, bounded by ctx.
func (n *number) wait(ctx context.Context, clock detour.Clock) error {
	if n.Throughput <= 0 {
		return nil
	}
	gap := time.Duration(float64(time.Second) / n.Throughput)
	n.mu.Lock()
	now := clock.Now()
	at := n.next
	if at.Before(now) {
		at = now
	}
	n.next = at.Add(gap)
	n.mu.Unlock()
	d := at.Sub(now)
	if d <= 0 {
		return nil
	}
	t := clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Usable reports whether the named business number is in use, that is not
// left out after Meta refused its token or account.
func (w *WhatsApp) Usable(name string) bool {
	n := w.byName[name]
	return n != nil && n.unusableUntil.Load() <= w.clock.Now().UnixNano()
}
