package coding

import "fmt"

// Capacities of one segment, in septets (GSM7), UTF-16 code units (UCS2)
// or octets (Latin1): 140 octets of user data, less 6 for the
// concatenation header in every part of a split message. SAR parts use the
// same smaller capacity: the SMSC turns the SAR TLVs into that header on the
// air interface, so a part of 160 septets would not fit there.
const (
	GSMSingle    = 160
	GSMPart      = 153
	UCS2Single   = 70
	UCS2Part     = 67
	Latin1Single = 140
	Latin1Part   = 134
)

// udhLen is the length of the concatenation header with an 8-bit
// reference: UDHL 05, IEI 00, IEDL 03, reference, total, sequence.
const udhLen = 6

// ESMClassUDHI is the esm_class bit that says short_message starts with a
// user data header.
const ESMClassUDHI byte = 0x40

// Encoded is a text made ready for submit_sm: its alphabet, data_coding and
// one Part per submit_sm.
type Encoded struct {
	Encoding   Encoding
	DataCoding byte
	// Parts holds one submit_sm each, in order.
	Parts []Part
	// Segments is how many SMS the text costs on the air interface: len(Parts),
	// or for a message_payload the parts the SMSC will make of it. It is the
	// number recorded on the attempt.
	Segments int
}

// Part is the content of one submit_sm.
type Part struct {
	// ShortMessage is the short_message field, user data header included;
	// nil when the text goes in Payload.
	ShortMessage []byte
	// Payload is the message_payload TLV (SplitPayload, text longer than
	// one segment); nil otherwise.
	Payload []byte
	// ESMClass is ESMClassUDHI when ShortMessage starts with a header, else
	// 0; OR it into the route's esm_class.
	ESMClass byte
	// SAR is set on the parts of a text split with SplitSAR.
	SAR SAR
}

// SAR holds the values of the sar_msg_ref_num, sar_total_segments and
// sar_segment_seqnum TLVs of one part. The zero value means no SAR TLVs.
type SAR struct {
	Ref   uint16
	Total uint8
	Seq   uint8 // from 1
}

// IsZero reports whether s carries no SAR values.
func (s SAR) IsZero() bool { return s.Total == 0 }

// Split encodes text for a route and cuts it into parts. ref is the
// concatenation reference shared by the parts of this message (header or
// sar_msg_ref_num); the caller picks a different one per message to the
// same handset. A text that fits one segment is one Part with no header and
// no SAR values, whatever the method.
//
// An escape sequence or a surrogate pair is never cut. Split fails on empty
// text (ErrEmpty), on more parts than opts allow (ErrTooLong) and on a text
// the forced encoding cannot carry (ErrNotEncodable).
func Split(text string, opts Options, ref byte) (Encoded, error) {
	if text == "" {
		return Encoded{}, ErrEmpty
	}
	enc, err := opts.encoding(text)
	if err != nil {
		return Encoded{}, err
	}
	p := newPlanner(enc, opts)
	var ends []int
	units, segs := p.walk(text, &ends)
	if max := opts.maxSegments(); segs > max {
		return Encoded{}, fmt.Errorf("%w: %d segments, at most %d", ErrTooLong, segs, max)
	}
	raw, _ := enc.Encode(text)
	size := enc.unitSize()
	out := Encoded{Encoding: enc, DataCoding: opts.DataCoding(enc), Segments: segs}
	packed := enc == GSM7 && opts.Pack7Bit

	if segs == 1 || opts.Split == SplitPayload {
		body := raw
		if packed {
			body = Pack(raw)
		}
		if segs == 1 {
			out.Parts = []Part{{ShortMessage: body}}
		} else {
			out.Parts = []Part{{Payload: body}}
		}
		return out, nil
	}

	out.Parts = make([]Part, segs)
	header := 0
	if opts.Split == SplitUDH {
		header = udhLen
	}
	// One buffer for every part: at most one octet more than the raw text
	// per part (a packing remainder) plus the headers.
	buf := make([]byte, 0, len(raw)+segs*(header+1))
	start := 0
	for i := range out.Parts {
		end := units
		if i < len(ends) {
			end = ends[i]
		}
		seg := raw[start*size : end*size]
		start = end
		from := len(buf)
		part := &out.Parts[i]
		if header > 0 {
			buf = append(buf, udhLen-1, 0x00, 0x03, ref, byte(segs), byte(i+1))
			part.ESMClass = ESMClassUDHI
		} else {
			part.SAR = SAR{Ref: uint16(ref), Total: uint8(segs), Seq: uint8(i + 1)}
		}
		if packed {
			buf = appendPacked(buf, seg, FillBits(header))
		} else {
			buf = append(buf, seg...)
		}
		part.ShortMessage = buf[from:len(buf):len(buf)]
	}
	return out, nil
}

