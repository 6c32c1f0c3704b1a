// Package dispatch moves accepted messages through their channel policy:
// it claims due work from the store in batches, hands messages to channels,
// records outcomes, retries with backoff, falls back to the next step, and
// applies receipts. It implements detour.MessageService and
// detour.ReceiptSink.
package dispatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/health"
)

// Config configures an Engine. Zero values take the defaults in
// DefaultConfig.
type Config struct {
	Store    detour.Store
	Channels []detour.Channel
	Clock    detour.Clock
	IDs      *detour.IDSource
	Logger   *slog.Logger
	Metrics  *Metrics
	Rand     *rand.Rand // jitter; seeded from the clock if nil

	Owner         string        // this node's name in leases; random if empty
	Lease         time.Duration // how long a claim holds a timer
	Concurrency   int           // sends in flight at most
	ClaimBatch    int           // timers claimed per round at most
	PollInterval  time.Duration // longest sleep between looks at the store
	SendTimeout   time.Duration // longest a channel may take for one send
	OrphanTTL     time.Duration // how long an unmatched receipt is kept
	IdempotencyTT time.Duration // how long Idempotency-Keys are kept (at least 24 h)
	// TemplateTexts renders templates as text for channels that carry
	// only text (SMS): template name → language → text with {{1}}, {{2}}
	// ... for the body parameters. A language "" entry serves any
	// language without its own.
	TemplateTexts map[string]map[string]string
	// Health is the outage detector: sends skip channels and routes it
	// has down, and every outcome and receipt feeds it. nil: no
	// detection.
	Health *health.Monitor
	// CallbackURL checks a message's callback_url beyond its form (the
	// SSRF rules); nil checks only the form.
	CallbackURL func(raw string) error

	DefaultPolicy   []detour.Step
	DefaultValidity time.Duration
	MaxValidity     time.Duration
	MaxSteps        int

	MaxTriesPerStep int           // sends per step before moving on
	BackoffBase     time.Duration // first retry delay
	BackoffMax      time.Duration // longest retry delay
}

// DefaultConfig returns the defaults for every tunable.
func DefaultConfig() Config {
	return Config{
		Lease:           30 * time.Second,
		Concurrency:     512,
		ClaimBatch:      256,
		PollInterval:    time.Second,
		SendTimeout:     10 * time.Second,
		OrphanTTL:       time.Hour,
		IdempotencyTT:   24 * time.Hour,
		DefaultPolicy:   []detour.Step{{Channel: "sandbox"}},
		DefaultValidity: 24 * time.Hour,
		MaxValidity:     72 * time.Hour,
		MaxSteps:        5,
		MaxTriesPerStep: 5,
		BackoffBase:     time.Second,
		BackoffMax:      time.Minute,
	}
}

// Engine is the dispatcher. Start runs its loop; Stop drains it.
type Engine struct {
	cfg      Config
	store    detour.Store
	clock    detour.Clock
	log      *slog.Logger
	metrics  *Metrics
	channels map[string]detour.Channel
	routes   map[string]map[string]bool // channel → route names (nil: any)
	// healthKeys lists each channel's routes, in its own order, as keys
	// of the outage detector.
	healthKeys map[string][]health.Key

	rndMu sync.Mutex
	rnd   *rand.Rand

	wake     chan struct{}
	orphaned chan struct{} // a receipt was kept as an orphan
	orphans  atomic.Int64  // orphans kept and not yet applied (approximate)
	running  atomic.Bool   // the loop runs: accepted messages may be sent directly
	directMu sync.RWMutex  // held while taking a direct slot; Stop takes it to flip running
	inflight atomic.Int64
	sends    sync.WaitGroup

	runMu   sync.Mutex
	cancel  context.CancelFunc
	done    chan struct{}
	stopped bool
}

var (
	_ detour.MessageService = (*Engine)(nil)
	_ detour.ReceiptSink    = (*Engine)(nil)
)

