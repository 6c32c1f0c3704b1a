package wasim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/tokenbucket"
)

// Server is a simulated WhatsApp Cloud API. Create it with New, then
// Start it. It is safe for concurrent use.
type Server struct {
	cfg     Config
	clock   detour.Clock
	log     *slog.Logger
	client  *http.Client
	ownHTTP bool // client is ours: Stop closes its idle connections
	numbers map[string]Number
	srv     *http.Server

	wake   chan struct{} // a token: the earliest due item changed
	kick   chan struct{} // tokens: posts are ready
	done   chan struct{} // closed by Stop
	cancel context.CancelFunc
	ctx    context.Context // of webhook posts; cancelled by Stop
	wg     sync.WaitGroup

	mu      sync.Mutex
	rnd     *rand.Rand
	beh     Behavior
	mode    Mode
	hookURL string // Config.WebhookURL, or what SetWebhookURL set
	ln      net.Listener
	conns   map[net.Conn]struct{}
	addr    string
	started bool
	stopped bool
	buckets map[string]*tokenbucket.Bucket // Behavior.ThrottleAbove, per number
	cut     map[string]*tokenbucket.Bucket // Throttled mode, per number
	out     outbox
	nextID  uint64
	ledger  ledger
	ctr     counters
}

// New checks cfg, fills in its defaults and returns a server that is not
// yet listening.
func New(cfg Config) (*Server, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &Server{
		cfg: cfg, clock: cfg.Clock, log: cfg.Logger, client: cfg.HTTPClient,
		numbers: map[string]Number{},
		wake:    make(chan struct{}, 1), kick: make(chan struct{}, cfg.Posters), done: make(chan struct{}),
		rnd: cfg.Rand, beh: cfg.Behavior, mode: cfg.Mode, hookURL: cfg.WebhookURL,
		conns: map[net.Conn]struct{}{}, buckets: map[string]*tokenbucket.Bucket{}, cut: map[string]*tokenbucket.Bucket{},
		ledger: newLedger(cfg.Keep), ctr: newCounters(),
	}
	if s.client == nil {
		s.client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
			MaxIdleConnsPerHost: cfg.Posters, IdleConnTimeout: 90 * time.Second}}
		s.ownHTTP = true
	}
	for _, n := range cfg.Numbers {
		s.numbers[n.PhoneNumberID] = n
	}
	// Ids start from the clock so that a restarted simulator does not
	// reuse the wamids of its previous run.
	s.nextID = uint64(cfg.Clock.Now().UnixNano())
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.srv = &http.Server{
		Handler:           http.HandlerFunc(s.serveHTTP),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelDebug),
		ConnState:         s.connState,
	}
	return s, nil
}

// Start listens on the configured address and serves until Stop. The
// context is not kept. A server started in DownRefused mode reserves its
// address and closes the listener at once.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.stopped {
		return errors.New("wasim: Start called twice or after Stop")
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("wasim: listen: %w", err)
	}
	s.started = true
	s.addr = ln.Addr().String()
	s.wg.Add(1 + s.cfg.Posters)
	go s.schedule()
	for range s.cfg.Posters {
		go s.poster()
	}
	if s.mode == DownRefused {
		ln.Close()
	} else {
		s.serveLocked(ln)
	}
	s.log.Info("whatsapp simulator listening", "addr", s.addr, "mode", s.mode.String())
	return nil
}

func (s *Server) serveLocked(ln net.Listener) {
	s.ln = ln
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.srv.Serve(ln) // returns when ln closes
	}()
}

func (s *Server) connState(c net.Conn, st http.ConnState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch st {
	case http.StateNew:
		if s.mode == DownRefused || s.stopped {
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
	case http.StateClosed, http.StateHijacked:
		delete(s.conns, c)
	}
}

// Addr returns the address the server listens on, once started.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// URL returns the base URL to give a Cloud API client ("http://addr"),
// once started; the client adds the version.
func (s *Server) URL() string { return "http://" + s.Addr() }

// Mode returns the current mode.
func (s *Server) Mode() Mode {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mode
}

// SetMode switches the mode. Going DownRefused closes the listener and
// every connection at once; coming back listens on the same address again,
// which fails if another process took it. Statuses of messages accepted
// before go on being posted in every mode (Meta's webhooks are another
// system); messages accepted in Silent mode are never delivered.
func (s *Server) SetMode(m Mode) error {
	if m > Throttled {
		return fmt.Errorf("wasim: unknown mode %d", m)
	}
	s.mu.Lock()
	old := s.mode
	if old == m || !s.started || s.stopped {
		s.mode = m
		s.mu.Unlock()
		return nil
	}
	var drop []net.Conn
	if m == DownRefused {
		if s.ln != nil {
			s.ln.Close()
			s.ln = nil
		}
		for c := range s.conns {
			drop = append(drop, c)
		}
	}
	if old == DownRefused {
		ln, err := net.Listen("tcp", s.addr)
		if err != nil {
			s.mu.Unlock()
			return fmt.Errorf("wasim: listen again on %s: %w", s.addr, err)
		}
		s.serveLocked(ln)
	}
	s.mode = m
	s.mu.Unlock()
	for _, c := range drop {
		c.Close()
	}
	s.log.Info("whatsapp simulator mode", "from", old.String(), "to", m.String())
	return nil
}

// SetWebhookURL changes where webhooks go from the next POST on, as
// changing the callback URL in Meta's app dashboard does; "" stops
// posting (statuses are still recorded). Batches being retried go to the
// new URL.
func (s *Server) SetWebhookURL(u string) error {
	if err := checkWebhookURL(u); err != nil {
		return err
	}
	s.mu.Lock()
	s.hookURL = u
	s.mu.Unlock()
	return nil
}

// Behavior returns the current behaviour, to change and pass to
// SetBehavior.
func (s *Server) Behavior() Behavior {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.beh
}

// SetBehavior replaces the behaviour from the next send on. Messages
// already accepted keep the statuses and delays they were given.
func (s *Server) SetBehavior(b Behavior) error {
	if err := b.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	s.beh = b
	s.mu.Unlock()
	return nil
}

// Stop closes the listener and every connection (sends held by
// DownTimeout or Latency are cut), cancels webhook posts in flight, and
// waits for every goroutine of the server. Statuses not yet posted are
// discarded. ctx bounds the wait for requests being answered. Safe to
// call more than once.
func (s *Server) Stop(ctx context.Context) {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return
	}
	s.stopped = true
	started := s.started
	s.ln = nil
	s.mu.Unlock()
	close(s.done)
	s.cancel()
	if started {
		if err := s.srv.Shutdown(ctx); err != nil {
			s.srv.Close()
		}
	}
	s.wg.Wait()
	if s.ownHTTP {
		s.client.CloseIdleConnections()
	}
	if started {
		s.log.Info("whatsapp simulator stopped", "addr", s.addr)
	}
}
