package smpp

import (
	"bufio"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"
)

// testSMSC is a minimal SMSC over real TCP on loopback, built from the
// codec, for the client's tests: it binds, answers or holds submits, answers
// enquire_link and unbind, and lets the test send PDUs and drop
// connections.
type testSMSC struct {
	t  testing.TB
	ln net.Listener
	wg sync.WaitGroup

	mu            sync.Mutex
	conns         []*smscConn
	bindStatus    Status
	binds         []PDU
	bindConns     []*smscConn // the connection of each bind
	hold          bool        // keep submits unanswered in held
	held          []heldPDU
	maxHeld       int
	ignoreEnquire bool
	submits       []PDU
	enquires      int
	unbinds       int
	resps         []PDU // responses the client sent (deliver_sm_resp, generic_nack, ...)
	nextID        int
	// handle, if set, sees every PDU first; true means it handled it.
	handle func(c *smscConn, p PDU) bool
}

type heldPDU struct {
	c *smscConn
	p PDU
}

type smscConn struct {
	s    *testSMSC
	conn net.Conn
	mu   sync.Mutex
	w    *bufio.Writer
}

func newTestSMSC(t testing.TB) *testSMSC {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &testSMSC{t: t, ln: ln}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(s.close)
	return s
}

func (s *testSMSC) addr() string { return s.ln.Addr().String() }

func (s *testSMSC) close() {
	s.ln.Close()
	s.mu.Lock()
	for _, c := range s.conns {
		c.conn.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *testSMSC) accept() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return
		}
		c := &smscConn{s: s, conn: conn, w: bufio.NewWriterSize(conn, 32<<10)}
		s.mu.Lock()
		s.conns = append(s.conns, c)
		s.mu.Unlock()
		s.wg.Add(1)
		go c.serve()
	}
}

// send writes p to the client at once.
func (c *smscConn) send(p PDU) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writeLocked(p)
	c.w.Flush()
}

func (c *smscConn) writeLocked(p PDU) {
	b, err := Encode(p)
	if err != nil {
		panic(err)
	}
	c.w.Write(b)
}

// reply queues p; serve flushes when it has read all it was sent.
func (c *smscConn) reply(p PDU) {
	c.mu.Lock()
	c.writeLocked(p)
	c.mu.Unlock()
}

func (c *smscConn) serve() {
	defer c.s.wg.Done()
	defer c.conn.Close()
	br := bufio.NewReaderSize(c.conn, 32<<10)
	r := NewReader(br, 0)
	s := c.s
	for {
		p, err := r.ReadPDU()
		if err != nil {
			return
		}
		s.mu.Lock()
		h := s.handle
		s.mu.Unlock()
		if h == nil || !h(c, p) {
			if !c.handle(p) {
				c.mu.Lock()
				c.w.Flush()
				c.mu.Unlock()
				return
			}
		}
		if br.Buffered() == 0 {
			c.mu.Lock()
			c.w.Flush()
			c.mu.Unlock()
		}
	}
}

// handle is the default behaviour; false closes the connection.
func (c *smscConn) handle(p PDU) bool {
	s := c.s
	switch p.Command {
	case CommandBindTransceiver, CommandBindTransmitter, CommandBindReceiver:
		s.mu.Lock()
		s.binds = append(s.binds, p)
		s.bindConns = append(s.bindConns, c)
		st := s.bindStatus
		s.mu.Unlock()
		resp, _ := p.Command.Response()
		var body Body
		if st == StatusOK {
			body = &BindResp{SystemID: "TESTSMSC"}
		}
		c.reply(PDU{Header: Header{Command: resp, Status: st, Sequence: p.Sequence}, Body: body})
	case CommandSubmitSM, CommandDataSM:
		s.mu.Lock()
		s.submits = append(s.submits, p)
		if s.hold {
			s.held = append(s.held, heldPDU{c, p})
			s.maxHeld = max(s.maxHeld, len(s.held))
			s.mu.Unlock()
			return true
		}
		s.nextID++
		id := fmt.Sprintf("m%d", s.nextID)
		s.mu.Unlock()
		c.reply(okResp(p, id))
	case CommandEnquireLink:
		s.mu.Lock()
		s.enquires++
		ignore := s.ignoreEnquire
		s.mu.Unlock()
		if !ignore {
			c.reply(PDU{Header: Header{Command: CommandEnquireLinkResp, Sequence: p.Sequence}})
		}
	case CommandUnbind:
		s.mu.Lock()
		s.unbinds++
		s.mu.Unlock()
		c.reply(PDU{Header: Header{Command: CommandUnbindResp, Sequence: p.Sequence}})
		return false
	default:
		s.mu.Lock()
		s.resps = append(s.resps, p)
		s.mu.Unlock()
	}
	return true
}

// okResp answers a submit_sm or data_sm with ESME_ROK and message id id.
func okResp(p PDU, id string) PDU {
	if p.Command == CommandDataSM {
		return PDU{Header: Header{Command: CommandDataSMResp, Sequence: p.Sequence}, Body: &DataSMResp{MessageID: id}}
	}
	return PDU{Header: Header{Command: CommandSubmitSMResp, Sequence: p.Sequence}, Body: &SubmitSMResp{MessageID: id}}
}

// take removes and returns the held submits.
func (s *testSMSC) take() []heldPDU {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.held
	s.held = nil
	return h
}

func (s *testSMSC) setHold(v bool) {
	s.mu.Lock()
	s.hold = v
	s.mu.Unlock()
}

func (s *testSMSC) set(f func()) {
	s.mu.Lock()
	f()
	s.mu.Unlock()
}

func (s *testSMSC) setHandle(h func(c *smscConn, p PDU) bool) {
	s.mu.Lock()
	s.handle = h
	s.mu.Unlock()
}

func (s *testSMSC) counts() (binds, submits, held, enquires, unbinds int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.binds), len(s.submits), len(s.held), s.enquires, s.unbinds
}

func (s *testSMSC) nbinds() int    { b, _, _, _, _ := s.counts(); return b }
func (s *testSMSC) nsubmits() int  { _, n, _, _, _ := s.counts(); return n }
func (s *testSMSC) nheld() int     { _, _, h, _, _ := s.counts(); return h }
func (s *testSMSC) nenquires() int { _, _, _, e, _ := s.counts(); return e }
func (s *testSMSC) nunbinds() int  { _, _, _, _, u := s.counts(); return u }
func (s *testSMSC) responses() []PDU {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]PDU(nil), s.resps...)
}

// last returns the most recent connection.
func (s *testSMSC) last() *smscConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns[len(s.conns)-1]
}

// drop closes every connection.
func (s *testSMSC) drop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		c.conn.Close()
	}
}

// waitFor polls cond until it holds, failing the test after a generous
// bound. It asserts an outcome, never a duration.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
