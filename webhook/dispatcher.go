package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/detourhq/detour"
)

// DispatcherConfig configures a Dispatcher. Zero fields take the defaults
// of DefaultDispatcherConfig.
type DispatcherConfig struct {
	Store  detour.WebhookStore
	Client *Client
	Clock  detour.Clock
	Logger *slog.Logger
	// Queued is signalled when the store has queued new deliveries, so
	// that they go out without waiting for the next poll.
	Queued <-chan struct{}
	// Metrics records deliveries; nil records nothing.
	Metrics *Metrics
	// Rand draws the backoff jitter; nil seeds one from the clock.
	Rand *rand.Rand

	Concurrency  int           // deliveries in flight at most
	Batch        int           // deliveries leased per look at the store at most
	Lease        time.Duration // how long a leased delivery is ours; longer than the client's timeout
	PollInterval time.Duration // longest sleep between looks at the store
	RetryWindow  time.Duration // how long a delivery is retried before it fails
	// An endpoint is disabled once it has failed DisableFailures times in
	// a row over at least DisableAfter.
	DisableAfter    time.Duration
	DisableFailures int
}

// DefaultDispatcherConfig returns the defaults.
func DefaultDispatcherConfig() DispatcherConfig {
	return DispatcherConfig{
		Concurrency:     64,
		Batch:           256,
		Lease:           DefaultTimeout + 5*time.Second, // a try ends within the timeout; its record follows at once
		PollInterval:    time.Second,
		RetryWindow:     RetryWindow,
		DisableAfter:    5 * 24 * time.Hour,
		DisableFailures: 20,
	}
}

