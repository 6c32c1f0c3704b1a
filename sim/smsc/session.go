package smsc

import (
	"bufio"
	"crypto/subtle"
	"errors"
	"net"
	"time"

	"github.com/detourhq/detour/smpp"
)

// maxBindFailures is how many refused binds a connection may make before
// it is closed.
const maxBindFailures = 5

const cmdUnbind = smpp.CommandUnbind

// session is one ESME connection.
type session struct {
	srv    *Server
	c      *conn
	remote string

	// Guarded by srv.mu.
	acct        *account
	canTx       bool
	canRx       bool
	attached    bool // in acct.receivers
	unbinding   bool // we sent unbind
	seq         uint32
	outstanding map[uint32]*delivery
	gone        bool // removed from the server
	broken      bool // a write failed: take no more deliver_sm

	bindFailures int // reader goroutine only
}

func newSession(s *Server, nc net.Conn) *session {
	return &session{srv: s, c: newConn(nc), remote: nc.RemoteAddr().String(), outstanding: map[uint32]*delivery{}}
}

// request returns a request PDU from the SMSC with the session's next
// sequence number. The caller holds srv.mu.
func (ss *session) request(cmd smpp.CommandID, body smpp.Body) smpp.PDU {
	ss.seq++
	if ss.seq > 0x7FFFFFFF {
		ss.seq = 1
	}
	return smpp.PDU{Header: smpp.Header{Command: cmd, Sequence: ss.seq}, Body: body}
}

// reply sends a response from the reader goroutine.
func (ss *session) reply(p smpp.PDU) {
	if err := ss.c.send(p, true, false); err != nil && !errors.Is(err, net.ErrClosed) {
		ss.srv.log.Error("smsc encode", "command", p.Command.String(), "err", err)
	}
}

func (ss *session) readLoop() {
	s := ss.srv
	defer func() {
		ss.c.shutdown()
		s.removeSession(ss)
	}()
	nc := ss.c.nc
	if s.cfg.BindTimeout > 0 {
		nc.SetReadDeadline(time.Now().Add(s.cfg.BindTimeout))
	}
	br := bufio.NewReaderSize(nc, 32<<10)
	r := smpp.NewReader(br, 0)
	for {
		p, err := r.ReadPDU()
		if err != nil {
			var de *smpp.DecodeError
			if !errors.As(err, &de) {
				return // EOF, closed, bind timeout
			}
			s.count(func(c *counters) { c.malformed++ })
			ss.reply(de.Reply())
			if de.Fatal {
				ss.closeAfterFlush()
				return
			}
		} else if !ss.handle(p) {
			ss.closeAfterFlush()
			return
		}
		if br.Buffered() == 0 {
			ss.c.flush()
		}
	}
}

// closeAfterFlush writes what is pending, then closes; it waits for the
// writer, which gives up when the connection closes under it.
func (ss *session) closeAfterFlush() {
	ss.c.closeAfterFlush()
	<-ss.c.quit
}

// handle answers one PDU; false means close the connection.
func (ss *session) handle(p smpp.PDU) bool {
	s := ss.srv
	switch p.Command {
	case smpp.CommandBindTransmitter, smpp.CommandBindReceiver, smpp.CommandBindTransceiver:
		return ss.handleBind(p)
	case smpp.CommandEnquireLink:
		ss.reply(respond(p, smpp.StatusOK, nil))
		return true
	case smpp.CommandUnbind:
		ss.reply(respond(p, smpp.StatusOK, nil))
		return false
	case smpp.CommandUnbindResp:
		s.mu.Lock()
		asked := ss.unbinding
		s.mu.Unlock()
		return !asked
	case smpp.CommandDeliverSMResp, smpp.CommandGenericNack:
		s.deliverResp(ss, p.Sequence, p.Status)
		return true
	case smpp.CommandSubmitSM:
		m := p.Body.(*smpp.SubmitSM)
		st, id := s.submit(ss, submission{src: m.SourceAddr, dst: m.DestinationAddr, esm: m.ESMClass,
			regDelivery: m.RegisteredDelivery, dataCoding: m.DataCoding, sm: m.ShortMessage, tlvs: m.TLVs})
		var body smpp.Body
		if st == smpp.StatusOK {
			body = &smpp.SubmitSMResp{MessageID: id}
		}
		ss.reply(respond(p, st, body))
		return true
	case smpp.CommandDataSM:
		m := p.Body.(*smpp.DataSM)
		st, id := s.submit(ss, submission{src: m.SourceAddr, dst: m.DestinationAddr, esm: m.ESMClass,
			regDelivery: m.RegisteredDelivery, dataCoding: m.DataCoding, tlvs: m.TLVs, dataSM: true})
		var body smpp.Body
		if st == smpp.StatusOK {
			body = &smpp.DataSMResp{MessageID: id}
		}
		ss.reply(respond(p, st, body))
		return true
	case smpp.CommandQuerySM:
		st, body := s.query(ss, p.Body.(*smpp.QuerySM))
		ss.reply(respond(p, st, body))
		return true
	}
	// Requests an SMSC does not take from an ESME (deliver_sm, outbind)
	// and responses it did not ask for.
	if resp, ok := p.Command.Response(); ok {
		ss.reply(smpp.PDU{Header: smpp.Header{Command: resp, Status: smpp.StatusInvBndSts, Sequence: p.Sequence}})
	} else if !p.Command.IsResponse() {
		ss.reply(smpp.PDU{Header: smpp.Header{Command: smpp.CommandGenericNack, Status: smpp.StatusInvCmdID, Sequence: p.Sequence}})
	}
	return true
}

