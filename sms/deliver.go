package sms

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/smpp"
	"github.com/detourhq/detour/smpp/coding"
)

// How a route's SMSC writes a message id in the text of its receipts
// ("id:...") compared with the id it gave in submit_sm_resp (Kannel calls
// this msg-id-type). It has to be configured: guessing would make
// sequential ids of different messages collide ("10" in hex is "16" in
// decimal). The receipted_message_id TLV is the SMSC's message id as
// submit_sm_resp gave it (SMPP 3.4, 5.3.2.12) and is never converted.
const (
	IDsSame         = "same"           // the same string (after NormalizeID)
	IDsHexToDecimal = "hex_to_decimal" // submit_sm_resp hex, receipt decimal
	IDsDecimalToHex = "decimal_to_hex" // submit_sm_resp decimal, receipt hex
)

// SubmitID is the form in which a submit_sm_resp message_id is stored as
// the attempt's provider id: trimmed, lower case, no leading zeros.
func SubmitID(id string) string { return coding.NormalizeID(id) }

// ReceiptID converts the id a receipt names into the stored submit form.
func ReceiptID(id, mode string) (string, error) {
	n := coding.NormalizeID(id)
	switch mode {
	case "", IDsSame:
		return n, nil
	case IDsHexToDecimal:
		v, err := strconv.ParseUint(n, 10, 64)
		if err != nil {
			return "", fmt.Errorf("receipt id %q is not decimal", id)
		}
		return strconv.FormatUint(v, 16), nil
	case IDsDecimalToHex:
		v, err := strconv.ParseUint(n, 16, 64)
		if err != nil {
			return "", fmt.Errorf("receipt id %q is not hex", id)
		}
		return strconv.FormatUint(v, 10), nil
	}
	return "", fmt.Errorf("unknown receipt id mode %q", mode)
}

// IsReceipt reports whether a deliver_sm is a delivery receipt rather than
// a message from a handset: esm_class message type 0x04 (SMSC delivery
// receipt), 0x08 (SME delivery acknowledgement) or 0x20 (intermediate
// delivery notification), or a receipted_message_id TLV.
func IsReceipt(d *smpp.DeliverSM) bool {
	if t := d.ESMClass & 0x3C; t == 0x04 || t == 0x08 || t == 0x20 {
		return true
	}
	_, ok := d.TLVs.Lookup(smpp.TagReceiptedMessageID)
	return ok
}

// ParseReceipt reads a delivery receipt from route: the TLVs
// (receipted_message_id, message_state) first, the text otherwise. It
// returns ok=false for a receipt that reports nothing final or useful
// (ENROUTE, ACCEPTD, UNKNOWN).
func ParseReceipt(channel, route, idMode string, d *smpp.DeliverSM, now time.Time) (r detour.Receipt, ok bool, err error) {
	var id string
	var state coding.State
	if t, found := d.TLVs.Lookup(smpp.TagReceiptedMessageID); found {
		id = strings.TrimRight(string(t.Value), "\x00") // some SMSCs leave out the NUL
	}
	fromText := id == ""
	if t, found := d.TLVs.Lookup(smpp.TagMessageState); found {
		if v, err := t.Uint8(); err == nil {
			state, _ = coding.StateFromTLV(v)
		}
	}
	var text coding.Receipt
	if id == "" || state == 0 {
		text, err = coding.ParseReceipt(string(d.ShortMessage))
		if err != nil {
			return r, false, fmt.Errorf("deliver_sm is marked a receipt but says neither id nor state: %w", err)
		}
		if id == "" {
			id = text.ID
		}
		if state == 0 {
			state = text.State
		}
	}
	if !fromText {
		idMode = IDsSame
	}
	pid, err := ReceiptID(id, idMode)
	if err != nil {
		return r, false, err
	}
	r = detour.Receipt{Channel: channel, Route: route, ProviderID: pid, At: now}
	if !text.DoneDate.IsZero() && !text.DoneDate.After(now) {
		r.At = text.DoneDate
	}
	switch state {
	case coding.StateDelivered:
		r.Status = detour.AttemptDelivered
	case coding.StateExpired:
		r.Status, r.Reason = detour.AttemptExpired, detour.ReasonExpired
	case coding.StateUndeliverable, coding.StateDeleted:
		r.Status, r.Reason = detour.AttemptFailed, detour.ReasonUndeliverable
	case coding.StateRejected:
		r.Status, r.Reason = detour.AttemptFailed, detour.ReasonRejected
	default:
		return r, false, nil
	}
	if r.Status != detour.AttemptDelivered {
		r.Detail = "SMSC receipt: " + state.String()
		if text.Err != "" && text.Err != "000" {
			r.Detail += " err:" + text.Err
		}
	}
	return r, true, nil
}

// ParseInbound reads a message from a handset (mobile originated). A part
// of a concatenated message comes back with its Concat set; reassembling
// is the caller's.
func ParseInbound(channel, route string, d *smpp.DeliverSM, opts coding.Options, ids *detour.IDSource, now time.Time) (*detour.Inbound, coding.Concat, error) {
	text, concat, err := coding.Decode(d.ShortMessage, d.DataCoding, d.ESMClass, opts)
	if err != nil {
		return nil, concat, err
	}
	if text == "" {
		if t, ok := d.TLVs.Lookup(smpp.TagMessagePayload); ok {
			text, concat, err = coding.Decode(t.Value, d.DataCoding, d.ESMClass&^coding.ESMClassUDHI, opts)
			if err != nil {
				return nil, concat, err
			}
		}
	}
	if text == "" {
		return nil, concat, errors.New("deliver_sm from a handset carries no text")
	}
	from := d.SourceAddr
	if d.SourceAddrTON == 1 && !strings.HasPrefix(from, "+") {
		from = "+" + from
	}
	return &detour.Inbound{ID: ids.New("in_"), Channel: channel, Route: route, From: from, To: d.DestinationAddr,
		Text: text, ReceivedAt: now}, concat, nil
}
