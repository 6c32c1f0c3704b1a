package smpp

import (
	"encoding/binary"
	"fmt"
	"math"
)

// PDU is one protocol data unit: its header and its body.
//
// Body is nil for commands without body fields (enquire_link, unbind, their
// responses and generic_nack). For every other command Decode sets it to a
// pointer to the body type of the command:
//
//	bind_transmitter, bind_receiver, bind_transceiver  *Bind
//	their responses                                    *BindResp
//	outbind                                            *Outbind
//	submit_sm, submit_sm_resp                          *SubmitSM, *SubmitSMResp
//	deliver_sm, deliver_sm_resp                        *DeliverSM, *DeliverSMResp
//	data_sm, data_sm_resp                              *DataSM, *DataSMResp
//	query_sm, query_sm_resp                            *QuerySM, *QuerySMResp
//
// When encoding, a nil Body stands for the zero body of the command, except
// that a response with a non-zero Status and a nil Body is sent without a
// body, as the specification asks for failed responses.
type PDU struct {
	Header
	Body Body
}

// Body is the body of a PDU. It is implemented by the pointer types listed
// on PDU and by no others.
type Body interface {
	// allows reports whether the body belongs to command c.
	allows(c CommandID) bool
	// appendBody appends the encoded body.
	appendBody(dst []byte) ([]byte, error)
}

// hasBody reports whether command c has body fields.
func hasBody(c CommandID) bool {
	switch c {
	case CommandGenericNack, CommandEnquireLink, CommandEnquireLinkResp, CommandUnbind, CommandUnbindResp:
		return false
	}
	return c.Known()
}

// Encode returns the encoded PDU; see AppendPDU.
func Encode(p PDU) ([]byte, error) {
	return AppendPDU(make([]byte, 0, 128), p)
}

// AppendPDU appends the encoded PDU to dst. It computes command_length
// itself (p.Length is ignored) and fails, leaving dst as it was, if the
// command is unknown, the body does not belong to it, or a field does not
// fit (a string too long or holding a NUL, a time that is not empty or 16
// characters, a short message over 254 octets, a TLV value over 65535).
// Sequence and Status are written as given.
func AppendPDU(dst []byte, p PDU) ([]byte, error) {
	c := p.Command
	if !c.Known() {
		return dst, fmt.Errorf("smpp: encode %s: %w", c, ErrUnknownCommand)
	}
	body := p.Body
	switch {
	case body != nil && (!hasBody(c) || !body.allows(c)):
		return dst, fmt.Errorf("smpp: encode %s with %T: %w", c, body, ErrBodyType)
	case body == nil && hasBody(c) && !(c.IsResponse() && p.Status != StatusOK):
		body = newBody(c)
	}
	start := len(dst)
	h := p.Header
	h.Length = 0
	dst = appendHeader(dst, h)
	if body != nil {
		var err error
		if dst, err = body.appendBody(dst); err != nil {
			return dst[:start], fmt.Errorf("smpp: encode %s: %w", c, err)
		}
	}
	n := len(dst) - start
	if n > math.MaxUint32 {
		return dst[:start], fmt.Errorf("smpp: encode %s: %d octets: %w", c, n, ErrTooLong)
	}
	binary.BigEndian.PutUint32(dst[start:], uint32(n))
	return dst, nil
}

// newBody returns a new zero body for command c, nil if c has none.
func newBody(c CommandID) Body {
	switch c {
	case CommandBindTransmitter, CommandBindReceiver, CommandBindTransceiver:
		return new(Bind)
	case CommandBindTransmitterResp, CommandBindReceiverResp, CommandBindTransceiverResp:
		return new(BindResp)
	case CommandOutbind:
		return new(Outbind)
	case CommandSubmitSM:
		return new(SubmitSM)
	case CommandSubmitSMResp:
		return new(SubmitSMResp)
	case CommandDeliverSM:
		return new(DeliverSM)
	case CommandDeliverSMResp:
		return new(DeliverSMResp)
	case CommandDataSM:
		return new(DataSM)
	case CommandDataSMResp:
		return new(DataSMResp)
	case CommandQuerySM:
		return new(QuerySM)
	case CommandQuerySMResp:
		return new(QuerySMResp)
	}
	return nil
}

