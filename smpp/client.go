package smpp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/detourhq/detour"
)

// BindMode says how each bind of a client connects.
type BindMode int

// Bind modes.
const (
	// Transceiver binds one bind_transceiver connection per bind: submits
	// and deliveries share it.
	Transceiver BindMode = iota
	// TransmitterReceiver binds a bind_transmitter and a bind_receiver
	// connection per bind: submits go over the first, deliveries come over
	// the second.
	TransmitterReceiver
)

func (m BindMode) String() string {
	switch m {
	case Transceiver:
		return "transceiver"
	case TransmitterReceiver:
		return "transmitter_receiver"
	}
	return fmt.Sprintf("BindMode(%d)", int(m))
}

// ClientConfig configures a Client: one operator route, seen from the ESME.
// Zero values take the defaults named on each field.
type ClientConfig struct {
	Addr       string        // host:port of the SMSC; required
	SystemID   string        // at most 15 characters; required
	Password   detour.Secret // at most 8 characters; never logged
	SystemType string        // at most 12 characters
	BindMode   BindMode
	Binds      int // binds (connections, or pairs of them); 1 by default

	// Window is the number of submits in flight per transmitting
	// connection; 100 by default.
	Window int
	// Throughput caps submits per second across all binds of the client;
	// 0 means no cap. The bucket holds a tenth of a second of traffic.
	Throughput float64

	EnquireLink     time.Duration // idleness before an enquire_link; 30s by default
	ResponseTimeout time.Duration // wait for any response; 10s by default
	ReconnectMin    time.Duration // first wait before rebinding; 1s by default
	ReconnectMax    time.Duration // longest wait before rebinding; 30s by default

	// Dial opens the connection; net.Dialer by default (TCP_NODELAY on,
	// which is Go's default).
	Dial func(ctx context.Context, addr string) (net.Conn, error)

	// OnDeliver is called for every deliver_sm (delivery receipts and
	// mobile-originated messages), one at a time per connection, in the
	// order they arrived, off the read loop. Its result is the
	// deliver_sm_resp command_status: a non-OK status makes the SMSC
	// deliver again later. ctx ends when the connection closes. nil
	// answers ESME_ROK and drops the message.
	OnDeliver func(ctx context.Context, m *DeliverSM) Status
	// OnDataSM is OnDeliver for data_sm sent by the SMSC, in the same
	// order as deliver_sm; nil answers ESME_ROK and drops the message.
	OnDataSM func(ctx context.Context, m *DataSM) Status
	// DeliverWorkers is how many deliver_sm and data_sm of one connection
	// are handled at once; 1 (the default) keeps them in order. More lets
	// handlers that wait (for a durable commit, say) overlap: the answers
	// then go back as each handler finishes, which SMPP allows.
	DeliverWorkers int

	Logger *slog.Logger // nil logs nothing
	Clock  detour.Clock // for throttle, backoff, enquire_link and response timers; the system clock by default
}

// withDefaults returns c with every unset field at its default.
func (c ClientConfig) withDefaults() ClientConfig {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if c.Binds <= 0 {
		c.Binds = 1
	}
	if c.Window <= 0 {
		c.Window = 100
	}
	if c.DeliverWorkers <= 0 {
		c.DeliverWorkers = 1
	}
	def(&c.EnquireLink, 30*time.Second)
	def(&c.ResponseTimeout, 10*time.Second)
	def(&c.ReconnectMin, time.Second)
	def(&c.ReconnectMax, 30*time.Second)
	if c.ReconnectMax < c.ReconnectMin {
		c.ReconnectMax = c.ReconnectMin
	}
	if c.Dial == nil {
		var d net.Dialer
		c.Dial = func(ctx context.Context, addr string) (net.Conn, error) {
			return d.DialContext(ctx, "tcp", addr)
		}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Clock == nil {
		c.Clock = detour.SystemClock{}
	}
	return c
}

// validate names the first bad field. It never shows the password.
func (c ClientConfig) validate() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("smpp: ClientConfig.%s: %s", field, fmt.Sprintf(format, args...))
	}
	switch {
	case c.Addr == "":
		return bad("Addr", "is required")
	case c.SystemID == "" || len(c.SystemID) > 15:
		return bad("SystemID", "is 1 to 15 characters")
	case len(c.Password.Reveal()) > 8:
		return bad("Password", "is at most 8 characters")
	case len(c.SystemType) > 12:
		return bad("SystemType", "is at most 12 characters")
	case c.BindMode != Transceiver && c.BindMode != TransmitterReceiver:
		return bad("BindMode", "is %d, not a bind mode", int(c.BindMode))
	case c.Window > 0x10000:
		return bad("Window", "must be at most 65536")
	case c.Throughput < 0:
		return bad("Throughput", "must not be negative (0 means no limit)")
	}
	return nil
}

