package sms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/smpp"
	"github.com/detourhq/detour/smpp/coding"
)

// Name is the SMS channel's name in policies.
const Name = "sms"

// slowFor is how long a route that throttled us is tried only after the
// others, at least; longer while its SMPP client pauses submits.
const slowFor = time.Second

// unboundWait is how long a send waits for a route with no bound
// connection when other routes remain to be tried.
const unboundWait = 100 * time.Millisecond

// deliverWorkers is how many deliver_sm of one connection are handled at
// once (see smpp.ClientConfig.DeliverWorkers).
const deliverWorkers = 64

// Config configures the SMS channel.
type Config struct {
	Routes   []RouteConfig
	Receipts detour.ReceiptSink
	// Inbound stores messages from handsets; nil drops them (logged).
	Inbound func(ctx context.Context, in *detour.Inbound) error
	Clock   detour.Clock
	Logger  *slog.Logger
	IDs     *detour.IDSource
	Rand    *rand.Rand
	// Dial replaces net.Dialer for the SMPP connections (tests).
	Dial func(ctx context.Context, addr string) (net.Conn, error)
	// RouteUp says whether the outage detector has a route up; routes
	// that are down are tried last (only when nothing else covers the
	// number, as the detector's probes). nil: every route is up.
	RouteUp func(route string) bool
	// Rerouted hears of each submit a send moved on from to another
	// route (the outcome of the last one the send returns); nil: none.
	Rerouted func(route string, at time.Time, took time.Duration, out detour.Outcome)
}

// Channel sends text messages over SMPP across the configured routes.
type Channel struct {
	table    *Table
	routes   map[string]*route
	order    []*route
	receipts detour.ReceiptSink
	inbound  func(ctx context.Context, in *detour.Inbound) error
	clock    detour.Clock
	log      *slog.Logger
	ids      *detour.IDSource

	rndMu sync.Mutex
	rnd   *rand.Rand
	ref   atomic.Uint32 // concatenation references

	parts reassembly

	routeUp  func(route string) bool
	rerouted func(route string, at time.Time, took time.Duration, out detour.Outcome)
}

// route is one operator route: its configuration, encoding options and
// SMPP client.
type route struct {
	cfg       RouteConfig
	opts      coding.Options
	client    *smpp.Client
	slowUntil atomic.Int64 // unix nanos until which the route goes last
}

var (
	_ detour.Channel     = (*Channel)(nil)
	_ detour.RouteLister = (*Channel)(nil)
)

