package smsc

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/detourhq/detour/smpp"
	"github.com/detourhq/detour/smpp/coding"
)

func errorf(format string, args ...any) error {
	return fmt.Errorf("smsc: "+format, args...)
}

// submission is what submit_sm and data_sm have in common.
type submission struct {
	src, dst    string
	esm         byte
	regDelivery byte
	dataCoding  byte
	sm          []byte
	tlvs        smpp.TLVs
	dataSM      bool
}

// content returns the decoded text of one part and its concatenation
// information, from a user data header or the SAR TLVs. Text the package
// cannot decode (binary data_coding, a broken header) is empty.
func (m *submission) content() (string, coding.Concat) {
	sm := m.sm
	if len(sm) == 0 {
		if t, ok := m.tlvs.Lookup(smpp.TagMessagePayload); ok {
			sm = t.Value
		}
	}
	text, c, err := coding.Decode(sm, m.dataCoding, m.esm, coding.Options{})
	if err != nil {
		return "", coding.Concat{}
	}
	if c.IsZero() && len(m.tlvs) > 0 {
		ref, ok1 := m.tlvs.Lookup(smpp.TagSARMsgRefNum)
		tot, ok2 := m.tlvs.Lookup(smpp.TagSARTotalSegments)
		seq, ok3 := m.tlvs.Lookup(smpp.TagSARSegmentSeqnum)
		if ok1 && ok2 && ok3 {
			r, e1 := ref.Uint16()
			t, e2 := tot.Uint8()
			q, e3 := seq.Uint8()
			if e1 == nil && e2 == nil && e3 == nil {
				c = coding.Concat{Ref: r, Total: t, Seq: q}
			}
		}
	}
	return text, c
}

// wantsReceipt reports whether registered_delivery asks for a receipt of a
// message that ends in state st: bits 0-1 are 1 (success or failure) or 2
// (failure only).
func wantsReceipt(regDelivery byte, st coding.State) bool {
	switch regDelivery & 0x03 {
	case 1:
		return true
	case 2:
		return st != coding.StateDelivered
	}
	return false
}

// submit decides the fate of one submit_sm or data_sm: an error status, or
// a message id, an outcome and maybe a receipt.
func (s *Server) submit(ss *session, m submission) (smpp.Status, string) {
	text, concat := m.content()
	now := s.clock.Now()

	s.mu.Lock()
	s.ctr.submits++
	st := s.submitStatus(ss, now)
	if st != smpp.StatusOK {
		s.ctr.submitResps[st]++
		s.mu.Unlock()
		return st, ""
	}
	s.ctr.submitResps[st]++
	n := s.nextID
	s.nextID++
	state := coding.State(0) // no receipt: lost or silent
	if s.mode != Silent {
		state = s.beh.outcome(s.rnd.Float64())
	}
	delay := s.beh.ReceiptDelay.Sample(s.rnd)
	due := now.Add(delay)
	s.ledger.put(n, state, due)
	id := s.formatID(n, false)
	msg, complete := s.ledger.record(ss.acct.SystemID, id, m, text, concat, state == coding.StateDelivered, now, due)
	receipt := state != 0 && wantsReceipt(m.regDelivery, state)
	if state == 0 {
		s.ctr.noReceipt++
	} else if !receipt {
		s.ctr.notAsked++
	}
	a := ss.acct
	tlvs := !s.beh.TextOnlyReceipts
	s.mu.Unlock()

	if complete && s.cfg.OnMessage != nil {
		s.cfg.OnMessage(msg)
	}
	if !receipt {
		return smpp.StatusOK, id
	}
	sm := s.receipt(m, n, id, state, now, due, text, tlvs)
	s.mu.Lock()
	if !s.stopped && s.admit() {
		s.order++
		s.later(&delivery{acct: a, due: due, sm: sm, state: state, order: s.order})
	}
	s.mu.Unlock()
	return smpp.StatusOK, id
}

// submitStatus returns the status to answer a submit with; the caller
// holds s.mu.
func (s *Server) submitStatus(ss *session, now time.Time) smpp.Status {
	if !ss.canTx {
		return smpp.StatusInvBndSts
	}
	if r := s.beh.ThrottleAbove; r > 0 && !ss.acct.throttle.allow(now, r) {
		return smpp.StatusThrottled
	}
	if s.mode == Throttled && !ss.acct.cut.allow(now, s.cfg.ThrottledRate) {
		return smpp.StatusThrottled
	}
	if len(s.beh.errs) > 0 {
		u := s.rnd.Float64()
		for _, e := range s.beh.errs {
			if u < e.upTo {
				return e.status
			}
		}
	}
	return smpp.StatusOK
}

