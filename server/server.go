// Package server assembles a Detour node from its configuration: the store,
// the channels, the dispatcher, the verification service and the HTTP API.
// It is the one place where the parts are wired together; cmd/detour and
// tests call it.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/api"
	"github.com/detourhq/detour/config"
	"github.com/detourhq/detour/dispatch"
	"github.com/detourhq/detour/health"
	"github.com/detourhq/detour/sandbox"
	"github.com/detourhq/detour/sms"
	"github.com/detourhq/detour/sqlite"
	"github.com/detourhq/detour/verify"
	"github.com/detourhq/detour/webhook"
	"github.com/detourhq/detour/whatsapp"
)

// Server is one running Detour node.
type Server struct {
	cfg     config.Config
	log     *slog.Logger
	store   *sqlite.DB
	engine  *dispatch.Engine
	verify  *verify.Service
	sandbox *sandbox.Channel
	sms     *sms.Channel
	wa      *whatsapp.WhatsApp
	hooks   *webhook.Dispatcher
	health  *health.Monitor

	healthMu      sync.Mutex
	healthQueue   []health.Transition // changes healthWorker has yet to act on
	healthWake    chan struct{}
	healthStop    chan struct{}
	healthDone    chan struct{}
	healthRunning bool
	hookCli       *webhook.Client
	handler       http.Handler
	http          *http.Server
	ln            net.Listener

	stopOnce sync.Once
	stopErr  error
	served   chan error
}

// Options are the parts a caller may supply; zero values are fine.
type Options struct {
	Logger   *slog.Logger
	Clock    detour.Clock
	Registry *prometheus.Registry
	// Extras are API endpoints added for a mode of the node, behind the
	// same API keys (serve --simulate adds /v1/sim); see api.Extra.
	Extras []api.Extra
}