// Dispatcher delivers the store's outbox: it leases due deliveries (each
// the oldest pending one of its message and endpoint, so that a message's
// events arrive in order), posts them signed, and records every try in the
// delivery log. 2xx is delivered; 410 fails the delivery and disables the
// endpoint; anything else is retried with Backoff until RetryWindow has
// passed since the delivery was queued. An endpoint failing for long is
// disabled (and a webhook_endpoint.disabled event written). It is at least
// once: a try whose result was not recorded (a crash) is made again once
// its lease ends.
type Dispatcher struct {
	cfg DispatcherConfig
	log *slog.Logger

	rndMu sync.Mutex
	rnd   *rand.Rand

	results chan detour.DeliveryResult
	slots   chan struct{}
	freed   chan struct{} // a slot was freed or tries recorded (coalesced)

	flyMu    sync.Mutex
	inflight map[try]bool // tries in flight or recorded lately
	recent   []try        // ring of the tries recorded lately
	next     int

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

// NewDispatcher returns a Dispatcher; it does nothing until Start.
func NewDispatcher(cfg DispatcherConfig) (*Dispatcher, error) {
	if cfg.Store == nil || cfg.Client == nil {
		return nil, errors.New("webhook: a dispatcher needs a Store and a Client")
	}
	d := DefaultDispatcherConfig()
	if cfg.Clock == nil {
		cfg.Clock = detour.SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Rand == nil {
		seed := uint64(cfg.Clock.Now().UnixNano())
		cfg.Rand = rand.New(rand.NewPCG(seed, seed>>7))
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = d.Concurrency
	}
	if cfg.Batch <= 0 {
		cfg.Batch = d.Batch
	}
	if cfg.Lease <= 0 {
		cfg.Lease = d.Lease
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = d.PollInterval
	}
	if cfg.RetryWindow <= 0 {
		cfg.RetryWindow = d.RetryWindow
	}
	if cfg.DisableAfter <= 0 {
		cfg.DisableAfter = d.DisableAfter
	}
	if cfg.DisableFailures <= 0 {
		cfg.DisableFailures = d.DisableFailures
	}
	return &Dispatcher{cfg: cfg, log: cfg.Logger, rnd: cfg.Rand,
		results: make(chan detour.DeliveryResult, cfg.Concurrency),
		slots:   make(chan struct{}, cfg.Concurrency), freed: make(chan struct{}, 1),
		inflight: map[try]bool{}, recent: make([]try, 4*cfg.Concurrency+cfg.Batch)}, nil
}

// Start runs the dispatcher until Stop or until ctx ends.
func (d *Dispatcher) Start(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.done != nil {
		return errors.New("webhook: dispatcher already started")
	}
	ctx, d.cancel = context.WithCancel(ctx)
	d.done = make(chan struct{})
	go d.run(ctx)
	return nil
}

// Stop stops leasing, waits for deliveries in flight and records them.
// Safe to call twice.
func (d *Dispatcher) Stop() {
	d.mu.Lock()
	cancel, done := d.cancel, d.done
	d.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
}

func (d *Dispatcher) run(ctx context.Context) {
	defer close(d.done)
	var sends sync.WaitGroup
	recorded := make(chan struct{})
	go func() {
		defer close(recorded)
		d.record()
	}()
	defer func() {
		sends.Wait()
		close(d.results)
		<-recorded
	}()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		free := d.cfg.Concurrency - len(d.slots)
		leased := 0
		if free > 0 {
			ds, eps, err := d.cfg.Store.DueDeliveries(ctx, d.cfg.Clock.Now(), d.cfg.Lease, min(free, d.cfg.Batch))
			if err != nil && ctx.Err() == nil {
				d.log.Error("webhook: leasing deliveries failed", "err", err)
			}
			leased = len(ds)
			for _, del := range ds {
				if !d.take(del.ID, del.Tries+1) {
					continue // a stale lease of a try made here (the clock jumped past a lease)
				}
				d.slots <- struct{}{}
				sends.Add(1)
				go func() {
					defer sends.Done()
					d.results <- d.deliver(ctx, del, eps[del.EndpointID])
					<-d.slots
					d.wake()
				}()
			}
		}
		wait := d.cfg.PollInterval
		switch {
		case leased > 0 && leased == min(free, d.cfg.Batch):
			wait = 0 // there may be more due
		case leased == 0 && free > 0:
			// A delivery due but not leased waits behind an earlier one of
			// its chain, whose recording wakes us: only future ones set
			// the wait.
			if at, ok, err := d.cfg.Store.NextDelivery(ctx); err == nil && ok {
				if until := at.Sub(d.cfg.Clock.Now()); until > 0 {
					wait = min(wait, max(until, 10*time.Millisecond))
				}
			}
		}
		if wait == 0 {
			if ctx.Err() != nil {
				return
			}
			continue
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-d.cfg.Queued:
		case <-d.freed:
		case <-timer.C:
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
}

// record writes results in batches: one store write for whatever has
// arrived since the last one.
func (d *Dispatcher) record() {
	batch := make([]detour.DeliveryResult, 0, d.cfg.Concurrency)
	for r := range d.results {
		batch = append(batch[:0], r)
	fill:
		for len(batch) < cap(batch) {
			select {
			case r, ok := <-d.results:
				if !ok {
					break fill
				}
				batch = append(batch, r)
			default:
				break fill
			}
		}
		// Recorded even while stopping: a try that was made must be in
		// the log. A failure leaves the lease to run out and the try to
		// be made again (at least once).
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := d.cfg.Store.RecordDeliveries(ctx, batch)
		cancel()
		d.flyMu.Lock()
		if err != nil {
			d.log.Error("webhook: recording deliveries failed; they will be tried again", "deliveries", len(batch), "err", err)
			for _, r := range batch {
				delete(d.inflight, try{r.Attempt.DeliveryID, r.Attempt.N})
			}
			d.flyMu.Unlock()
			continue
		}
		d.cfg.Metrics.observe(batch)
		d.wake() // the next of each chain may go now
		for _, r := range batch {
			// Remembered a while after it is recorded: a lease taken just
			// before the record committed may still hand it out again.
			if old := d.recent[d.next]; old.id != "" {
				delete(d.inflight, old)
			}
			d.recent[d.next] = try{r.Attempt.DeliveryID, r.Attempt.N}
			d.next = (d.next + 1) % len(d.recent)
		}
		d.flyMu.Unlock()
	}
}

// try is one try of one delivery.
type try struct {
	id string
	n  int
}

// wake tells the loop that a slot was freed or tries were recorded.
func (d *Dispatcher) wake() {
	select {
	case d.freed <- struct{}{}:
	default:
	}
}

// take marks try n of delivery id as made here, false if it already was.
// A lease only hands out a try that is being made, or was just made, when
// the clock jumped past the lease; the try is then not made twice.
func (d *Dispatcher) take(id string, n int) bool {
	d.flyMu.Lock()
	defer d.flyMu.Unlock()
	k := try{id, n}
	if d.inflight[k] {
		return false
	}
	d.inflight[k] = true
	return true
}

// deliver makes one try of del and says what to record.
func (d *Dispatcher) deliver(ctx context.Context, del *detour.WebhookDelivery, ep *detour.WebhookEndpoint) detour.DeliveryResult {
	now := d.cfg.Clock.Now()
	r := detour.DeliveryResult{Attempt: detour.DeliveryAttempt{DeliveryID: del.ID, EndpointID: del.EndpointID,
		EventID: del.EventID, N: del.Tries + 1, At: now}}
	var res Result
	if ep == nil {
		res = Result{Outcome: Retry, Error: "the endpoint is gone"}
	} else {
		res = d.post(ctx, del, ep, now)
	}
	r.Attempt.Status, r.Attempt.Latency, r.Attempt.Outcome, r.Attempt.Error = res.StatusCode, res.Latency, string(res.Outcome), res.Error
	switch res.Outcome {
	case Delivered:
		r.Status, r.Succeeded = detour.DeliveryDelivered, true
		d.cfg.Metrics.delivered(now.Sub(del.Event.CreatedAt))
		return r
	case Gone:
		r.Status = detour.DeliveryFailed
		if ep != nil && ep.Kind != detour.EndpointCallback {
			// One message's callback_url going away says nothing of the
			// tenant's other callbacks.
			r.Disable = "gone"
		}
		return r
	}
	// Retried until the window since it was queued has passed; the last
	// try falls on its end.
	if deadline := del.CreatedAt.Add(d.cfg.RetryWindow); now.Before(deadline) {
		r.Status, r.NextAt = detour.DeliveryPending, minTime(now.Add(d.backoff(r.Attempt.N)), deadline)
	} else {
		r.Status = detour.DeliveryFailed
		r.Attempt.Outcome = "failed"
	}
	if ep != nil && ep.Kind != detour.EndpointCallback {
		// The store decides on the streak as it stands when it records.
		r.DisableAfterTries, r.DisableAfter = d.cfg.DisableFailures, d.cfg.DisableAfter
	}
	return r
}

func (d *Dispatcher) post(ctx context.Context, del *detour.WebhookDelivery, ep *detour.WebhookEndpoint, now time.Time) Result {
	url := ep.URL
	if del.URL != "" {
		url = del.URL
	}
	var keys [][]byte
	for _, s := range ep.ActiveSecrets(now) {
		k, err := ParseSecret(s.Reveal())
		if err != nil {
			return Result{Outcome: Retry, Error: "the endpoint's secret is unusable"}
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return Result{Outcome: Retry, Error: "the endpoint has no valid secret"}
	}
	body, err := Payload(del.Event)
	if err != nil {
		return Result{Outcome: Retry, Error: "the event could not be encoded"}
	}
	// A delivery started is finished even while stopping: its outcome is
	// recorded either way.
	return d.cfg.Client.Deliver(context.WithoutCancel(ctx), url, keys, del.EventID, now, body)
}

func (d *Dispatcher) backoff(attempt int) time.Duration {
	d.rndMu.Lock()
	defer d.rndMu.Unlock()
	return Backoff(attempt, d.rnd.Float64)
}

// Body is what a delivery posts: the event as GET /v1/events shows it.
type Body struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	MessageID string          `json:"message_id,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

// Payload returns the body of a delivery of ev.
func Payload(ev *detour.Event) ([]byte, error) {
	return json.Marshal(Body{ID: ev.ID, Type: ev.Type, MessageID: ev.MessageID, CreatedAt: ev.CreatedAt.UTC(), Data: ev.Data})
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
