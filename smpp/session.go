package smpp

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// maxSequence is the largest sequence number; numbers wrap to 1 after it.
const maxSequence = 0x7FFFFFFF

// maxTimeouts is how many submits in a row may go unanswered before the
// connection is declared dead. The first timeout already sends an
// enquire_link, which closes the connection if it goes unanswered too.
const maxTimeouts = 3

// Why a session closed, when the peer did not say it with an I/O error.
var (
	errUnbound        = errors.New("smpp: unbound")
	errPeerUnbound    = errors.New("smpp: the SMSC unbound")
	errEnquireTimeout = errors.New("smpp: enquire_link unanswered")
	errTimeouts       = errors.New("smpp: submits unanswered in a row")
)

// call is one submit waiting for its response.
type call struct {
	deadline time.Time
	ch       chan callResult // buffered 1: resolving never blocks
}

type callResult struct {
	res SubmitResult
	err error
}

// session is one bound connection. Four goroutines serve it: the reader,
// the writer (which batches writes and flushes when it runs out of work),
// the deliverers (DeliverWorkers of them; one keeps deliver_sm in order) and
// the ticker (response timeouts and enquire_link).
type session struct {
	c    *Client
	b    *binder
	conn net.Conn
	r    *Reader

	window   int  // slots; 0 for a receiver
	inflight int  // slots taken; guarded by c.window.mu
	usable   bool // offering slots; guarded by c.window.mu
	removed  bool // closed: never to offer slots again; guarded by c.window.mu

	ctx    context.Context // ends when the session closes; given to handlers
	cancel context.CancelFunc
	wq     chan *[]byte // encoded PDUs to write; nil means flush and close
	dq     chan PDU     // deliver_sm and data_sm for the deliverer
	done   chan struct{}
	once   sync.Once
	err    error // why it closed; set before done is closed
	wg     sync.WaitGroup
	rx     atomic.Uint64 // PDUs received, for idleness

	mu         sync.Mutex
	closed     bool
	seq        uint32
	pending    map[uint32]*call
	timeouts   int       // submits unanswered in a row
	enquireSeq uint32    // the enquire_link awaiting its response, 0 if none
	enquireBy  time.Time // its deadline
	unbindSeq  uint32
	unbound    chan struct{} // closed on unbind_resp
	drained    chan struct{} // closed when pending empties, while unbinding
	lingerErr  error         // why the writer closes after its last flush
}

