package smsc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"time"

	"github.com/detourhq/detour"
)

// stopGrace is how long Stop waits for bound clients to answer unbind when
// its context has no earlier deadline.
const stopGrace = 2 * time.Second

// Server is a simulated SMSC. Create it with New, then Start it. It is safe
// for concurrent use.
type Server struct {
	cfg   Config
	clock detour.Clock
	log   *slog.Logger

	wake chan struct{} // a token: the earliest due delivery changed
	done chan struct{} // closed by Stop: the scheduler ends
	wg   sync.WaitGroup

	mu       sync.Mutex
	rnd      *rand.Rand
	beh      compiled
	mode     Mode
	ln       net.Listener
	addr     string
	started  bool
	stopped  bool
	sessions map[*session]struct{}
	accounts map[string]*account
	due      dueHeap
	pending  int    // deliveries in due and in every account's queue
	nextID   uint64 // numeric message id of the next accepted message
	idBase   uint64
	moRef    byte
	order    uint64 // of deliveries, for FIFO among equals
	ledger   ledger
	ctr      counters
}

// New checks cfg, fills in its defaults and returns a server that is not
// yet listening.
func New(cfg Config) (*Server, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &Server{
		cfg: cfg, clock: cfg.Clock, log: cfg.Logger,
		wake: make(chan struct{}, 1), done: make(chan struct{}),
		rnd: cfg.Rand, beh: compile(cfg.Behavior), mode: cfg.Mode,
		sessions: map[*session]struct{}{}, accounts: map[string]*account{},
		ledger: newLedger(cfg.Keep),
		ctr:    newCounters(),
	}
	// Ids start from the clock so that a restarted simulator does not
	// reuse the ids of its previous run (a gateway may still wait for
	// their receipts); 2^20 ids a second leave room enough.
	s.idBase = uint64(cfg.Clock.Now().Unix()) << 20
	s.nextID = s.idBase
	for _, a := range cfg.Accounts {
		s.accounts[a.SystemID] = &account{Account: a}
	}
	return s, nil
}

// Start listens on the configured address and serves until Stop. The
// context is not kept. A server started in Down mode reserves its address
// and closes the listener at once.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.stopped {
		return errors.New("smsc: Start called twice or after Stop")
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("smsc: listen: %w", err)
	}
	s.started = true
	s.addr = ln.Addr().String()
	s.wg.Add(1)
	go s.schedule()
	if s.mode == Down {
		ln.Close()
	} else {
		s.serveLocked(ln)
	}
	s.log.Info("smsc simulator listening", "addr", s.addr, "mode", s.mode.String())
	return nil
}

// Addr returns the address the server listens on, once started.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

func (s *Server) serveLocked(ln net.Listener) {
	s.ln = ln
	s.wg.Add(1)
	go s.accept(ln)
}

func (s *Server) accept(ln net.Listener) {
	defer s.wg.Done()
	for {
		nc, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			s.log.Warn("smsc accept", "err", err)
			select {
			case <-time.After(10 * time.Millisecond):
			case <-s.done:
				return
			}
			continue
		}
		s.mu.Lock()
		if s.stopped || s.mode == Down || s.ln != ln {
			s.mu.Unlock()
			nc.Close()
			continue
		}
		s.ctr.connections++
		ss := newSession(s, nc)
		s.sessions[ss] = struct{}{}
		s.wg.Add(2)
		s.mu.Unlock()
		go func() { defer s.wg.Done(); ss.c.writeLoop() }()
		go func() { defer s.wg.Done(); ss.readLoop() }()
	}
}

// Mode returns the current mode.
func (s *Server) Mode() Mode {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mode
}

// SetMode switches the mode. Going Down closes the listener and drops every
// connection at once (no unbind: the SMSC is gone); coming back listens on
// the same address again, which fails if another process took it. Receipts
// due meanwhile wait in their account's queue. Messages accepted in Silent
// mode never get a receipt, even after the mode changes.
func (s *Server) SetMode(m Mode) error {
	if m > Throttled {
		return fmt.Errorf("smsc: unknown mode %d", m)
	}
	s.mu.Lock()
	old := s.mode
	if old == m || !s.started || s.stopped {
		s.mode = m
		s.mu.Unlock()
		return nil
	}
	var drop []*session
	if m == Down {
		if s.ln != nil {
			s.ln.Close()
			s.ln = nil
		}
		for ss := range s.sessions {
			drop = append(drop, ss)
		}
	}
	if old == Down {
		ln, err := net.Listen("tcp", s.addr)
		if err != nil {
			s.mu.Unlock()
			return fmt.Errorf("smsc: listen again on %s: %w", s.addr, err)
		}
		s.serveLocked(ln)
	}
	s.mode = m
	s.mu.Unlock()
	for _, ss := range drop {
		ss.c.shutdown()
	}
	s.log.Info("smsc simulator mode", "from", old.String(), "to", m.String())
	return nil
}

// Behavior returns the current behaviour, to change and pass to
// SetBehavior.
func (s *Server) Behavior() Behavior {
	s.mu.Lock()
	defer s.mu.Unlock()
	return compile(s.beh.Behavior).Behavior // a copy of the map
}

// SetBehavior replaces the behaviour from the next submit on. Messages
// already accepted keep the outcome and delay they were given.
func (s *Server) SetBehavior(b Behavior) error {
	if err := b.Validate(); err != nil {
		return err
	}
	c := compile(b)
	s.mu.Lock()
	s.beh = c
	s.mu.Unlock()
	return nil
}

// Stop unbinds every bound client (sending unbind and waiting for the
// answer until ctx ends or two seconds pass), closes every connection and
// the listener, and waits for every goroutine of the server. Receipts not
// yet sent are discarded. Safe to call more than once.
func (s *Server) Stop(ctx context.Context) {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return
	}
	s.stopped = true
	if !s.started {
		s.mu.Unlock()
		return
	}
	if s.ln != nil {
		s.ln.Close()
		s.ln = nil
	}
	for ss := range s.sessions {
		if ss.acct != nil {
			ss.unbinding = true
			ss.c.send(ss.request(cmdUnbind, nil), false, true)
		} else {
			ss.c.shutdown()
		}
	}
	s.mu.Unlock()

	grace := time.NewTimer(stopGrace)
	defer grace.Stop()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
wait:
	for {
		s.mu.Lock()
		n := len(s.sessions)
		s.mu.Unlock()
		if n == 0 {
			break
		}
		select {
		case <-tick.C:
		case <-grace.C:
			break wait
		case <-ctx.Done():
			break wait
		}
	}
	s.mu.Lock()
	for ss := range s.sessions {
		ss.c.shutdown()
	}
	s.mu.Unlock()
	close(s.done)
	s.wg.Wait()
	s.log.Info("smsc simulator stopped", "addr", s.addr)
}
