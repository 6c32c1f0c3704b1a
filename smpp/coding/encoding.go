package coding

import "strings"

// Encoding is the alphabet a message is sent in. The zero value means none:
// in Options it lets Split choose per message.
type Encoding uint8

// Encodings.
const (
	GSM7   Encoding = iota + 1 // GSM 7-bit default alphabet and extension table (3GPP TS 23.038)
	UCS2                       // UTF-16BE, data_coding 0x08; beyond the BMP as surrogate pairs
	Latin1                     // ISO 8859-1, data_coding 0x03; only when a route asks for it
)

// data_coding values of SMPP 3.4 §5.2.19 that this package writes.
const (
	DataCodingDefault byte = 0x00 // SMSC default alphabet, GSM 7-bit on most SMSCs
	DataCodingIA5     byte = 0x01 // IA5 (CCITT T.50) / ASCII; GSM 7-bit on some SMSCs
	DataCodingLatin1  byte = 0x03 // ISO 8859-1
	DataCodingUCS2    byte = 0x08 // UCS-2 (ISO/IEC 10646)
)

// String returns "gsm7", "ucs2", "latin1" or "none".
func (e Encoding) String() string {
	switch e {
	case GSM7:
		return "gsm7"
	case UCS2:
		return "ucs2"
	case Latin1:
		return "latin1"
	}
	return "none"
}

// Valid reports whether e is one of the encodings.
func (e Encoding) Valid() bool { return e >= GSM7 && e <= Latin1 }

// Choose returns GSM7 when every character of text is in the GSM 7-bit
// default alphabet or its extension table, else UCS2.
func Choose(text string) Encoding {
	if gsmOnly(text) {
		return GSM7
	}
	return UCS2
}

// Encode returns text in e, and whether every character could be encoded.
// GSM7 gives unpacked septets, one per byte, an extension character as an
// escape (0x1B) and its septet; see Pack. UCS2 gives UTF-16BE and never
// fails (invalid UTF-8 becomes U+FFFD). Latin1 gives one octet a character.
// When ok is false the bytes are nil.
func (e Encoding) Encode(text string) (b []byte, ok bool) {
	switch e {
	case GSM7:
		b, ok = appendGSM(make([]byte, 0, len(text)), text)
	case UCS2:
		b, ok = appendUCS2(make([]byte, 0, 2*len(text)), text), true
	case Latin1:
		b, ok = appendLatin1(make([]byte, 0, len(text)), text)
	}
	if !ok {
		return nil, false
	}
	return b, true
}

// Decode returns the text of b in e: unpacked septets for GSM7 (see
// Unpack), UTF-16BE for UCS2, octets for Latin1. It never fails: what
// cannot be decoded becomes U+FFFD (UCS2) or a space (a dangling GSM
// escape).
func (e Encoding) Decode(b []byte) string {
	switch e {
	case GSM7:
		return decodeGSM(b)
	case UCS2:
		return decodeUCS2(b)
	case Latin1:
		return decodeLatin1(b)
	}
	return ""
}

// units returns how many capacity units r takes in e (septets, UTF-16 code
// units or octets), 0 when e cannot carry it.
func (e Encoding) units(r rune) int {
	switch e {
	case GSM7:
		return gsmSeptets(r)
	case UCS2:
		return ucs2Units(r)
	case Latin1:
		if r < 0x100 {
			return 1
		}
	}
	return 0
}

// unitSize returns how many octets one capacity unit takes before packing.
func (e Encoding) unitSize() int {
	if e == UCS2 {
		return 2
	}
	return 1
}

func appendLatin1(dst []byte, s string) ([]byte, bool) {
	for _, r := range s {
		if r >= 0x100 {
			return nil, false
		}
		dst = append(dst, byte(r))
	}
	return dst, true
}

func decodeLatin1(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b))
	for _, c := range b {
		sb.WriteRune(rune(c))
	}
	return sb.String()
}