func newSession(b *binder, conn net.Conn, r *Reader, seq uint32) *session {
	c := b.c
	s := &session{
		c:       c,
		b:       b,
		conn:    conn,
		r:       r,
		wq:      make(chan *[]byte, 2*c.cfg.Window+16),
		dq:      make(chan PDU, 64),
		done:    make(chan struct{}),
		seq:     seq,
		pending: make(map[uint32]*call, c.cfg.Window),
	}
	if b.cmd != CommandBindReceiver {
		s.window = c.cfg.Window
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s
}

// serve runs the session until it closes, or until ctx ends, when it
// unbinds. It returns why the session closed, once all its goroutines have
// ended.
func (s *session) serve(ctx context.Context) error {
	workers := s.c.cfg.DeliverWorkers
	s.wg.Add(3 + workers)
	go s.readLoop()
	go s.writeLoop()
	for range workers {
		go s.deliverLoop()
	}
	go s.tickLoop()
	if s.window > 0 {
		s.c.window.add(s)
	}
	select {
	case <-s.done:
	case <-ctx.Done():
		s.unbind(s.c.unbindCtx())
	}
	s.wg.Wait()
	return s.err
}

// close ends the session once: no more slots, the connection closed, and
// every outstanding submit resolved with ErrConnectionLost.
func (s *session) close(err error) {
	s.once.Do(func() {
		s.err = err
		s.c.window.remove(s)
		s.mu.Lock()
		s.closed = true
		pending := s.pending
		s.pending = nil
		s.mu.Unlock()
		close(s.done)
		s.cancel()
		s.conn.Close()
		if len(pending) == 0 {
			return
		}
		lost := fmt.Errorf("%w: %v", ErrConnectionLost, err)
		for _, cl := range pending {
			s.c.window.release(s)
			cl.ch <- callResult{err: lost}
		}
		s.b.lost.Add(uint64(len(pending)))
	})
}

// closeAfterFlush has the writer flush what is queued, then close.
func (s *session) closeAfterFlush(err error) {
	s.mu.Lock()
	if s.lingerErr == nil {
		s.lingerErr = err
	}
	s.mu.Unlock()
	select {
	case s.wq <- nil:
	case <-s.done:
	}
}

// nextSeqLocked returns the next free sequence number.
func (s *session) nextSeqLocked() uint32 {
	for {
		s.seq++
		if s.seq > maxSequence {
			s.seq = 1
		}
		if _, busy := s.pending[s.seq]; !busy && s.seq != s.enquireSeq && s.seq != s.unbindSeq {
			return s.seq
		}
	}
}

// register gives the encoded request in bp a sequence number, records it
// as outstanding and queues it for writing. It returns nil, and leaves bp
// to the caller, if the session has closed; otherwise the call is resolved
// whatever happens next.
func (s *session) register(cmd CommandID, bp *[]byte) *call {
	cl := &call{
		deadline: s.c.cfg.Clock.Now().Add(s.c.cfg.ResponseTimeout),
		ch:       make(chan callResult, 1),
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	seq := s.nextSeqLocked()
	binary.BigEndian.PutUint32((*bp)[12:16], seq)
	s.pending[seq] = cl
	s.mu.Unlock()
	s.b.sent.Add(1)
	s.c.meter.add()
	s.enqueue(bp)
	return cl
}

// enqueue hands an encoded PDU to the writer; false if the session closed.
func (s *session) enqueue(bp *[]byte) bool {
	select {
	case s.wq <- bp:
		return true
	case <-s.done:
		return false
	}
}

// send encodes p and queues it.
func (s *session) send(p PDU) bool {
	bp := getBuf()
	b, err := AppendPDU((*bp)[:0], p)
	if err != nil {
		putBuf(bp)
		s.b.log.Error("smpp: encode", "command", p.Command, "err", err)
		return false
	}
	*bp = b
	return s.enqueue(bp)
}

// resolve answers the outstanding request seq.
func (s *session) resolve(seq uint32, cmd CommandID, st Status, messageID string) {
	s.mu.Lock()
	cl := s.pending[seq]
	if cl == nil {
		s.mu.Unlock()
		s.b.log.Debug("smpp: response to no outstanding request", "command", cmd, "seq", seq, "status", st)
		return
	}
	delete(s.pending, seq)
	s.timeouts = 0
	s.checkDrainedLocked()
	s.mu.Unlock()

	s.b.countResponse(st)
	r := callResult{res: SubmitResult{MessageID: messageID, Status: st}}
	switch st {
	case StatusOK:
		s.c.throttle.recovered()
	case StatusThrottled, StatusMsgQFul:
		s.c.throttle.slowDown()
		fallthrough
	default:
		r.err = &StatusError{Command: cmd, Status: st}
	}
	s.c.window.release(s)
	cl.ch <- r
}

func (s *session) checkDrainedLocked() {
	if s.drained != nil && len(s.pending) == 0 {
		close(s.drained)
		s.drained = nil
	}
}

// readLoop reads and dispatches PDUs until the connection fails.
func (s *session) readLoop() {
	defer s.wg.Done()
	cfg := &s.c.cfg
	// A backstop: the ticker's enquire_link catches a silent or
	// slow-dripping peer first, on the injected clock; this deadline
	// catches it even if that clock stands still.
	limit := cfg.EnquireLink + 2*cfg.ResponseTimeout
	var set time.Time
	for {
		if now := time.Now(); now.Sub(set) > time.Second {
			s.conn.SetReadDeadline(now.Add(limit))
			set = now
		}
		p, err := s.r.ReadPDU()
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				s.close(err)
				return
			}
			s.rx.Add(1)
			s.b.log.Warn("smpp: undecodable PDU", "err", err)
			s.send(de.Reply())
			switch h := de.Header; {
			case de.Fatal || !h.Command.IsResponse():
			case h.Status != StatusOK:
				// A broken body, but the header says how it went.
				s.resolve(h.Sequence, h.Command, h.Status, "")
			case h.Command == CommandSubmitSMResp || h.Command == CommandDataSMResp:
				// The SMSC took the message; only its id is unreadable.
				// Sending it again would deliver it twice: it is sent,
				// and no receipt will name it.
				s.b.log.Warn("smpp: message accepted but its message_id is unreadable; receipts cannot be matched to it",
					"seq", h.Sequence)
				s.resolve(h.Sequence, h.Command, h.Status, "")
			}
			if de.Fatal {
				s.closeAfterFlush(err)
				<-s.done
				return
			}
			continue
		}
		s.rx.Add(1)
		if !s.dispatch(p) {
			<-s.done
			return
		}
	}
}

