// Package sandbox is a development channel: it records what it would send
// and answers like a provider would, with configurable latency, failures,
// throttling and receipts (or none). It is not the SMS or WhatsApp channel.
package sandbox

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/tokenbucket"
)

// Name is the channel name the sandbox answers to by default.
const Name = "sandbox"

// RouteConfig is how one sandbox route behaves. The zero value accepts
// everything at once and reports delivery at once.
type RouteConfig struct {
	Name string `koanf:"name"`
	// Latency is how long a send takes; Jitter adds up to that much more.
	Latency time.Duration `koanf:"latency"`
	Jitter  time.Duration `koanf:"jitter"`
	// FailRate is the share of sends refused with a retryable provider
	// error; RejectRate the share refused for good.
	FailRate   float64 `koanf:"fail_rate"`
	RejectRate float64 `koanf:"reject_rate"`
	// Throughput caps accepted sends per second; past it sends are refused
	// as throttled. 0 means no cap.
	Throughput float64 `koanf:"throughput"`
	// ReceiptDelay is how long after acceptance the receipt comes.
	ReceiptDelay time.Duration `koanf:"receipt_delay"`
	// NoReceipts makes the route silent: it accepts and never reports.
	NoReceipts bool `koanf:"no_receipts"`
	// UndeliveredRate is the share of receipts that report failure.
	UndeliveredRate float64 `koanf:"undelivered_rate"`
}

// Config configures a sandbox channel.
type Config struct {
	Name     string             // channel name; "sandbox" if empty
	Routes   []RouteConfig      // at least one; a route named "default" if empty
	Receipts detour.ReceiptSink // where receipts go
	Clock    detour.Clock
	Rand     *rand.Rand // randomness for failure draws and jitter; seeded from the clock if nil
	Keep     int        // how many sent records to keep; 10,000 if 0
}

// Record is one message the sandbox accepted.
type Record struct {
	At         time.Time
	Route      string
	To         string
	Content    detour.Content
	ProviderID string
	MessageID  string
}

// Channel is the sandbox channel. It is safe for concurrent use.
type Channel struct {
	name     string
	clock    detour.Clock
	receipts detour.ReceiptSink

	mu      sync.Mutex
	routes  map[string]*route
	order   []string
	rnd     *rand.Rand
	records []Record // ring
	next    int
	total   int
	pending map[uint64]detour.Stopper
	stopped bool

	seq atomic.Uint64
}

type route struct {
	cfg    RouteConfig
	bucket tokenbucket.Bucket
}

var (
	_ detour.Channel     = (*Channel)(nil)
	_ detour.RouteLister = (*Channel)(nil)
)

// New returns a sandbox channel.
func New(cfg Config) (*Channel, error) {
	if cfg.Name == "" {
		cfg.Name = Name
	}
	if cfg.Clock == nil {
		cfg.Clock = detour.SystemClock{}
	}
	if len(cfg.Routes) == 0 {
		cfg.Routes = []RouteConfig{{Name: "default"}}
	}
	if cfg.Keep <= 0 {
		cfg.Keep = 10000
	}
	if cfg.Rand == nil {
		seed := uint64(cfg.Clock.Now().UnixNano())
		cfg.Rand = rand.New(rand.NewPCG(seed, seed>>1|1))
	}
	c := &Channel{name: cfg.Name, clock: cfg.Clock, receipts: cfg.Receipts, routes: map[string]*route{},
		rnd: cfg.Rand, records: make([]Record, cfg.Keep), pending: map[uint64]detour.Stopper{}}
	for i, r := range cfg.Routes {
		if err := validate(r); err != nil {
			return nil, fmt.Errorf("sandbox route %d: %w", i, err)
		}
		if _, dup := c.routes[r.Name]; dup {
			return nil, fmt.Errorf("sandbox route %d: name %q repeats", i, r.Name)
		}
		c.routes[r.Name] = &route{cfg: r}
		c.order = append(c.order, r.Name)
	}
	return c, nil
}

func validate(r RouteConfig) error {
	switch {
	case r.Name == "":
		return fmt.Errorf("name is required")
	case r.Latency < 0 || r.Jitter < 0 || r.ReceiptDelay < 0:
		return fmt.Errorf("latency, jitter and receipt_delay must not be negative")
	case r.FailRate < 0 || r.RejectRate < 0 || r.FailRate+r.RejectRate > 1:
		return fmt.Errorf("fail_rate and reject_rate are shares between 0 and 1 that add up to at most 1")
	case r.UndeliveredRate < 0 || r.UndeliveredRate > 1:
		return fmt.Errorf("undelivered_rate is a share between 0 and 1")
	case r.Throughput < 0:
		return fmt.Errorf("throughput must not be negative")
	}
	return nil
}

