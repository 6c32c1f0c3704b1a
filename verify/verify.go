// Package verify sends one-time codes and checks them (OTP / MFA): it
// implements detour.VerificationService over a detour.VerificationStore
// and the dispatcher's detour.MessageService.
//
// A verification sends its code as ordinary Detour messages (priority otp,
// a policy of the verification's channels with a fallback window between
// them), so it gets the dispatcher's retries, fallback and durability. The
// code is never stored, logged or returned: messages carry a token where
// the code goes, which the Renderer replaces on the way to the channel;
// the store keeps a random seed the code is derived from with the server
// secret, and HMAC-SHA256(secret, id + code) for checks.
//
// Checks compare in constant time and take one of at most five attempts
// atomically in the store. An approved, canceled or exhausted verification
// cancels its messages that are still pending, so no fallback follows, and
// the Renderer refuses to send the code of a verification that ended.
package verify

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/detourhq/detour"
)

// Config configures a Service. Messages, Store, Secret and Channels are
// required; other zero values take the defaults of DefaultConfig, except
// Limits, whose zero values turn each limit off.
type Config struct {
	Messages detour.MessageService
	Store    detour.VerificationStore
	// Secret keys the code hashes and derivations: at least 32 bytes.
	// Changing it makes the codes of pending verifications wrong.
	Secret detour.Secret
	Clock  detour.Clock
	IDs    *detour.IDSource
	// Rand is where code seeds come from: crypto/rand when nil. Tests
	// inject it to know the code in advance.
	Rand   io.Reader
	Logger *slog.Logger

	// Channels is the default channel order, such as whatsapp then sms.
	Channels []string
	// Known lists the configured channels: a request naming another is
	// refused before anything is stored. Nil skips the check (the
	// dispatcher still refuses the message).
	Known []string
	// FallbackAfter is how long each channel but the last has to deliver
	// before the next one is tried. With WhatsApp it must be at least the
	// authentication template's message_send_ttl_seconds, so that
	// WhatsApp gives up before the SMS goes (config checks this).
	FallbackAfter time.Duration
	Expiry        time.Duration // default validity of a code
	CodeLength    int           // default digits of a code
	Locale        string        // default language of the texts
	Template      string        // default WhatsApp authentication template
	Brand         string        // default brand named in the SMS text, "" for none

	Limits Limits

	// SweepInterval is how often Start's loop expires verifications whose
	// expiry passed unnoticed, writing their events.
	SweepInterval time.Duration
}

// Bounds of a request.
const (
	MinExpiry      = time.Minute
	MaxExpiry      = time.Hour
	MaxChannels    = 5
	maxCodeInput   = 64
	sweepBatch     = 500
	cancelDeadline = 10 * time.Second
)

// DefaultConfig returns the defaults of the tunables.
func DefaultConfig() Config {
	return Config{
		FallbackAfter: 40 * time.Second,
		Expiry:        10 * time.Minute,
		CodeLength:    6,
		Locale:        "en",
		Template:      "verification_code",
		SweepInterval: 30 * time.Second,
	}
}

// Service is the verification service. Start runs its expiry sweep.
type Service struct {
	cfg    Config
	msgs   detour.MessageService
	store  detour.VerificationStore
	codes  *codes
	clock  detour.Clock
	ids    *detour.IDSource
	rand   io.Reader
	log    *slog.Logger
	limits *limiter
	known  map[string]bool

	runMu   sync.Mutex
	cancel  context.CancelFunc
	done    chan struct{}
	stopped bool
}

var _ detour.VerificationService = (*Service)(nil)

var errNoStore = errors.New("verify: Store is required")

// New checks cfg and returns a Service.
func New(cfg Config) (*Service, error) {
	d := DefaultConfig()
	if cfg.Messages == nil {
		return nil, errors.New("verify: Messages is required")
	}
	if cfg.Store == nil {
		return nil, errNoStore
	}
	c, err := newCodes(cfg.Secret)
	if err != nil {
		return nil, err
	}
	if len(cfg.Channels) == 0 || len(cfg.Channels) > MaxChannels {
		return nil, errors.New("verify: Channels needs 1 to 5 channels")
	}
	if cfg.Clock == nil {
		cfg.Clock = detour.SystemClock{}
	}
	if cfg.IDs == nil {
		cfg.IDs = detour.NewIDSource(cfg.Clock.Now, nil)
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	setDefault(&cfg.FallbackAfter, d.FallbackAfter)
	setDefault(&cfg.Expiry, d.Expiry)
	setDefault(&cfg.CodeLength, d.CodeLength)
	setDefault(&cfg.Locale, d.Locale)
	setDefault(&cfg.Template, d.Template)
	setDefault(&cfg.SweepInterval, d.SweepInterval)
	if err := cfg.Limits.Validate("limits"); err != nil {
		return nil, errors.New("verify: " + err.Error())
	}
	s := &Service{cfg: cfg, msgs: cfg.Messages, store: cfg.Store, codes: c, clock: cfg.Clock, ids: cfg.IDs,
		rand: cfg.Rand, log: cfg.Logger, limits: newLimiter(cfg.Limits)}
	if cfg.Known != nil {
		s.known = map[string]bool{}
		for _, ch := range cfg.Known {
			s.known[ch] = true
		}
	}
	// The defaults must pass the checks every request passes.
	if _, err := s.params(&detour.VerificationRequest{To: "+447400123456"}); err != nil {
		return nil, errors.New("verify: the defaults are invalid: " + err.Error())
	}
	return s, nil
}

func setDefault[T comparable](v *T, d T) {
	var zero T
	if *v == zero {
		*v = d
	}
}

// Start runs the expiry sweep until Stop.
func (s *Service) Start(ctx context.Context) error {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	if s.cancel != nil || s.stopped {
		return errors.New("verify: already started")
	}
	ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	s.done = make(chan struct{})
	go s.loop(ctx)
	return nil
}

// Stop ends the sweep and waits for it. Safe to call twice, and before
// Start.
func (s *Service) Stop() {
	s.runMu.Lock()
	s.stopped = true
	cancel, done := s.cancel, s.done
	s.runMu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

func (s *Service) loop(ctx context.Context) {
	defer close(s.done)
	t := s.clock.NewTimer(s.cfg.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C():
		}
		if _, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("verify: expiring verifications failed", "err", err)
		}
		t.Reset(s.cfg.SweepInterval)
	}
}

// Sweep expires every pending verification whose expiry has passed, each
// with its verification.status event, and returns how many. Their messages
// need no canceling: they expire with the verification.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := s.store.ExpireVerifications(ctx, s.clock.Now(), sweepBatch)
		total += n
		if err != nil || n < sweepBatch {
			return total, err
		}
	}
}