// outcome maps a uniform draw to a receipt state, 0 for none.
func (c *compiled) outcome(u float64) coding.State {
	switch {
	case u < c.outcomes[0]:
		return coding.StateDelivered
	case u < c.outcomes[1]:
		return coding.StateUndeliverable
	case u < c.outcomes[2]:
		return coding.StateExpired
	}
	return 0
}

// formatID writes message id n; text selects the receipt text's form.
func (s *Server) formatID(n uint64, text bool) string {
	switch s.cfg.IDFormat {
	case IDHex:
		return strconv.FormatUint(n, 16)
	case IDHexDecimal:
		if !text {
			return strconv.FormatUint(n, 16)
		}
	}
	return strconv.FormatUint(n, 10)
}

// parseID reads a message id as submit_sm_resp gives it.
func (s *Server) parseID(id string) (uint64, bool) {
	base := 10
	if s.cfg.IDFormat != IDDecimal {
		base = 16
	}
	n, err := strconv.ParseUint(strings.TrimSpace(id), base, 64)
	return n, err == nil
}

// receiptErr is the err field of a receipt per state.
func receiptErr(st coding.State) string {
	switch st {
	case coding.StateUndeliverable:
		return "001"
	case coding.StateExpired:
		return "002"
	}
	return "000"
}

// receipt builds the deliver_sm that reports message n: from the
// message's destination to its source, esm_class 0x04, the appendix B
// text, and unless TextOnlyReceipts the receipted_message_id and
// message_state TLVs.
func (s *Server) receipt(m submission, n uint64, id string, st coding.State, submitted, done time.Time, text string, tlvs bool) *smpp.DeliverSM {
	body := coding.Format(coding.Receipt{
		ID: s.formatID(n, true), Submitted: 1, Delivered: dlvrd(st),
		SubmitDate: submitted.UTC(), DoneDate: done.UTC(),
		State: st, Err: receiptErr(st), Text: asciiText(text),
	})
	src, dst := clip(m.dst, 20), clip(m.src, 20)
	sm := &smpp.DeliverSM{
		SourceAddrTON: ton(src), SourceAddrNPI: 1, SourceAddr: src,
		DestAddrTON: ton(dst), DestAddrNPI: 1, DestinationAddr: dst,
		ESMClass: 0x04, ShortMessage: []byte(clip(body, 254)),
	}
	if tlvs {
		sm.TLVs = smpp.TLVs{
			smpp.CStringTLV(smpp.TagReceiptedMessageID, id),
			smpp.Uint8TLV(smpp.TagMessageState, byte(st)),
		}
	}
	return sm
}

func dlvrd(st coding.State) int {
	if st == coding.StateDelivered {
		return 1
	}
	return 0
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// asciiText keeps the characters that read the same in ASCII and in the
// GSM default alphabet and writes '?' for the others, so the receipt text
// reads the same whichever way the client decodes data_coding 0.
func asciiText(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == 20 {
			break
		}
		n++
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case r >= ' ' && r <= '~' && !strings.ContainsRune("$@[\\]^_`{|}~", r):
		default:
			r = '?'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// query answers query_sm from the ledger: ENROUTE until the receipt is
// due (for ever for a message that gets none), then its final state.
func (s *Server) query(ss *session, q *smpp.QuerySM) (smpp.Status, smpp.Body) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !ss.canTx {
		return smpp.StatusInvBndSts, nil
	}
	n, ok := s.parseID(q.MessageID)
	if !ok {
		return smpp.StatusInvMsgID, nil
	}
	rec, ok := s.ledger.get(n)
	if !ok {
		return smpp.StatusQueryFail, nil
	}
	resp := &smpp.QuerySMResp{MessageID: q.MessageID, MessageState: byte(coding.StateEnroute)}
	if rec.state != 0 && !rec.due.After(s.clock.Now()) {
		resp.MessageState = byte(rec.state)
		resp.FinalDate = rec.due.UTC().Format("060102150405") + "000+"
	}
	return smpp.StatusOK, resp
}