// Errors of Submit that mean "not sent, or not known to have been sent":
// try again, here or on another route. Test for them with errors.Is.
var (
	// ErrNotBound: no bound transmitting session was available before ctx
	// ended. The message was not sent.
	ErrNotBound = errors.New("smpp: no bound session")
	// ErrConnectionLost: the connection dropped with the submit
	// outstanding. The SMSC may or may not have taken the message.
	ErrConnectionLost = errors.New("smpp: connection lost with the submit outstanding")
	// ErrResponseTimeout: no response came within ResponseTimeout. The
	// SMSC may or may not have taken the message.
	ErrResponseTimeout = errors.New("smpp: no response in time")
	// ErrClosed: the client was stopped. The message was not sent. (Before
	// Start, Submit waits for a bind like at any other time.)
	ErrClosed = errors.New("smpp: client stopped")
)

// StatusError is a response with a command_status other than ESME_ROK: a
// refused submit (submit_sm_resp, data_sm_resp or a generic_nack), or a
// refused bind. The caller classifies it.
type StatusError struct {
	Command CommandID // the response that carried it
	Status  Status
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("smpp: %s: %s", e.Command, e.Status)
}

// SubmitResult is the SMSC's answer to a submit.
type SubmitResult struct {
	MessageID string // the SMSC's id of the message, for receipts
	Status    Status
}

// Client is the ESME side of one operator route: a set of binds that
// reconnect on their own, a window of outstanding submits per connection,
// a throughput cap over all of them and keep-alives. Its methods are safe
// for concurrent use.
//
// Slowing down: when the SMSC answers ESME_RTHROTTLED or ESME_RMSGQFUL,
// the client itself pauses new submits, 250ms at first, doubling up to 4s
// while the SMSC keeps throttling after each pause, and starting over once
// it answers ESME_ROK after one; Stats().PausedUntil shows the pause. The
// throttled submit is returned with its *StatusError, for the caller to
// retry or reroute; the caller need not slow the route down itself.
//
// Dead connections: after EnquireLink without a PDU from the SMSC the
// client sends enquire_link, and closes the connection if no response
// comes within ResponseTimeout. A submit unanswered for ResponseTimeout
// fails with ErrResponseTimeout and sends such a probe at once; three in a
// row close the connection even if the probe is answered. A read deadline
// in real time backs this up, so a silent or slow-dripping peer cannot hold
// a connection forever.
type Client struct {
	cfg      ClientConfig
	log      *slog.Logger
	window   window
	throttle *throttle
	meter    meter
	binders  []*binder

	mu       sync.Mutex
	started  bool
	stopped  bool
	stopping chan struct{} // closed by Stop
	stopCtx  context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

// NewClient returns a client for cfg with the defaults filled in. It does
// not connect until Start.
func NewClient(cfg ClientConfig) *Client {
	cfg = cfg.withDefaults()
	c := &Client{
		cfg:      cfg,
		log:      cfg.Logger.With("smsc", cfg.Addr, "system_id", cfg.SystemID),
		throttle: newThrottle(cfg.Clock, cfg.Throughput),
		stopping: make(chan struct{}),
	}
	c.meter.clock = cfg.Clock
	for i := range cfg.Binds {
		switch cfg.BindMode {
		case TransmitterReceiver:
			c.binders = append(c.binders,
				&binder{c: c, index: i, cmd: CommandBindTransmitter},
				&binder{c: c, index: i, cmd: CommandBindReceiver})
		default:
			c.binders = append(c.binders, &binder{c: c, index: i, cmd: CommandBindTransceiver})
		}
	}
	for _, b := range c.binders {
		b.log = c.log.With("bind", b.index, "mode", b.mode())
	}
	return c
}

// Start checks the configuration and starts the binds in the background:
// each connects, binds, and after a drop or a failed bind (a refused
// password included) reconnects after an exponential backoff with jitter
// between ReconnectMin and ReconnectMax. It returns at once; Submit waits
// for a bind. The client runs until Stop, whatever becomes of ctx.
func (c *Client) Start(ctx context.Context) error {
	if err := c.cfg.validate(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.stopped:
		return ErrClosed
	case c.started:
		return errors.New("smpp: client already started")
	}
	c.started = true
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	c.cancel = cancel
	for _, b := range c.binders {
		c.wg.Add(1)
		go b.run(runCtx)
	}
	return nil
}

// Stop ends the client: new submits fail with ErrClosed; each bound
// connection waits for its outstanding submits, sends unbind, waits for
// unbind_resp and closes (each wait bounded by ResponseTimeout and ctx);
// whatever is still outstanding is resolved with ErrConnectionLost. Stop
// returns when every goroutine of the client has ended, with ctx's error
// if ctx ended first. It is safe to call more than once.
func (c *Client) Stop(ctx context.Context) error {
	c.mu.Lock()
	if !c.stopped {
		c.stopped = true
		c.stopCtx = ctx
		close(c.stopping)
		c.window.close()
		if c.cancel != nil {
			c.cancel()
		}
	}
	c.mu.Unlock()
	c.wg.Wait()
	return ctx.Err()
}

// unbindCtx is the context that bounds the unbinds of Stop.
func (c *Client) unbindCtx() context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopCtx == nil {
		return context.Background()
	}
	return c.stopCtx
}