// New returns an Engine; it does nothing until Start.
func New(cfg Config) (*Engine, error) {
	d := DefaultConfig()
	if cfg.Store == nil {
		return nil, errors.New("dispatch: Store is required")
	}
	if cfg.Clock == nil {
		cfg.Clock = detour.SystemClock{}
	}
	if cfg.IDs == nil {
		cfg.IDs = detour.NewIDSource(cfg.Clock.Now, nil)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics(nil)
	}
	if cfg.Rand == nil {
		seed := uint64(cfg.Clock.Now().UnixNano())
		cfg.Rand = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	}
	if cfg.Owner == "" {
		cfg.Owner = cfg.IDs.New("node_")
	}
	setDefault(&cfg.Lease, d.Lease)
	setDefault(&cfg.Concurrency, d.Concurrency)
	setDefault(&cfg.ClaimBatch, d.ClaimBatch)
	setDefault(&cfg.PollInterval, d.PollInterval)
	setDefault(&cfg.SendTimeout, d.SendTimeout)
	setDefault(&cfg.OrphanTTL, d.OrphanTTL)
	setDefault(&cfg.IdempotencyTT, d.IdempotencyTT)
	setDefault(&cfg.DefaultValidity, d.DefaultValidity)
	setDefault(&cfg.MaxValidity, d.MaxValidity)
	setDefault(&cfg.MaxSteps, d.MaxSteps)
	setDefault(&cfg.MaxTriesPerStep, d.MaxTriesPerStep)
	setDefault(&cfg.BackoffBase, d.BackoffBase)
	setDefault(&cfg.BackoffMax, d.BackoffMax)
	if len(cfg.DefaultPolicy) == 0 {
		cfg.DefaultPolicy = d.DefaultPolicy
	}
	if cfg.SendTimeout >= cfg.Lease {
		return nil, fmt.Errorf("dispatch: send timeout (%s) must be shorter than the lease (%s)", cfg.SendTimeout, cfg.Lease)
	}
	if cfg.IdempotencyTT < 24*time.Hour {
		return nil, fmt.Errorf("dispatch: idempotency keys must be kept at least 24h, not %s", cfg.IdempotencyTT)
	}
	e := &Engine{cfg: cfg, store: cfg.Store, clock: cfg.Clock, log: cfg.Logger, metrics: cfg.Metrics,
		rnd: cfg.Rand, channels: map[string]detour.Channel{}, routes: map[string]map[string]bool{}, healthKeys: map[string][]health.Key{},
		wake: make(chan struct{}, 1), orphaned: make(chan struct{}, 1)}
	for _, ch := range cfg.Channels {
		if _, dup := e.channels[ch.Name()]; dup {
			return nil, fmt.Errorf("dispatch: two channels are named %q", ch.Name())
		}
		e.channels[ch.Name()] = ch
		var names []string
		if rl, ok := ch.(detour.RouteLister); ok {
			names = rl.Routes()
			e.routes[ch.Name()] = map[string]bool{}
			for _, r := range names {
				e.routes[ch.Name()][r] = true
			}
		}
		e.healthKeys[ch.Name()] = routeKeysOf(ch.Name(), names)
		if cfg.Health != nil {
			for _, k := range e.healthKeys[ch.Name()] {
				cfg.Health.Register(k)
			}
		}
	}
	for i, s := range cfg.DefaultPolicy {
		if err := e.checkStep(s, i, nil); err != nil {
			return nil, fmt.Errorf("dispatch: default policy: %w", err)
		}
	}
	cfg.Metrics.setQueueDepth(func() float64 {
		n, err := e.store.Due(context.Background(), e.clock.Now())
		if err != nil {
			return -1
		}
		return float64(n)
	})
	return e, nil
}

func setDefault[T comparable](v *T, d T) {
	var zero T
	if *v == zero {
		*v = d
	}
}