// New opens the data directory and builds every part, ready to Start.
func New(ctx context.Context, cfg config.Config, opts Options) (*Server, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Clock == nil {
		opts.Clock = detour.SystemClock{}
	}
	if opts.Registry == nil {
		opts.Registry = prometheus.NewRegistry()
		opts.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	store, err := sqlite.Open(ctx, cfg.Server.Data, sqlite.Options{Logger: opts.Logger, Now: opts.Clock.Now, Exclusive: true})
	if err != nil {
		return nil, fmt.Errorf("opening the data directory %s: %w", cfg.Server.Data, err)
	}
	opts.Registry.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "detour_store_writes_total",
			Help: "Writes run by the store's writer; divided by commits, the mean group-commit batch."},
			func() float64 { return float64(store.Stats().Ops) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "detour_store_commits_total",
			Help: "Transactions the store's writer committed (one fsync each)."},
			func() float64 { return float64(store.Stats().Commits) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "detour_store_writer_busy_seconds_total",
			Help: "Time the store's one writer spent running batches; a rate near 1 means writes are the bottleneck."},
			func() float64 { return store.Stats().Busy.Seconds() }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "detour_store_commit_seconds_total",
			Help: "Part of the writer's busy time spent committing: writing the WAL and fsyncing."},
			func() float64 { return store.Stats().Commit.Seconds() }))
	s := &Server{cfg: cfg, log: opts.Logger, store: store, served: make(chan error, 1),
		healthWake: make(chan struct{}, 1), healthStop: make(chan struct{}), healthDone: make(chan struct{})}
	fail := func(err error) (*Server, error) {
		store.Close()
		return nil, err
	}

	// The engine is the receipt sink of the channels it drives, and the
	// channels are part of its configuration: make the sink first.
	sink := &receiptSink{}
	inboundIDs := detour.NewIDSource(opts.Clock.Now, nil)
	saveInbound := func(ctx context.Context, in *detour.Inbound) error {
		if in.ID == "" {
			in.ID = inboundIDs.New("in_")
		}
		_, _, err := store.SaveInbound(ctx, in)
		return err
	}
	s.health, err = health.New(health.Config{Clock: opts.Clock, Metrics: health.NewMetrics(opts.Registry), OnChange: s.onHealth,
		ProbeCooloff: cfg.Health.ProbeCooloff, MaxCooloff: cfg.Health.MaxCooloff, ProbeInterval: cfg.Health.ProbeInterval})
	if err != nil {
		return fail(err)
	}
	var channels []detour.Channel
	if cfg.Channels.Sandbox.Enabled {
		s.sandbox, err = sandbox.New(sandbox.Config{Routes: cfg.Channels.Sandbox.Routes, Receipts: sink, Clock: opts.Clock})
		if err != nil {
			return fail(fmt.Errorf("config: channels.sandbox: %w", err))
		}
		channels = append(channels, s.sandbox)
	}
	if len(cfg.Channels.SMS.Routes) > 0 {
		s.sms, err = sms.New(sms.Config{Routes: cfg.Channels.SMS.Routes, Receipts: sink, Clock: opts.Clock,
			Logger: opts.Logger.With("channel", sms.Name), Inbound: saveInbound,
			RouteUp: func(route string) bool { return s.health.RouteUp(health.Key{Channel: sms.Name, Route: route}) },
			Rerouted: func(route string, at time.Time, took time.Duration, out detour.Outcome) {
				s.health.Submitted(health.Key{Channel: sms.Name, Route: route}, at, took, health.ClassOf(out))
			}})
		if err != nil {
			return fail(err)
		}
		channels = append(channels, s.sms)
	}
	var waHook http.Handler
	if wc := cfg.Channels.WhatsApp; len(wc.Numbers) > 0 {
		c := wc.Client()
		c.Clock, c.Logger = opts.Clock, opts.Logger.With("channel", whatsapp.Channel)
		c.LastInbound = lastInbound(store)
		if s.wa, err = whatsapp.NewChannel(c); err != nil {
			return fail(err)
		}
		if waHook, err = whatsapp.NewWebhookHandler(c, sink, saveInbound); err != nil {
			return fail(err)
		}
		channels = append(channels, s.wa)
	}
	// Verification messages carry a token where the code goes: every
	// channel gets it rendered on the way, and only then.
	secret, err := verifySecret(cfg.Verify.Secret, cfg.Server.Data)
	if err != nil {
		return fail(fmt.Errorf("config: verify.secret: %w", err))
	}
	renderer, err := verify.NewRenderer(verify.RendererConfig{Store: store, Secret: secret, Clock: opts.Clock,
		TemplateChannels: []string{whatsapp.Channel}})
	if err != nil {
		return fail(err)
	}
	var names []string
	for i, ch := range channels {
		names = append(names, ch.Name())
		channels[i] = renderer.Wrap(ch)
	}
	d := cfg.Dispatch
	s.engine, err = dispatch.New(dispatch.Config{
		Store: store, Channels: channels, Clock: opts.Clock, Logger: opts.Logger,
		Metrics: dispatch.NewMetrics(opts.Registry),
		Lease:   d.Lease, Concurrency: d.Concurrency, ClaimBatch: d.ClaimBatch, PollInterval: d.PollInterval,
		SendTimeout: d.SendTimeout, MaxTriesPerStep: d.MaxTriesPerStep, BackoffBase: d.BackoffBase, BackoffMax: d.BackoffMax,
		DefaultPolicy: cfg.Messages.Policy(), DefaultValidity: cfg.Messages.DefaultValidity,
		MaxValidity: cfg.Messages.MaxValidity, IdempotencyTT: cfg.Messages.IdempotencyTTL,
		CallbackURL: func(raw string) error { return webhook.ValidateCallbackURL(raw, cfg.Webhooks.AllowPrivateNetworks) },
		Health:      s.health, TemplateTexts: cfg.Messages.TemplateTexts,
	})
	if err != nil {
		return fail(err)
	}
	sink.engine = s.engine
	wh := cfg.Webhooks
	s.hookCli = webhook.NewClient(webhook.Config{Timeout: wh.Timeout, MaxResponseBytes: wh.MaxResponseBytes,
		AllowPrivateNetworks: wh.AllowPrivateNetworks})
	s.hooks, err = webhook.NewDispatcher(webhook.DispatcherConfig{
		Store: store, Client: s.hookCli, Clock: opts.Clock, Logger: opts.Logger.With("part", "webhooks"),
		Queued: store.DeliveriesQueued(), Metrics: webhook.NewMetrics(opts.Registry),
		Concurrency: wh.Concurrency, Lease: wh.Timeout + 5*time.Second, RetryWindow: wh.RetryWindow,
		DisableAfter: wh.DisableAfter, DisableFailures: wh.DisableFailures,
	})
	if err != nil {
		return fail(err)
	}
	v := cfg.Verify
	s.verify, err = verify.New(verify.Config{
		Messages: s.engine, Store: store, Secret: secret, Clock: opts.Clock, Logger: opts.Logger,
		Channels: verifyChannels(v.Channels, names, cfg.Messages.Policy()), Known: names,
		FallbackAfter: v.FallbackAfter, Expiry: v.Expiry, CodeLength: v.CodeLength, Locale: v.Locale,
		Template: v.WhatsApp.Template, Brand: v.Brand, Limits: v.Limits,
	})
	if err != nil {
		return fail(fmt.Errorf("config: verify: %w", err))
	}
	apiHandler, err := api.New(api.Config{
		Messages: s.engine, Keys: store, Ready: store.Ready, Registry: opts.Registry, Logger: opts.Logger,
		Clock: opts.Clock, MaxBodyBytes: cfg.Server.MaxBodyBytes, RateLimit: cfg.Server.RateLimit, RateBurst: cfg.Server.RateBurst,
		Routes: s.routes, Events: store, Webhooks: store, Health: s.health, Extras: opts.Extras, Verifications: s.verify,
		WebhookURL: func(raw string) error { return webhook.ValidateURL(raw, wh.AllowPrivateNetworks) },
		WebhookSecretValid: func(secret string) bool {
			_, err := webhook.ParseSecret(secret)
			return err == nil && strings.HasPrefix(secret, webhook.SecretPrefix)
		},
	})
	if err != nil {
		return fail(err)
	}
	s.handler = apiHandler
	if waHook != nil {
		// Webhooks from providers carry their own signatures, not API keys.
		mux := http.NewServeMux()
		mux.Handle("/webhooks/whatsapp", waHook)
		mux.Handle("/", apiHandler)
		s.handler = mux
	}
	return s, nil
}