// Name returns the channel's name.
func (c *Channel) Name() string { return c.name }

// Carries reports true for every kind: the sandbox only records.
func (c *Channel) Carries(detour.ContentKind) bool { return true }

// Routes lists the route names in configuration order.
func (c *Channel) Routes() []string { return append([]string(nil), c.order...) }

// SetRoute changes how a route behaves from now on (modes for tests and
// demos). It adds the route if it is new.
func (c *Channel) SetRoute(r RouteConfig) error {
	if err := validate(r); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.routes[r.Name]; ok {
		old.cfg = r
		return nil
	}
	c.routes[r.Name] = &route{cfg: r}
	c.order = append(c.order, r.Name)
	return nil
}

// Send records the message and answers as the route is configured to.
func (c *Channel) Send(ctx context.Context, s *detour.Send) detour.Outcome {
	c.mu.Lock()
	name := s.Route
	if name == "" {
		name = c.order[0]
	}
	r, ok := c.routes[name]
	if !ok {
		c.mu.Unlock()
		return detour.PermanentOutcome(name, detour.ReasonRejected, "no such sandbox route")
	}
	cfg := r.cfg
	delay := cfg.Latency
	if cfg.Jitter > 0 {
		delay += time.Duration(c.rnd.Int64N(int64(cfg.Jitter)))
	}
	draw, undelivered := c.rnd.Float64(), c.rnd.Float64() < cfg.UndeliveredRate
	c.mu.Unlock()

	if delay > 0 {
		t := c.clock.NewTimer(delay)
		select {
		case <-t.C():
		case <-ctx.Done():
			t.Stop()
			return detour.RetryableOutcome(name, detour.ReasonTimeout, "send timed out")
		}
	}
	switch {
	case draw < cfg.FailRate:
		return detour.RetryableOutcome(name, detour.ReasonProviderError, "sandbox: simulated provider error")
	case draw < cfg.FailRate+cfg.RejectRate:
		return detour.PermanentOutcome(name, detour.ReasonRejected, "sandbox: simulated rejection")
	}
	now := c.clock.Now()
	c.mu.Lock()
	if wait, ok := r.take(now); !ok {
		c.mu.Unlock()
		o := detour.RetryableOutcome(name, detour.ReasonThrottled, "sandbox: throughput limit reached")
		o.RetryAfter = wait
		return o
	}
	n := c.seq.Add(1)
	pid := fmt.Sprintf("sbx-%d-%d", now.UnixMilli(), n)
	c.records[c.next] = Record{At: now, Route: name, To: s.To, Content: *s.Content, ProviderID: pid, MessageID: s.MessageID}
	c.next = (c.next + 1) % len(c.records)
	c.total++
	if !cfg.NoReceipts && c.receipts != nil && !c.stopped {
		st := detour.AttemptDelivered
		if undelivered {
			st = detour.AttemptFailed
		}
		rc := detour.Receipt{Channel: c.name, Route: name, ProviderID: pid, Status: st}
		if undelivered {
			rc.Reason, rc.Detail = detour.ReasonUndeliverable, "sandbox: simulated undeliverable"
		}
		c.pending[n] = c.clock.AfterFunc(cfg.ReceiptDelay, func() { c.deliver(n, rc) })
	}
	c.mu.Unlock()
	o := detour.AcceptedOutcome(name, pid)
	o.Segments = 1
	return o
}

func (c *Channel) deliver(n uint64, rc detour.Receipt) {
	c.mu.Lock()
	_, live := c.pending[n]
	delete(c.pending, n)
	c.mu.Unlock()
	if !live {
		return
	}
	rc.At = c.clock.Now()
	_ = c.receipts.Receipt(context.Background(), rc) // a failed receipt is a lost receipt, as with a real provider
}

// take spends one token of the route's throughput budget, or says how long
// until one is free.
func (r *route) take(now time.Time) (time.Duration, bool) {
	if r.cfg.Throughput <= 0 {
		return 0, true
	}
	ok, wait := r.bucket.Take(now, r.cfg.Throughput, r.cfg.Throughput)
	return wait, ok
}

// Sent returns the records kept, oldest first, optionally only those to one
// number ("" for all).
func (c *Channel) Sent(to string) []Record {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Record
	n := min(c.total, len(c.records))
	start := (c.next - n + len(c.records)) % len(c.records)
	for i := 0; i < n; i++ {
		r := c.records[(start+i)%len(c.records)]
		if to == "" || r.To == to {
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

// Total returns how many messages the channel has accepted.
func (c *Channel) Total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total
}

// Stop cancels receipts not yet reported; later sends report none. Safe to
// call twice.
func (c *Channel) Stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopped = true
	for n, t := range c.pending {
		t.Stop()
		delete(c.pending, n)
	}
}