// Start runs the dispatch loop and the housekeeping loop until Stop.
func (e *Engine) Start(ctx context.Context) error {
	e.runMu.Lock()
	defer e.runMu.Unlock()
	if e.cancel != nil || e.stopped {
		return errors.New("dispatch: already started")
	}
	ctx, e.cancel = context.WithCancel(context.WithoutCancel(ctx))
	e.done = make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); e.loop(ctx) }()
	go func() { defer wg.Done(); e.housekeeping(ctx) }()
	go func() { wg.Wait(); close(e.done) }()
	e.running.Store(true)
	return nil
}

// Stop ends the loops, then waits for sends in flight to finish and their
// outcomes to be recorded. Safe to call twice, and before Start.
func (e *Engine) Stop() {
	e.directMu.Lock()
	e.running.Store(false)
	e.directMu.Unlock()
	e.runMu.Lock()
	e.stopped = true
	cancel, done := e.cancel, e.done
	e.runMu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
	e.sends.Wait()
}

// Notify wakes the loop: there may be work due now.
func (e *Engine) Notify() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

func (e *Engine) loop(ctx context.Context) {
	timer := e.clock.NewTimer(e.cfg.PollInterval)
	defer timer.Stop()
	for ctx.Err() == nil {
		free := e.cfg.Concurrency - int(e.inflight.Load())
		full := false
		if free > 0 {
			n, err := e.RunOnce(ctx, min(free, e.cfg.ClaimBatch))
			if err != nil && ctx.Err() == nil {
				e.log.Error("dispatch: claim failed", "err", err)
			}
			full = err == nil && n == min(free, e.cfg.ClaimBatch)
		}
		if full {
			continue // more is probably due
		}
		sleep := e.cfg.PollInterval
		if free > 0 {
			if at, ok, err := e.store.NextDue(ctx); err == nil && ok {
				sleep = min(sleep, max(at.Sub(e.clock.Now()), time.Millisecond))
			}
		}
		timer.Reset(sleep)
		select {
		case <-ctx.Done():
		case <-e.wake:
		case <-timer.C():
		}
		timer.Stop()
	}
}

func (e *Engine) housekeeping(ctx context.Context) {
	const tick = 250 * time.Millisecond
	timer := e.clock.NewTimer(tick)
	defer timer.Stop()
	nextPurge := e.clock.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C():
		case <-e.orphaned:
			// A receipt just beat its send's outcome, which is most likely
			// committing right now: try it again at once, not at the tick.
			timer.Stop()
		}
		now := e.clock.Now()
		if _, err := e.RetryOrphans(ctx); err != nil && ctx.Err() == nil {
			e.log.Error("dispatch: retrying orphan receipts failed", "err", err)
		}
		if !now.Before(nextPurge) {
			if n, err := e.store.PurgeIdempotency(ctx, now.Add(-e.cfg.IdempotencyTT)); err != nil && ctx.Err() == nil {
				e.log.Error("dispatch: purging idempotency keys failed", "err", err)
			} else if n > 0 {
				e.log.Debug("dispatch: purged idempotency keys", "count", n)
			}
			nextPurge = now.Add(10 * time.Minute)
		}
		timer.Reset(tick)
	}
}

// RetryOrphans applies receipts that arrived before the send they are about
// was recorded, and drops those older than the orphan TTL. The loop calls it
// several times a second.
func (e *Engine) RetryOrphans(ctx context.Context) (int, error) {
	now := e.clock.Now()
	n, err := e.store.RetryOrphans(ctx, now.Add(-e.cfg.OrphanTTL), e.applyReceipt(now))
	if n > 0 {
		e.orphans.Add(-int64(n))
		e.metrics.orphansApplied.Add(float64(n))
		e.Notify()
	}
	return n, err
}

// wakeOrphans asks the housekeeping loop to retry kept receipts now.
func (e *Engine) wakeOrphans() {
	select {
	case e.orphaned <- struct{}{}:
	default:
	}
}

func (e *Engine) jitter() float64 {
	e.rndMu.Lock()
	defer e.rndMu.Unlock()
	return e.rnd.Float64()
}