// verifyChannels returns the configured verification channels that exist,
// in order; with none, the default policy's channels.
func verifyChannels(want, configured []string, policy []detour.Step) []string {
	var out []string
	for _, ch := range want {
		if slices.Contains(configured, ch) {
			out = append(out, ch)
		}
	}
	if len(out) > 0 {
		return out
	}
	for _, st := range policy {
		if !slices.Contains(out, st.Channel) && len(out) < verify.MaxChannels {
			out = append(out, st.Channel)
		}
	}
	return out
}

// lastInbound tells the WhatsApp channel when a user last wrote to a
// business number, from the stored inbound messages.
func lastInbound(store detour.InboundStore) func(ctx context.Context, route, user string) (time.Time, bool, error) {
	return func(ctx context.Context, route, user string) (time.Time, bool, error) {
		recent, err := store.InboundMessages(ctx, detour.InboundFilter{Channel: whatsapp.Channel, From: user, Limit: 20})
		if err != nil {
			return time.Time{}, false, err
		}
		for _, in := range recent {
			if in.Route == route {
				return in.ReceivedAt, true, nil
			}
		}
		return time.Time{}, false, nil
	}
}

// receiptSink forwards receipts to the engine once it exists.
type receiptSink struct{ engine *dispatch.Engine }

func (r *receiptSink) Receipt(ctx context.Context, rc detour.Receipt) error {
	return r.engine.Receipt(ctx, rc)
}

// Start listens on the configured address and starts dispatching.
func (s *Server) Start(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Server.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", s.cfg.Server.Addr, err)
	}
	s.ln = ln
	if s.sms != nil {
		if err := s.sms.Start(ctx); err != nil {
			ln.Close()
			return err
		}
	}
	if err := s.engine.Start(ctx); err != nil {
		ln.Close()
		return err
	}
	if err := s.hooks.Start(ctx); err != nil {
		ln.Close()
		return err
	}
	s.healthRunning = true
	go func() { defer close(s.healthDone); s.healthWorker(s.healthStop) }()
	if err := s.health.Start(ctx); err != nil {
		ln.Close()
		return err
	}

	if err := s.verify.Start(ctx); err != nil {
		ln.Close()
		return err
	}
	s.http = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	go func() { s.served <- s.http.Serve(ln) }()
	s.log.Info("detour is serving", "addr", ln.Addr().String(), "data", s.cfg.Server.Data)
	return nil
}

// Addr returns the address the server listens on.
func (s *Server) Addr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Handler returns the HTTP API handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Store returns the node's store.
func (s *Server) Store() *sqlite.DB { return s.store }

// Verify returns the node's verification service.
func (s *Server) Verify() *verify.Service { return s.verify }

// Engine returns the node's dispatcher.
func (s *Server) Engine() *dispatch.Engine { return s.engine }

// SMS returns the SMS channel, or nil when no route is configured.
func (s *Server) SMS() *sms.Channel { return s.sms }

// Sandbox returns the sandbox channel, or nil when it is disabled.
func (s *Server) Sandbox() *sandbox.Channel { return s.sandbox }

// Stop drains the node: it stops taking requests and lets those in flight
// finish, stops claiming work and waits for sends in flight to be recorded,
// then closes the store. Safe to call twice.
func (s *Server) Stop(ctx context.Context) error {
	s.stopOnce.Do(func() {
		var errs []error
		if s.http != nil {
			if err := s.http.Shutdown(ctx); err != nil {
				errs = append(errs, fmt.Errorf("http shutdown: %w", err))
			}
			if err := <-s.served; err != nil && !errors.Is(err, http.ErrServerClosed) {
				errs = append(errs, err)
			}
		}
		s.verify.Stop()
		s.engine.Stop()
		s.health.Stop()
		close(s.healthStop)
		if s.healthRunning {
			<-s.healthDone
		}
		s.hooks.Stop()
		s.hookCli.Close()
		if s.sms != nil {
			s.sms.Stop(ctx)
		}
		if s.sandbox != nil {
			s.sandbox.Stop()
		}
		if err := s.store.Close(); err != nil {
			errs = append(errs, fmt.Errorf("closing the store: %w", err))
		}
		s.stopErr = errors.Join(errs...)
		s.log.Info("detour stopped")
	})
	return s.stopErr
}

// NewLogger returns the logger the configuration asks for, writing to w.
func NewLogger(c config.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Level))
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// CreateKey makes an API key for a tenant (created if new) and returns the
// plaintext, to be shown once.
func CreateKey(ctx context.Context, keys detour.KeyStore, tenant string, now time.Time) (string, *detour.APIKey, error) {
	if tenant == "" || len(tenant) > 100 {
		return "", nil, errors.New("a tenant name has 1 to 100 characters")
	}
	plain, k := detour.NewAPIKey(detour.NewIDSource(time.Now, nil), now)
	if err := keys.CreateAPIKey(ctx, tenant, k); err != nil {
		return "", nil, err
	}
	return plain, k, nil
}