// Segments returns how many segments Split makes of text for opts, without
// building them; 0 for empty text or text the forced encoding cannot carry.
// It does not apply MaxSegments.
func Segments(text string, opts Options) int {
	if text == "" {
		return 0
	}
	enc, err := opts.encoding(text)
	if err != nil {
		return 0
	}
	_, n := newPlanner(enc, opts).walk(text, nil)
	return n
}

// encoding returns the alphabet text goes in on a route with opts.
func (o Options) encoding(text string) (Encoding, error) {
	switch o.Encoding {
	case 0:
		return Choose(text), nil
	case GSM7:
		if !gsmOnly(text) {
			return 0, fmt.Errorf("%w: not all of it is in the GSM 7-bit alphabet", ErrNotEncodable)
		}
	case Latin1:
		for _, r := range text {
			if r >= 0x100 {
				return 0, fmt.Errorf("%w: %q is not in Latin-1", ErrNotEncodable, r)
			}
		}
	case UCS2:
	default:
		return 0, fmt.Errorf("coding: Encoding: unknown encoding %d", o.Encoding)
	}
	return o.Encoding, nil
}

// planner cuts a text into segments.
type planner struct {
	enc          Encoding
	single, part int
	// crFill is the fill bits before packed septets when a part must not
	// end in a carriage return on an octet boundary, or -1.
	crFill int
}

func newPlanner(enc Encoding, opts Options) planner {
	p := planner{enc: enc, single: GSMSingle, part: GSMPart, crFill: -1}
	switch enc {
	case UCS2:
		p.single, p.part = UCS2Single, UCS2Part
	case Latin1:
		p.single, p.part = Latin1Single, Latin1Part
	case GSM7:
		if opts.Pack7Bit && opts.Split != SplitPayload {
			p.crFill = 0
			if opts.Split == SplitUDH {
				p.crFill = FillBits(udhLen)
			}
		}
	}
	return p
}

// walk returns the length of text in units and the number of segments.
// When ends is not nil it receives the end, in units, of every segment but
// the last.
//
// Segments are filled greedily, one character at a time, so a two-septet
// escape sequence or a surrogate pair always lands whole in one segment.
// With packed GSM, a segment never ends in a carriage return that fills
// its last octet exactly: a receiver takes that for the padding of
// 3GPP TS 23.038 §6.1.2.3.1 and drops it, so the CR opens the next one.
func (p planner) walk(text string, ends *[]int) (units, segments int) {
	for _, r := range text {
		units += p.enc.units(r)
	}
	if units <= p.single {
		return units, 1
	}
	used, pos, lastCR := 0, 0, false
	segments = 1
	for _, r := range text {
		u := p.enc.units(r)
		if used+u > p.part {
			end := pos
			if lastCR && p.crFill >= 0 && (p.crFill+7*used)%8 == 0 {
				end, used = pos-1, 1
			} else {
				used = 0
			}
			if ends != nil {
				*ends = append(*ends, end)
			}
			segments++
		}
		used += u
		pos += u
		lastCR = r == '\r'
	}
	return units, segments
}
