// Package api serves Detour's HTTP API v1: sending, reading, listing and
// canceling messages, and verifications (one-time codes), with API-key
// authentication, per-key rate limits, problem+json errors, Prometheus
// metrics and an OpenAPI 3.1 description built from the same table that
// registers the routes.
package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/health"
)

// Defaults for the zero values of Config.
const (
	DefaultMaxBodyBytes = 64 << 10
	DefaultRateLimit    = 1000
	DefaultKeyCacheTTL  = 10 * time.Second
)

// Config is what the API needs. Messages and Keys are required; every other
// field has a default.
type Config struct {
	// Messages is the service behind the message endpoints.
	Messages detour.MessageService
	// Keys authenticates API keys.
	Keys detour.KeyStore
	// Ready reports readiness for GET /readyz; nil means always ready.
	Ready func(ctx context.Context) error
	// Registry receives the API's metrics and is served at GET /metrics.
	// When nil the API uses a registry of its own (never the global one).
	Registry *prometheus.Registry
	// Logger receives one Debug line per request and errors; nil discards.
	Logger *slog.Logger
	// Clock drives rate limits, key caching and idempotency timestamps;
	// nil means the system clock.
	Clock detour.Clock
	// MaxBodyBytes limits request bodies (default 64 KiB).
	MaxBodyBytes int64
	// RateLimit is the default number of requests per second per API key
	// (default 1000). A key's own APIKey.RateLimit replaces it when > 0.
	RateLimit float64
	// RateBurst is the default bucket size per key (default twice
	// RateLimit). Keys with their own rate get twice their rate.
	RateBurst int
	// Events lists the tenant's events for GET /v1/events; nil lists
	// none.
	Events detour.EventStore
	// Webhooks keeps webhook endpoints and their delivery logs; nil
	// serves none.
	Webhooks detour.WebhookStore
	// WebhookURL checks an endpoint URL when it is registered (the SSRF
	// rules); nil accepts any absolute http(s) URL.
	WebhookURL func(raw string) error
	// WebhookSecretValid reports whether a caller's own signing secret is
	// usable; nil refuses every one.
	WebhookSecretValid func(secret string) bool
	// Health is the outage detector behind GET /v1/channels and forcing
	// routes up or down; nil lists no channels.
	Health *health.Monitor
	// Verifications is the service behind /v1/verifications; nil answers
	// those endpoints 503 unavailable.
	Verifications detour.VerificationService
	// Routes reports the channels' routes for GET /v1/routes; nil lists
	// none.
	Routes func(ctx context.Context) []Route
	// KeyCacheTTL is how long a looked-up key is trusted before the store
	// is asked again, so revocations apply within it (default 10 s).
	// Unknown key ids are remembered for a fifth of it.
	KeyCacheTTL time.Duration
	// Extras are endpoints added for a mode of the node, such as the
	// simulated world's /v1/sim; see Extra.
	Extras []Extra
}

// Server is the HTTP API. It is an http.Handler.
type Server struct {
	cfg       Config
	log       *slog.Logger
	clock     detour.Clock
	mux       *http.ServeMux
	keys      *keyCache
	limiter   *limiter
	metrics   *metrics
	unmatched *routeMetrics
	ops       []*operation
	openapi   []byte
	ids       *detour.IDSource

	metricsHandler http.Handler
}