// dispatch handles one PDU from the SMSC; false means read no more.
func (s *session) dispatch(p PDU) bool {
	switch p.Command {
	case CommandSubmitSMResp:
		id := ""
		if b, ok := p.Body.(*SubmitSMResp); ok {
			id = b.MessageID
		}
		s.resolve(p.Sequence, p.Command, p.Status, id)
	case CommandDataSMResp:
		id := ""
		if b, ok := p.Body.(*DataSMResp); ok {
			id = b.MessageID
		}
		s.resolve(p.Sequence, p.Command, p.Status, id)
	case CommandGenericNack:
		if s.answered(p.Sequence) {
			break
		}
		st := p.Status
		if st == StatusOK {
			st = StatusUnknownErr // a nack must carry an error
		}
		s.resolve(p.Sequence, p.Command, st, "")
	case CommandDeliverSM, CommandDataSM:
		select {
		case s.dq <- p:
		case <-s.done:
			return false
		}
	case CommandEnquireLink:
		s.send(PDU{Header: Header{Command: CommandEnquireLinkResp, Sequence: p.Sequence}})
	case CommandEnquireLinkResp, CommandUnbindResp:
		if !s.answered(p.Sequence) {
			s.b.log.Debug("smpp: response to no outstanding request", "command", p.Command, "seq", p.Sequence)
		}
	case CommandUnbind:
		s.b.log.Info("smpp: the SMSC unbinds")
		s.send(PDU{Header: Header{Command: CommandUnbindResp, Sequence: p.Sequence}})
		s.closeAfterFlush(errPeerUnbound)
		return false
	default:
		if resp, ok := p.Command.Response(); ok {
			// bind, submit_sm, query_sm ...: not for an ESME to serve.
			s.send(PDU{Header: Header{Command: resp, Status: StatusInvBndSts, Sequence: p.Sequence}})
		} else {
			s.b.log.Debug("smpp: unexpected PDU dropped", "command", p.Command, "seq", p.Sequence)
		}
	}
	return true
}

// answered clears the enquire_link or unbind awaiting the response seq;
// false if neither was.
func (s *session) answered(seq uint32) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case seq != 0 && seq == s.enquireSeq:
		s.enquireSeq = 0
	case seq != 0 && seq == s.unbindSeq:
		s.unbindSeq = 0
		close(s.unbound)
	default:
		return false
	}
	return true
}

// writeLoop writes queued PDUs through a buffer that it flushes whenever
// the queue runs dry, so a busy session writes in large batches.
func (s *session) writeLoop() {
	defer s.wg.Done()
	w := bufio.NewWriterSize(s.conn, 32<<10)
	for {
		var bp *[]byte
		select {
		case bp = <-s.wq:
		case <-s.done:
			return
		}
		s.conn.SetWriteDeadline(time.Now().Add(s.c.cfg.ResponseTimeout))
		linger := false
		for {
			if bp == nil {
				linger = true
				break
			}
			if _, err := w.Write(*bp); err != nil {
				s.close(err)
				return
			}
			putBuf(bp)
			select {
			case bp = <-s.wq:
				continue
			default:
			}
			break
		}
		if err := w.Flush(); err != nil {
			s.close(err)
			return
		}
		if linger {
			s.mu.Lock()
			err := s.lingerErr
			s.mu.Unlock()
			s.close(err)
			return
		}
	}
}

