package coding

import (
	"errors"
	"fmt"
)

// SplitMethod is how a route sends a text longer than one short message.
type SplitMethod uint8

// Split methods. The zero value is SplitUDH, what nearly every SMSC takes.
const (
	// SplitUDH sends one submit_sm per part, each short_message starting
	// with a concatenation user data header (05 00 03 ref total seq) and
	// esm_class carrying UDHI (0x40).
	SplitUDH SplitMethod = iota
	// SplitSAR sends one submit_sm per part with the sar_msg_ref_num,
	// sar_total_segments and sar_segment_seqnum TLVs and no header; the
	// SMSC builds the header for the air interface.
	SplitSAR
	// SplitPayload sends a long text whole in one message_payload TLV and
	// leaves the splitting to the SMSC. A text that fits one segment still
	// goes in short_message.
	SplitPayload
)

// String returns "udh", "sar" or "payload".
func (m SplitMethod) String() string {
	switch m {
	case SplitUDH:
		return "udh"
	case SplitSAR:
		return "sar"
	case SplitPayload:
		return "payload"
	}
	return fmt.Sprintf("SplitMethod(%d)", uint8(m))
}

// ParseSplitMethod returns the method named "udh", "sar" or "payload".
func ParseSplitMethod(s string) (SplitMethod, error) {
	for m := SplitUDH; m <= SplitPayload; m++ {
		if m.String() == s {
			return m, nil
		}
	}
	return 0, fmt.Errorf("coding: unknown split method %q (want udh, sar or payload)", s)
}

// MaxSegments is the most parts one message can have: the part counters of
// the concatenation header and of sar_total_segments are one octet.
const MaxSegments = 255

// Options are the per-route settings for encoding and splitting. The zero
// value is a common SMSC: GSM 7-bit as data_coding 0x00, one octet per
// septet, UDH concatenation, up to 255 parts.
type Options struct {
	// GSMDataCoding is the data_coding sent with GSM 7-bit text: 0x00
	// (SMSC default alphabet) on most SMSCs, 0x01 on those configured to
	// read IA5 as GSM.
	GSMDataCoding byte
	// Pack7Bit packs GSM septets eight into seven octets. SMSCs differ:
	// most expect one septet per octet in short_message.
	Pack7Bit bool
	// Split is how a text longer than one short message is sent.
	Split SplitMethod
	// MaxSegments caps the parts of one message; 0 means 255, the most the
	// one-octet part counters allow. A longer text is refused (ErrTooLong).
	MaxSegments int
	// Encoding forces an alphabet for every message of the route; zero
	// chooses per message (see Choose). A forced GSM7 or Latin1 refuses
	// text it cannot carry (ErrNotEncodable).
	Encoding Encoding
}

// Validate reports the first bad field of o by its name.
func (o Options) Validate() error {
	switch {
	case o.Split > SplitPayload:
		return fmt.Errorf("coding: Split: unknown split method %d", o.Split)
	case o.MaxSegments < 0 || o.MaxSegments > MaxSegments:
		return fmt.Errorf("coding: MaxSegments: %d is not between 0 and %d", o.MaxSegments, MaxSegments)
	case o.Encoding != 0 && !o.Encoding.Valid():
		return fmt.Errorf("coding: Encoding: unknown encoding %d", o.Encoding)
	case o.GSMDataCoding == DataCodingUCS2 || o.GSMDataCoding == DataCodingLatin1:
		return fmt.Errorf("coding: GSMDataCoding: 0x%02x is not a 7-bit data_coding", o.GSMDataCoding)
	}
	return nil
}

func (o Options) maxSegments() int {
	if o.MaxSegments <= 0 || o.MaxSegments > MaxSegments {
		return MaxSegments
	}
	return o.MaxSegments
}

// DataCoding returns the data_coding to send text in e with.
func (o Options) DataCoding(e Encoding) byte {
	switch e {
	case UCS2:
		return DataCodingUCS2
	case Latin1:
		return DataCodingLatin1
	}
	return o.GSMDataCoding
}

// Errors of Split and Decode.
var (
	ErrEmpty         = errors.New("coding: empty text")
	ErrTooLong       = errors.New("coding: text needs more segments than the route allows")
	ErrNotEncodable  = errors.New("coding: text has characters the route's encoding cannot carry")
	ErrMalformed     = errors.New("coding: malformed user data header")
	ErrUnsupportedDC = errors.New("coding: unsupported data_coding")
)
