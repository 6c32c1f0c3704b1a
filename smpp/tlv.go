package smpp

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
)

// Tag identifies an optional parameter (TLV).
type Tag uint16

// Tags of SMPP 3.4 (section 5.3.2) a gateway uses. The comment on each gives
// the specification's name and the value's type.
const (
	TagDestAddrSubunit          Tag = 0x0005 // dest_addr_subunit: uint8
	TagSourceAddrSubunit        Tag = 0x000D // source_addr_subunit: uint8
	TagPayloadType              Tag = 0x0019 // payload_type: uint8
	TagAdditionalStatusInfoText Tag = 0x001D // additional_status_info_text: C-octet string, max 256
	TagReceiptedMessageID       Tag = 0x001E // receipted_message_id: C-octet string, max 65
	TagPrivacyIndicator         Tag = 0x0201 // privacy_indicator: uint8
	TagUserMessageReference     Tag = 0x0204 // user_message_reference: uint16
	TagSourcePort               Tag = 0x020A // source_port: uint16
	TagDestinationPort          Tag = 0x020B // destination_port: uint16
	TagSARMsgRefNum             Tag = 0x020C // sar_msg_ref_num: uint16
	TagLanguageIndicator        Tag = 0x020D // language_indicator: uint8
	TagSARTotalSegments         Tag = 0x020E // sar_total_segments: uint8
	TagSARSegmentSeqnum         Tag = 0x020F // sar_segment_seqnum: uint8
	TagSCInterfaceVersion       Tag = 0x0210 // sc_interface_version: uint8
	TagNetworkErrorCode         Tag = 0x0423 // network_error_code: 3 octets (network type, uint16 error)
	TagMessagePayload           Tag = 0x0424 // message_payload: octets
	TagDeliveryFailureReason    Tag = 0x0425 // delivery_failure_reason: uint8
	TagMoreMessagesToSend       Tag = 0x0426 // more_messages_to_send: uint8
	TagMessageState             Tag = 0x0427 // message_state: uint8
)

// String returns the specification's name of t, or its hex value.
func (t Tag) String() string {
	switch t {
	case TagDestAddrSubunit:
		return "dest_addr_subunit"
	case TagSourceAddrSubunit:
		return "source_addr_subunit"
	case TagPayloadType:
		return "payload_type"
	case TagAdditionalStatusInfoText:
		return "additional_status_info_text"
	case TagReceiptedMessageID:
		return "receipted_message_id"
	case TagPrivacyIndicator:
		return "privacy_indicator"
	case TagUserMessageReference:
		return "user_message_reference"
	case TagSourcePort:
		return "source_port"
	case TagDestinationPort:
		return "destination_port"
	case TagSARMsgRefNum:
		return "sar_msg_ref_num"
	case TagLanguageIndicator:
		return "language_indicator"
	case TagSARTotalSegments:
		return "sar_total_segments"
	case TagSARSegmentSeqnum:
		return "sar_segment_seqnum"
	case TagSCInterfaceVersion:
		return "sc_interface_version"
	case TagNetworkErrorCode:
		return "network_error_code"
	case TagMessagePayload:
		return "message_payload"
	case TagDeliveryFailureReason:
		return "delivery_failure_reason"
	case TagMoreMessagesToSend:
		return "more_messages_to_send"
	case TagMessageState:
		return "message_state"
	}
	return "tag(0x" + strconv.FormatUint(uint64(t), 16) + ")"
}

// TLV is one optional parameter. Value holds its octets as sent; the typed
// accessors check its length.
type TLV struct {
	Tag   Tag
	Value []byte
}

// Uint8TLV returns a one-octet TLV.
func Uint8TLV(tag Tag, v uint8) TLV { return TLV{Tag: tag, Value: []byte{v}} }

// Uint16TLV returns a two-octet big-endian TLV.
func Uint16TLV(tag Tag, v uint16) TLV {
	return TLV{Tag: tag, Value: binary.BigEndian.AppendUint16(nil, v)}
}