// Decode decodes one complete PDU; b must hold exactly command_length
// octets. The PDU does not retain b.
//
// Every failure is a *DecodeError. Its Fatal field is set when b is not one
// whole PDU (shorter than a header, or command_length below HeaderLen or
// different from len(b)); otherwise the header was sound and the error
// names the command_status to answer with: ESME_RINVCMDID for an unknown
// command, ESME_RINVCMDLEN for a body too short or too long for its fields,
// a field's own status (ESME_RINVSRCADR, ESME_RINVMSGLEN, ...) for a field
// out of bounds, ESME_RINVOPTPARSTREAM for a broken TLV.
//
// A response with a non-zero status and no body decodes to the zero body.
func Decode(b []byte) (PDU, error) {
	h, err := DecodeHeader(b)
	if err != nil {
		return PDU{}, &DecodeError{Header: h, Status: StatusInvCmdLen, Fatal: true, Err: err}
	}
	if h.Length < HeaderLen {
		return PDU{}, &DecodeError{Header: h, Status: StatusInvCmdLen, Fatal: true, Err: ErrBadLength}
	}
	if uint64(h.Length) != uint64(len(b)) {
		return PDU{}, &DecodeError{Header: h, Status: StatusInvCmdLen, Fatal: true,
			Err: fmt.Errorf("%w: says %d, have %d", ErrLengthMismatch, h.Length, len(b))}
	}
	return decodeBody(h, b[HeaderLen:])
}

// decodeBody decodes the body of a PDU whose header has been read and
// whose length is sound.
func decodeBody(h Header, body []byte) (PDU, error) {
	c := h.Command
	p := PDU{Header: h}
	if !c.Known() {
		return PDU{}, &DecodeError{Header: h, Status: StatusInvCmdID, Err: ErrUnknownCommand}
	}
	if !hasBody(c) {
		if len(body) != 0 {
			return PDU{}, &DecodeError{Header: h, Status: StatusInvCmdLen, Err: ErrTrailing}
		}
		return p, nil
	}
	if len(body) == 0 && c.IsResponse() && h.Status != StatusOK {
		p.Body = newBody(c)
		return p, nil
	}
	d := decoder{b: body}
	switch c {
	case CommandBindTransmitter, CommandBindReceiver, CommandBindTransceiver:
		b := new(Bind)
		b.decodeBody(&d)
		p.Body = b
	case CommandBindTransmitterResp, CommandBindReceiverResp, CommandBindTransceiverResp:
		b := new(BindResp)
		b.decodeBody(&d)
		p.Body = b
	case CommandOutbind:
		b := new(Outbind)
		b.decodeBody(&d)
		p.Body = b
	case CommandSubmitSM:
		b := new(SubmitSM)
		b.decodeBody(&d)
		p.Body = b
	case CommandDeliverSM:
		b := new(DeliverSM)
		b.decodeBody(&d)
		p.Body = b
	case CommandSubmitSMResp:
		b := new(SubmitSMResp)
		b.decodeBody(&d)
		p.Body = b
	case CommandDeliverSMResp:
		b := new(DeliverSMResp)
		b.decodeBody(&d)
		p.Body = b
	case CommandDataSMResp:
		b := new(DataSMResp)
		b.decodeBody(&d)
		p.Body = b
	case CommandDataSM:
		b := new(DataSM)
		b.decodeBody(&d)
		p.Body = b
	case CommandQuerySM:
		b := new(QuerySM)
		b.decodeBody(&d)
		p.Body = b
	case CommandQuerySMResp:
		b := new(QuerySMResp)
		b.decodeBody(&d)
		p.Body = b
	}
	if d.err != nil {
		return PDU{}, &DecodeError{Header: h, Status: d.err.status, Err: d.err}
	}
	return p, nil
}