// deliverLoop hands deliver_sm and data_sm to the handlers, in order when
// it is the only deliverer, and answers each with the handler's status.
func (s *session) deliverLoop() {
	defer s.wg.Done()
	cfg := &s.c.cfg
	for {
		var p PDU
		select {
		case p = <-s.dq:
		case <-s.done:
			return
		}
		st := StatusOK
		resp := CommandDeliverSMResp
		switch m := p.Body.(type) {
		case *DeliverSM:
			s.b.countDeliver(m.ESMClass)
			if cfg.OnDeliver != nil {
				st = cfg.OnDeliver(s.ctx, m)
			}
		case *DataSM:
			resp = CommandDataSMResp
			s.b.countDataSM()
			if cfg.OnDataSM != nil {
				st = cfg.OnDataSM(s.ctx, m)
			}
		}
		s.send(PDU{Header: Header{Command: resp, Status: st, Sequence: p.Sequence}})
	}
}

// tickLoop expires submits past ResponseTimeout and keeps the link alive:
// after EnquireLink without a PDU from the SMSC, or after a submit timed
// out, it sends enquire_link, and closes the session if that goes
// unanswered for ResponseTimeout or if maxTimeouts submits in a row do.
func (s *session) tickLoop() {
	defer s.wg.Done()
	cfg := &s.c.cfg
	tick := max(min(cfg.EnquireLink, cfg.ResponseTimeout)/4, time.Millisecond)
	t := cfg.Clock.NewTimer(tick)
	defer t.Stop()
	lastRx, lastRxAt := s.rx.Load(), cfg.Clock.Now()
	for {
		select {
		case <-t.C():
		case <-s.done:
			return
		}
		now := cfg.Clock.Now()
		if rx := s.rx.Load(); rx != lastRx {
			lastRx, lastRxAt = rx, now
		}
		if !s.check(now, now.Sub(lastRxAt) >= cfg.EnquireLink) {
			return
		}
		t.Reset(tick)
	}
}

// check does one tick's work; false means the session closed.
func (s *session) check(now time.Time, idle bool) bool {
	cfg := &s.c.cfg
	var expired []*call
	var dead error
	var probe uint32
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return false
	}
	for seq, cl := range s.pending {
		if !now.Before(cl.deadline) {
			delete(s.pending, seq)
			expired = append(expired, cl)
		}
	}
	s.timeouts += len(expired)
	switch {
	case s.enquireSeq != 0 && !now.Before(s.enquireBy):
		dead = errEnquireTimeout
	case s.timeouts >= maxTimeouts:
		dead = fmt.Errorf("%w: %d", errTimeouts, s.timeouts)
	case s.enquireSeq == 0 && (idle || len(expired) > 0):
		probe = s.nextSeqLocked()
		s.enquireSeq, s.enquireBy = probe, now.Add(cfg.ResponseTimeout)
	}
	s.checkDrainedLocked()
	s.mu.Unlock()

	for _, cl := range expired {
		s.c.window.release(s)
		cl.ch <- callResult{err: ErrResponseTimeout}
	}
	s.b.timeouts.Add(uint64(len(expired)))
	if dead != nil {
		s.b.log.Warn("smpp: connection dead", "err", dead)
		s.close(dead)
		return false
	}
	if probe != 0 {
		s.send(PDU{Header: Header{Command: CommandEnquireLink, Sequence: probe}})
	}
	return true
}

// unbind ends the session gracefully: no new submits, the outstanding ones
// answered (or timed out), then unbind and its response, each wait bounded
// by ResponseTimeout and ctx; then close.
func (s *session) unbind(ctx context.Context) {
	cfg := &s.c.cfg
	s.c.window.remove(s)
	wait := func(ch <-chan struct{}) {
		t := cfg.Clock.NewTimer(cfg.ResponseTimeout)
		defer t.Stop()
		select {
		case <-ch:
		case <-t.C():
		case <-ctx.Done():
		case <-s.done:
		}
	}
	s.mu.Lock()
	if len(s.pending) > 0 && !s.closed {
		s.drained = make(chan struct{})
		ch := s.drained
		s.mu.Unlock()
		wait(ch)
		s.mu.Lock()
	}
	if s.closed {
		s.mu.Unlock()
		return
	}
	seq := s.nextSeqLocked()
	s.unbindSeq = seq
	s.unbound = make(chan struct{})
	ch := s.unbound
	s.mu.Unlock()
	if s.send(PDU{Header: Header{Command: CommandUnbind, Sequence: seq}}) {
		wait(ch)
	}
	s.close(errUnbound)
}