// New checks cfg, fills in defaults and builds the handler.
func New(cfg Config) (*Server, error) {
	if cfg.Messages == nil {
		return nil, errors.New("api: Config.Messages is required")
	}
	if cfg.Keys == nil {
		return nil, errors.New("api: Config.Keys is required")
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = detour.SystemClock{}
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.RateLimit <= 0 {
		cfg.RateLimit = DefaultRateLimit
	}
	if cfg.RateBurst <= 0 {
		cfg.RateBurst = max(1, int(2*cfg.RateLimit))
	}
	if cfg.Webhooks == nil {
		cfg.Webhooks = noWebhooks{}
	}
	if cfg.WebhookURL == nil {
		cfg.WebhookURL = func(raw string) error {
			if u, err := url.Parse(raw); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return detour.FieldErrorf(detour.CodeInvalidRequest, "url", "url is an absolute http(s) URL")
			}
			return nil
		}
	}
	if cfg.WebhookSecretValid == nil {
		cfg.WebhookSecretValid = func(string) bool { return false }
	}
	if cfg.KeyCacheTTL <= 0 {
		cfg.KeyCacheTTL = DefaultKeyCacheTTL
	}
	m, err := newMetrics(cfg.Registry)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:       cfg,
		log:       cfg.Logger,
		clock:     cfg.Clock,
		mux:       http.NewServeMux(),
		keys:      newKeyCache(cfg.Keys, cfg.Clock, cfg.KeyCacheTTL),
		limiter:   newLimiter(cfg.RateLimit, cfg.RateBurst),
		metrics:   m,
		unmatched: m.forRoute(routeUnmatched),
		ops:       operations(),
		ids:       detour.NewIDSource(cfg.Clock.Now, nil),
	}
	s.metricsHandler = promhttp.HandlerFor(cfg.Registry, promhttp.HandlerOpts{})
	for _, op := range s.ops {
		s.mux.Handle(op.pattern(), s.wrap(op))
	}
	for _, x := range cfg.Extras {
		if err := s.registerExtra(x); err != nil {
			return nil, err
		}
	}
	if s.openapi, err = s.buildOpenAPI(); err != nil {
		return nil, err
	}
	return s, nil
}

// responseWriter records the status and route of a request. A 404 or 405
// that the mux writes itself (no route matched) is held back and replaced
// by a problem+json body.
type responseWriter struct {
	http.ResponseWriter
	route     *routeMetrics
	status    int
	intercept int
}

var writerPool = sync.Pool{New: func() any { return new(responseWriter) }}

// WriteHeader records the status and passes it on.
func (w *responseWriter) WriteHeader(code int) {
	if w.route == nil && (code == http.StatusNotFound || code == http.StatusMethodNotAllowed) {
		w.intercept = code
		return
	}
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write passes b on, unless the response is being replaced.
func (w *responseWriter) Write(b []byte) (int, error) {
	if w.intercept != 0 {
		return len(b), nil
	}
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// ServeHTTP routes a request, then counts and logs it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rw := writerPool.Get().(*responseWriter)
	*rw = responseWriter{ResponseWriter: w}
	s.mux.ServeHTTP(rw, r)
	if rw.intercept != 0 {
		s.writeUnmatched(rw, r)
	}
	rm, status := rw.route, rw.status
	if rm == nil {
		rm = s.unmatched
	}
	if status == 0 {
		status = http.StatusOK
	}
	elapsed := time.Since(start)
	rm.observe(status, elapsed.Seconds())
	if s.log.Enabled(r.Context(), slog.LevelDebug) {
		s.log.LogAttrs(r.Context(), slog.LevelDebug, "http request",
			slog.String("method", r.Method), slog.String("route", rm.route),
			slog.Int("status", status), slog.Duration("duration", elapsed))
	}
	*rw = responseWriter{}
	writerPool.Put(rw)
}

// writeUnmatched answers a request no route took with a problem.
func (s *Server) writeUnmatched(rw *responseWriter, r *http.Request) {
	code := rw.intercept
	rw.intercept = 0
	rw.route = s.unmatched
	h := rw.Header()
	h.Del("X-Content-Type-Options")
	var p Problem
	if code == http.StatusMethodNotAllowed {
		p = problemFor(codeMethodNotAllowed, "this path does not take "+truncate(r.Method, 16)+"; see the Allow header", "")
	} else {
		p = problemFor(detour.CodeNotFound, "no such endpoint; see /v1/openapi.json", "")
	}
	writeJSON(rw, p.Status, ctProblem, p)
}