// CStringTLV returns a TLV holding s and a terminating NUL.
func CStringTLV(tag Tag, s string) TLV {
	return TLV{Tag: tag, Value: append([]byte(s), 0)}
}

// Uint8 returns the value of a one-octet TLV.
func (t TLV) Uint8() (uint8, error) {
	if len(t.Value) != 1 {
		return 0, t.lengthError(1)
	}
	return t.Value[0], nil
}

// Uint16 returns the value of a two-octet big-endian TLV.
func (t TLV) Uint16() (uint16, error) {
	if len(t.Value) != 2 {
		return 0, t.lengthError(2)
	}
	return binary.BigEndian.Uint16(t.Value), nil
}

// CString returns the value of a C-octet string TLV without its NUL. It
// fails unless the value ends with its only NUL; peers that omit the NUL
// can be read leniently through Value.
func (t TLV) CString() (string, error) {
	n := len(t.Value)
	if n == 0 || t.Value[n-1] != 0 {
		return "", fmt.Errorf("smpp: TLV %s: %w", t.Tag, ErrNoNUL)
	}
	if bytes.IndexByte(t.Value[:n-1], 0) >= 0 {
		return "", fmt.Errorf("smpp: TLV %s: %w", t.Tag, ErrNUL)
	}
	return string(t.Value[:n-1]), nil
}

func (t TLV) lengthError(want int) error {
	return fmt.Errorf("smpp: TLV %s: %d octets, want %d: %w", t.Tag, len(t.Value), want, ErrTLVLength)
}

// TLVs is the optional part of a PDU body, in the order sent. A tag may
// occur more than once; Lookup finds the first.
type TLVs []TLV

// Lookup returns the first TLV with the tag.
func (ts TLVs) Lookup(tag Tag) (TLV, bool) {
	for _, t := range ts {
		if t.Tag == tag {
			return t, true
		}
	}
	return TLV{}, false
}

// Set replaces the first TLV with t's tag by t, or appends t.
func (ts *TLVs) Set(t TLV) {
	for i := range *ts {
		if (*ts)[i].Tag == t.Tag {
			(*ts)[i] = t
			return
		}
	}
	*ts = append(*ts, t)
}

// appendTLVs appends the TLVs in order.
func appendTLVs(dst []byte, ts TLVs) ([]byte, error) {
	for _, t := range ts {
		if len(t.Value) > math.MaxUint16 {
			return dst, fmt.Errorf("TLV %s: %d octets: %w", t.Tag, len(t.Value), ErrTooLong)
		}
		dst = binary.BigEndian.AppendUint16(dst, uint16(t.Tag))
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(t.Value)))
		dst = append(dst, t.Value...)
	}
	return dst, nil
}

// tlvs reads TLVs up to the end of the body. Each needs a four-octet tag and
// length and exactly that many value octets before the end; anything else
// fails with StatusInvOptParStream. No TLVs give nil.
func (d *decoder) tlvs() TLVs {
	if d.err != nil || d.rest() == 0 {
		return nil
	}
	// Count first so the slice is allocated once.
	n := 0
	for off := d.off; off < len(d.b); n++ {
		if len(d.b)-off < 4 {
			d.fail("TLV", StatusInvOptParStream, ErrTruncated)
			return nil
		}
		l := int(binary.BigEndian.Uint16(d.b[off+2:]))
		if len(d.b)-off-4 < l {
			tag := Tag(binary.BigEndian.Uint16(d.b[off:]))
			d.fail("TLV "+tag.String(), StatusInvOptParStream, ErrTruncated)
			return nil
		}
		off += 4 + l
	}
	ts := make(TLVs, n)
	for i := range ts {
		ts[i].Tag = Tag(d.u16("TLV", StatusInvOptParStream))
		l := d.u16("TLV", StatusInvOptParStream)
		ts[i].Value = d.bytes("TLV", int(l), StatusInvOptParStream)
	}
	return ts
}