// New builds the channel and its SMPP clients; Start connects them.
func New(cfg Config) (*Channel, error) {
	if cfg.Clock == nil {
		cfg.Clock = detour.SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.IDs == nil {
		cfg.IDs = detour.NewIDSource(cfg.Clock.Now, nil)
	}
	if cfg.Rand == nil {
		seed := uint64(cfg.Clock.Now().UnixNano())
		cfg.Rand = rand.New(rand.NewPCG(seed, seed>>3|1))
	}
	if len(cfg.Routes) == 0 {
		return nil, errors.New("sms: no routes configured")
	}
	c := &Channel{routes: map[string]*route{}, receipts: cfg.Receipts, inbound: cfg.Inbound, clock: cfg.Clock,
		log: cfg.Logger, ids: cfg.IDs, rnd: cfg.Rand, routeUp: cfg.RouteUp, rerouted: cfg.Rerouted}
	c.ref.Store(uint32(cfg.Rand.IntN(256)))
	var sel []Route
	for i, rc := range cfg.Routes {
		rc = rc.WithDefaults()
		if err := rc.Validate(i); err != nil {
			return nil, err
		}
		split, err := coding.ParseSplitMethod(rc.Split)
		if err != nil {
			return nil, fmt.Errorf("channels.sms.routes[%d].split: %w", i, err)
		}
		r := &route{cfg: rc, opts: coding.Options{GSMDataCoding: rc.GSMDataCoding, Pack7Bit: rc.Pack7Bit, Split: split}}
		mode := smpp.Transceiver
		if rc.BindMode == BindTransmitterReceiver {
			mode = smpp.TransmitterReceiver
		}
		r.client = smpp.NewClient(smpp.ClientConfig{
			Addr: net.JoinHostPort(rc.Host, fmt.Sprint(rc.Port)), SystemID: rc.SystemID, Password: rc.Password,
			SystemType: rc.SystemType, BindMode: mode, Binds: rc.Binds, Window: rc.Window, Throughput: rc.Throughput,
			EnquireLink: rc.EnquireLink, ResponseTimeout: rc.ResponseTimeout, ReconnectMin: rc.ReconnectMin,
			ReconnectMax: rc.ReconnectMax, Dial: cfg.Dial, OnDeliver: c.onDeliver(r),
			// Receipts wait for a durable commit before their answer, and
			// their order does not matter (statuses only move forward):
			// handle many at once. Messages from handsets carry their own
			// times.
			DeliverWorkers: deliverWorkers,
			Logger:         cfg.Logger.With("route", rc.Name), Clock: cfg.Clock,
		})
		c.routes[rc.Name] = r
		c.order = append(c.order, r)
		sel = append(sel, rc.Route())
	}
	var err error
	if c.table, err = NewTable(sel); err != nil {
		return nil, err
	}
	return c, nil
}

// Start connects every route; binds come up in the background.
func (c *Channel) Start(ctx context.Context) error {
	for _, r := range c.order {
		if err := r.client.Start(ctx); err != nil {
			return fmt.Errorf("sms: route %s: %w", r.cfg.Name, err)
		}
	}
	return nil
}

// Stop unbinds every route. Safe to call twice.
func (c *Channel) Stop(ctx context.Context) {
	for _, r := range c.order {
		if err := r.client.Stop(ctx); err != nil {
			c.log.Warn("sms: route did not stop cleanly", "route", r.cfg.Name, "err", err)
		}
	}
}

// Name returns "sms".
func (c *Channel) Name() string { return Name }

// Carries reports that SMS carries text only; other content is rendered
// to text by the policy engine, or goes to another channel.
func (c *Channel) Carries(k detour.ContentKind) bool { return k == detour.KindText }

// Routes lists the route names in configuration order.
func (c *Channel) Routes() []string { return c.table.Names() }

// RouteSettings returns how route name is chosen and its throughput cap
// (messages/s, 0 for none); ok=false if there is no such route. Nothing
// of its connection settings, its password least of all.
func (c *Channel) RouteSettings(name string) (sel Route, throughput float64, ok bool) {
	r, t := c.routes[name], c.table.Route(name)
	if r == nil || t == nil {
		return Route{}, 0, false
	}
	return *t, r.cfg.Throughput, true
}

// RouteStats returns each route's SMPP statistics, in configuration order.
func (c *Channel) RouteStats() map[string]smpp.Stats {
	out := make(map[string]smpp.Stats, len(c.order))
	for _, r := range c.order {
		out[r.cfg.Name] = r.client.Stats()
	}
	return out
}

// Send submits the message on the best route that covers the number, and
// on the next one when a route throttles, fails or refuses it in a way
// another route may not (see Classify).
func (c *Channel) Send(ctx context.Context, s *detour.Send) detour.Outcome {
	if s.Content == nil || s.Content.Kind() != detour.KindText {
		return detour.PermanentOutcome(s.Route, detour.ReasonContentUnsupported, "SMS carries text only")
	}
	var candidates []*route
	if s.Route != "" {
		r, ok := c.routes[s.Route]
		if !ok {
			return detour.PermanentOutcome(s.Route, detour.ReasonNoRoute, "no SMS route named "+s.Route)
		}
		candidates = []*route{r}
	} else {
		candidates = c.candidates(s.To)
	}
	if len(candidates) == 0 {
		return detour.PermanentOutcome("", detour.ReasonNoRoute, "no SMS route covers "+s.To)
	}
	// The send's verdict when no route takes the message: retryable if
	// any route may take it later (it throttled, failed or was not
	// bound), permanent only when every route refused it for good.
	var last, retry detour.Outcome
	for i, r := range candidates {
		rctx := ctx
		if i < len(candidates)-1 {
			// Leave time for the other routes: a route that is not bound
			// gets a moment, one that is gets at most half of what is left
			// (it may drop its bind while we wait).
			wait := unboundWait
			if r.canSubmit() {
				wait = time.Hour
				if d, ok := ctx.Deadline(); ok {
					wait = time.Until(d) / 2
				}
			}
			var cancel context.CancelFunc
			rctx, cancel = context.WithTimeout(ctx, wait)
			defer cancel()
		}
		start := c.clock.Now()
		out, reroute := c.sendOn(rctx, r, s)
		if out.Result == detour.Accepted || !reroute || ctx.Err() != nil {
			return out
		}
		if c.rerouted != nil && i < len(candidates)-1 {
			end := c.clock.Now()
			c.rerouted(r.cfg.Name, end, end.Sub(start), out)
		}
		last = out
		if out.Result == detour.Retryable {
			retry = out
		}
	}
	if last.Result == detour.Permanent && retry.Result == detour.Retryable {
		return retry
	}
	return last
}

// candidates returns the routes covering to, in order, with the routes
// that throttled us in the last second, or whose client still pauses
// submits because of it, after the others.
func (c *Channel) candidates(to string) []*route {
	region := ""
	if c.table.needsRegion {
		// libphonenumber's parse costs microseconds: only when a route
		// selects by country.
		_, region, _ = detour.ParseE164(to)
	}
	now := c.clock.Now()
	c.rndMu.Lock()
	sel := c.table.Candidates(to, region, c.rnd, nil)
	c.rndMu.Unlock()
	// Bound routes first, those that throttled us next, routes with no
	// bound connection or that the detector has down last: a submit on
	// those waits for a bind until the send's deadline.
	var fast, slow, down []*route
	for _, s := range sel {
		r := c.routes[s.Name]
		switch {
		case !r.canSubmit() || c.routeUp != nil && !c.routeUp(s.Name):
			down = append(down, r)
		case r.slowUntil.Load() > now.UnixNano() || r.client.PausedUntil().After(now):
			slow = append(slow, r)
		default:
			fast = append(fast, r)
		}
	}
	return append(append(fast, slow...), down...)
}

// canSubmit reports whether the route has a bound connection that takes
// submits.
func (r *route) canSubmit() bool { return r.client.Bound() }

// sendOn submits every part of the message on one route. It reports
// whether a failure should move on to the next route.
func (c *Channel) sendOn(ctx context.Context, r *route, s *detour.Send) (detour.Outcome, bool) {
	name := r.cfg.Name
	enc, err := coding.Split(s.Content.Text, r.opts, byte(c.ref.Add(1)))
	if err != nil {
		return detour.PermanentOutcome(name, detour.ReasonContentUnsupported, "cannot encode the text: "+err.Error()), true
	}
	ids := make([]string, 0, len(enc.Parts))
	for i, p := range enc.Parts {
		sm := &smpp.SubmitSM{
			SourceAddrTON: r.cfg.SourceTON, SourceAddrNPI: r.cfg.SourceNPI, SourceAddr: r.cfg.SourceAddr,
			DestAddrTON: r.cfg.DestTON, DestAddrNPI: r.cfg.DestNPI, DestinationAddr: strings.TrimPrefix(s.To, "+"),
			ESMClass: p.ESMClass, RegisteredDelivery: 1, DataCoding: enc.DataCoding, ShortMessage: p.ShortMessage,
		}
		if !p.SAR.IsZero() {
			sm.TLVs = smpp.TLVs{smpp.Uint16TLV(smpp.TagSARMsgRefNum, p.SAR.Ref),
				smpp.Uint8TLV(smpp.TagSARTotalSegments, p.SAR.Total), smpp.Uint8TLV(smpp.TagSARSegmentSeqnum, p.SAR.Seq)}
		}
		if len(p.Payload) > 0 {
			sm.TLVs = append(sm.TLVs, smpp.TLV{Tag: smpp.TagMessagePayload, Value: p.Payload})
		}
		res, err := r.client.Submit(ctx, sm)
		if err != nil {
			out, reroute := c.failure(r, err)
			if i > 0 {
				// Earlier parts were accepted: the handset may get a piece
				// of the message. Retrying resends it whole.
				out.Detail = fmt.Sprintf("part %d of %d: %s (earlier parts were accepted)", i+1, len(enc.Parts), out.Detail)
			}
			return out, reroute
		}
		ids = append(ids, SubmitID(res.MessageID))
	}
	out := detour.AcceptedOutcome(name, ids[0])
	out.Segments = max(enc.Segments, len(ids))
	if len(ids) > 1 {
		out.Parts = ids
	}
	return out, false
}

// failure classifies a submit error: a refusal by the SMSC through the
// one table (Classify), a transport failure as retryable elsewhere.
func (c *Channel) failure(r *route, err error) (detour.Outcome, bool) {
	name := r.cfg.Name
	var se *smpp.StatusError
	switch {
	case errors.As(err, &se):
		v := Classify(se.Status)
		if v.SlowDown {
			r.slowUntil.Store(c.clock.Now().Add(slowFor).UnixNano())
		}
		return v.Outcome(name, se.Status), v.Reroute
	case errors.Is(err, smpp.ErrNotBound), errors.Is(err, smpp.ErrClosed):
		return detour.RetryableOutcome(name, detour.ReasonUnreachable, "route "+name+" has no bound connection"), true
	case errors.Is(err, smpp.ErrConnectionLost):
		return detour.RetryableOutcome(name, detour.ReasonUnreachable, "the connection dropped with the submit outstanding; the SMSC may have taken it"), true
	case errors.Is(err, smpp.ErrResponseTimeout), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return detour.RetryableOutcome(name, detour.ReasonTimeout, "no submit_sm_resp in time"), true
	}
	return detour.PermanentOutcome(name, detour.ReasonRejected, "the message cannot be submitted: "+err.Error()), true
}

// onDeliver handles a deliver_sm of route r: a receipt goes to the
// receipt sink, a message from a handset to the inbound store. The
// deliver_sm_resp is OK only once the sink has taken it durably, so the
// SMSC delivers again whatever we could not keep.
func (c *Channel) onDeliver(r *route) func(ctx context.Context, d *smpp.DeliverSM) smpp.Status {
	return func(ctx context.Context, d *smpp.DeliverSM) smpp.Status {
		now := c.clock.Now()
		if IsReceipt(d) {
			rc, ok, err := ParseReceipt(Name, r.cfg.Name, r.cfg.ReceiptIDs, d, now)
			if err != nil {
				// Redelivery would not make it readable: take it and say so.
				c.log.Warn("sms: unreadable receipt dropped", "route", r.cfg.Name, "err", err)
				return smpp.StatusOK
			}
			if !ok || c.receipts == nil {
				return smpp.StatusOK
			}
			if err := c.receipts.Receipt(ctx, rc); err != nil {
				c.log.Error("sms: receipt not stored; the SMSC will deliver it again", "route", r.cfg.Name, "err", err)
				return smpp.StatusSysErr
			}
			return smpp.StatusOK
		}
		in, concat, err := ParseInbound(Name, r.cfg.Name, d, r.opts, c.ids, now)
		if err != nil {
			c.log.Warn("sms: unreadable message from a handset dropped", "route", r.cfg.Name, "err", err)
			return smpp.StatusOK
		}
		done := func(bool) {}
		if !concat.IsZero() {
			if in, done = c.parts.add(in, concat, now); in == nil {
				return smpp.StatusOK // more parts to come
			}
		}
		if c.inbound == nil {
			done(true)
			c.log.Warn("sms: no inbound store; message from a handset dropped", "route", r.cfg.Name)
			return smpp.StatusOK
		}
		if err := c.inbound(ctx, in); err != nil {
			done(false)
			c.log.Error("sms: message from a handset not stored; the SMSC will deliver it again", "route", r.cfg.Name, "err", err)
			return smpp.StatusSysErr
		}
		done(true)
		return smpp.StatusOK
	}
}