// respond returns the response to request p.
func respond(p smpp.PDU, st smpp.Status, body smpp.Body) smpp.PDU {
	cmd, _ := p.Command.Response()
	return smpp.PDU{Header: smpp.Header{Command: cmd, Status: st, Sequence: p.Sequence}, Body: body}
}

func (ss *session) handleBind(p smpp.PDU) bool {
	s := ss.srv
	b := p.Body.(*smpp.Bind)
	st := s.bind(ss, p.Command, b)
	var body smpp.Body
	if st == smpp.StatusOK {
		body = &smpp.BindResp{SystemID: s.cfg.SystemID,
			TLVs: smpp.TLVs{smpp.Uint8TLV(smpp.TagSCInterfaceVersion, 0x34)}}
	}
	ss.reply(respond(p, st, body))
	if st != smpp.StatusOK {
		if st == smpp.StatusAlyBnd {
			return true
		}
		ss.bindFailures++
		return ss.bindFailures < maxBindFailures
	}
	ss.c.nc.SetReadDeadline(time.Time{})
	ss.c.flush()
	s.attach(ss)
	return true
}

// bind checks a bind and records it.
func (s *Server) bind(ss *session, cmd smpp.CommandID, b *smpp.Bind) smpp.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.bindStatus(ss, b)
	if st == smpp.StatusOK {
		s.ctr.binds++
		ss.acct = s.accounts[b.SystemID]
		ss.acct.binds++
		ss.canTx = cmd != smpp.CommandBindReceiver
		ss.canRx = cmd != smpp.CommandBindTransmitter
		s.log.Info("smsc bind", "system_id", b.SystemID, "command", cmd.String(), "remote", ss.remote)
	} else if st != smpp.StatusAlyBnd {
		s.ctr.bindsRefused++
		s.log.Info("smsc bind refused", "system_id", b.SystemID, "status", st.String(), "remote", ss.remote)
	}
	return st
}

func (s *Server) bindStatus(ss *session, b *smpp.Bind) smpp.Status {
	if ss.acct != nil {
		return smpp.StatusAlyBnd
	}
	if s.mode == Down || s.stopped {
		return smpp.StatusBindFail
	}
	a, ok := s.accounts[b.SystemID]
	if !ok {
		return smpp.StatusInvSysID
	}
	if subtle.ConstantTimeCompare([]byte(b.Password), []byte(a.Password.Reveal())) != 1 {
		return smpp.StatusInvPaswd
	}
	if a.binds >= s.cfg.MaxBinds {
		return smpp.StatusBindFail
	}
	return smpp.StatusOK
}

// attach lets a receiving bind take deliver_sm, once its bind_resp is out.
func (s *Server) attach(ss *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !ss.canRx || ss.gone {
		return
	}
	ss.attached = true
	ss.acct.receivers = append(ss.acct.receivers, ss)
	s.pump(ss.acct)
}

// removeSession forgets a closed connection; deliver_sm it had not had
// answered go back to the front of its account's queue.
func (s *Server) removeSession(ss *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ss.gone {
		return
	}
	ss.gone = true
	delete(s.sessions, ss)
	a := ss.acct
	if a == nil {
		return
	}
	s.ctr.unbinds++
	a.binds--
	if ss.attached {
		for i, r := range a.receivers {
			if r == ss {
				a.receivers = append(a.receivers[:i], a.receivers[i+1:]...)
				break
			}
		}
	}
	if len(ss.outstanding) > 0 {
		back := make([]*delivery, 0, len(ss.outstanding))
		for _, d := range ss.outstanding {
			back = append(back, d)
		}
		sortDeliveries(back)
		a.pushFront(back)
		ss.outstanding = nil
	}
	s.log.Info("smsc unbound", "system_id", a.SystemID, "remote", ss.remote)
	s.pump(a)
}