// Submit sends one submit_sm and waits for its submit_sm_resp. It waits,
// bounded by ctx, for a free window slot on a bound connection, then for a
// throughput token (and the end of a pause the SMSC asked for, see Stats).
// The PDU's sequence number is assigned here.
//
// A response with ESME_ROK gives the message id (empty if the SMSC's
// response was unreadable past its header: the message was taken, but no
// receipt can be matched to it). Any other status is
// returned as a *StatusError alongside the result. ErrNotBound,
// ErrConnectionLost, ErrResponseTimeout, ErrClosed and ctx's error mean the
// message was not sent or its fate is unknown: send it again. An error
// from encoding m means it can never be sent as it is.
func (c *Client) Submit(ctx context.Context, m *SubmitSM) (SubmitResult, error) {
	return c.submit(ctx, CommandSubmitSM, m)
}

// Bound reports, cheaply, whether a connection that takes submits is bound
// now (Stats tells more, at a higher cost).
func (c *Client) Bound() bool { return c.window.bound() }

// PausedUntil returns when the pause the SMSC asked for by throttling us
// ends, zero if submits are not paused.
func (c *Client) PausedUntil() time.Time { return c.throttle.paused() }

// SubmitData sends one data_sm and waits for its data_sm_resp, as Submit.
func (c *Client) SubmitData(ctx context.Context, m *DataSM) (SubmitResult, error) {
	return c.submit(ctx, CommandDataSM, m)
}

func (c *Client) submit(ctx context.Context, cmd CommandID, body Body) (SubmitResult, error) {
	select {
	case <-c.stopping:
		return SubmitResult{}, ErrClosed
	default:
	}
	if err := ctx.Err(); err != nil {
		return SubmitResult{}, err
	}
	bp := getBuf()
	b, err := AppendPDU((*bp)[:0], PDU{Header: Header{Command: cmd}, Body: body})
	if err != nil {
		putBuf(bp)
		return SubmitResult{}, err
	}
	*bp = b
	throttled := false
	for {
		s, err := c.window.acquire(ctx)
		if err != nil {
			putBuf(bp)
			return SubmitResult{}, err
		}
		// The throughput token is taken with the slot in hand, so that
		// submits leave at the configured rate even after waiting for
		// the window.
		if !throttled {
			if err := c.throttle.wait(ctx, c.stopping); err != nil {
				c.window.release(s)
				putBuf(bp)
				return SubmitResult{}, err
			}
			throttled = true
		}
		call := s.register(cmd, bp)
		if call == nil {
			// The connection closed before we wrote anything: the message
			// was not sent, so another connection may take it.
			c.window.release(s)
			if err := ctx.Err(); err != nil {
				putBuf(bp)
				return SubmitResult{}, err
			}
			continue
		}
		select {
		case r := <-call.ch:
			return r.res, r.err
		case <-ctx.Done():
			return SubmitResult{}, fmt.Errorf("smpp: waiting for %s_resp: %w", cmd, ctx.Err())
		}
	}
}

// bufPool holds encoding buffers for outgoing PDUs.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(b *[]byte) {
	if cap(*b) <= 4096 {
		bufPool.Put(b)
	}
}
