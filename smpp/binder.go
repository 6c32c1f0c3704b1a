package smpp

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// binder keeps one connection of a client bound: it dials, binds, serves
// the session, and after a drop or a failure waits a backoff and starts
// over, until the client stops. Its counters outlive the sessions.
type binder struct {
	c     *Client
	index int       // the bind this connection belongs to
	cmd   CommandID // bind_transceiver, bind_transmitter or bind_receiver
	log   *slog.Logger

	sent     atomic.Uint64 // submits written
	timeouts atomic.Uint64 // submits resolved with ErrResponseTimeout
	lost     atomic.Uint64 // submits resolved with ErrConnectionLost

	mu        sync.Mutex
	state     State
	since     time.Time
	session   *session
	responses map[Status]uint64
	deliverSM uint64
	receipts  uint64
	dataSM    uint64
	binds     uint64
	lastErr   string
	lastErrAt time.Time
}

// run is the binder's goroutine.
func (b *binder) run(ctx context.Context) {
	defer b.c.wg.Done()
	cfg := &b.c.cfg
	attempt := 0
	for {
		b.setState(StateConnecting, nil)
		s, err := b.connect(ctx)
		if err == nil {
			attempt = 0
			b.setState(StateBound, s)
			b.log.Info("smpp: bound")
			err = s.serve(ctx)
			b.setState(StateConnecting, nil)
		}
		if ctx.Err() != nil {
			b.setState(StateClosed, nil)
			b.log.Info("smpp: closed")
			return
		}
		b.failed(err)
		d := backoff(attempt, cfg.ReconnectMin, cfg.ReconnectMax, rand.Float64())
		attempt++
		b.log.Warn("smpp: bind lost or failed; reconnecting", "err", err, "after", d)
		t := cfg.Clock.NewTimer(d)
		select {
		case <-t.C():
		case <-ctx.Done():
			t.Stop()
			b.setState(StateClosed, nil)
			return
		}
	}
}

// backoff returns the wait before reconnect attempt n (0 after the first
// failure): ReconnectMin doubled n times, capped at ReconnectMax, then
// jittered uniformly down to half (r in [0,1)), never below min.
func backoff(n int, lo, hi time.Duration, r float64) time.Duration {
	d := lo
	for i := 0; i < n && d < hi; i++ {
		d *= 2
	}
	d = min(d, hi)
	d = d/2 + time.Duration(r*float64(d/2))
	return max(d, lo)
}

// connect dials and binds, bounded by ResponseTimeout and ctx.
func (b *binder) connect(ctx context.Context) (*session, error) {
	cfg := &b.c.cfg
	ctx, cancel := context.WithTimeout(ctx, cfg.ResponseTimeout)
	defer cancel()
	conn, err := cfg.Dial(ctx, cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("smpp: dial: %w", err)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetNoDelay(true) // Go's default; said out loud
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	r, err := b.bind(conn)
	if !stop() && err == nil {
		err = ctx.Err()
	}
	if err != nil {
		conn.Close()
		return nil, err
	}
	conn.SetDeadline(time.Time{})
	return newSession(b, conn, r, 1), nil
}

// bind sends the bind with sequence 1 and reads until its response.
func (b *binder) bind(conn net.Conn) (*Reader, error) {
	cfg := &b.c.cfg
	conn.SetDeadline(time.Now().Add(cfg.ResponseTimeout))
	req, err := Encode(PDU{
		Header: Header{Command: b.cmd, Sequence: 1},
		Body: &Bind{
			SystemID:         cfg.SystemID,
			Password:         cfg.Password.Reveal(),
			SystemType:       cfg.SystemType,
			InterfaceVersion: 0x34,
		},
	})
	if err != nil {
		return nil, err
	}
	if _, err := conn.Write(req); err != nil {
		return nil, fmt.Errorf("smpp: %s: %w", b.cmd, err)
	}
	r := NewReader(bufio.NewReaderSize(conn, 32<<10), 0)
	want, _ := b.cmd.Response()
	for {
		p, err := r.ReadPDU()
		if err != nil {
			return nil, fmt.Errorf("smpp: waiting for %s: %w", want, err)
		}
		switch {
		case (p.Command == want || p.Command == CommandGenericNack) && p.Sequence == 1:
			if p.Status != StatusOK {
				return nil, &StatusError{Command: p.Command, Status: p.Status}
			}
			if p.Command == CommandGenericNack {
				return nil, &StatusError{Command: p.Command, Status: StatusUnknownErr}
			}
			return r, nil
		case p.Command == CommandEnquireLink:
			resp, _ := Encode(PDU{Header: Header{Command: CommandEnquireLinkResp, Sequence: p.Sequence}})
			if _, err := conn.Write(resp); err != nil {
				return nil, fmt.Errorf("smpp: waiting for %s: %w", want, err)
			}
		}
	}
}

func (b *binder) mode() string {
	switch b.cmd {
	case CommandBindTransmitter:
		return "transmitter"
	case CommandBindReceiver:
		return "receiver"
	}
	return "transceiver"
}

func (b *binder) setState(st State, s *session) {
	now := b.c.cfg.Clock.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	if st == StateBound {
		b.binds++
	}
	if st != b.state {
		b.state, b.since = st, now
	}
	b.session = s
}

func (b *binder) failed(err error) {
	if err == nil {
		err = errors.New("smpp: closed")
	}
	now := b.c.cfg.Clock.Now()
	b.mu.Lock()
	b.lastErr, b.lastErrAt = err.Error(), now
	b.mu.Unlock()
}

func (b *binder) countResponse(st Status) {
	b.mu.Lock()
	if b.responses == nil {
		b.responses = make(map[Status]uint64)
	}
	b.responses[st]++
	b.mu.Unlock()
}

func (b *binder) countDeliver(esmClass byte) {
	b.mu.Lock()
	b.deliverSM++
	if esmClass&0x3C != 0 { // a receipt or an acknowledgement, not a message
		b.receipts++
	}
	b.mu.Unlock()
}

func (b *binder) countDataSM() {
	b.mu.Lock()
	b.dataSM++
	b.mu.Unlock()
}
