package coding

// cr is the GSM 7-bit carriage return, which 3GPP TS 23.038 §6.1.2.3.1 puts
// in the last octet when packing leaves seven spare bits there, so that a
// receiver does not read seven zero bits as '@'.
const cr = 0x0D

// FillBits returns how many fill bits follow a user data header of udhLen
// octets (its length octet included) in packed GSM 7-bit user data, so that
// the first septet of the text starts on a septet boundary: 1 after the
// 6-octet concatenation header, 0 without a header.
func FillBits(udhLen int) int {
	if udhLen <= 0 {
		return 0
	}
	return (7 - udhLen*8%7) % 7
}

// Pack packs septets (one per byte, the high bit ignored) eight into seven
// octets, least significant bit first, as 3GPP TS 23.038 §6.1.2.1.1 says.
// When the last octet would keep seven spare bits they carry a carriage
// return (§6.1.2.3.1), so Unpack with len(septets) returns the septets and
// a receiver counting from the length sees a trailing CR rather than an '@'.
func Pack(septets []byte) []byte {
	return appendPacked(make([]byte, 0, PackedLen(len(septets), 0)), septets, 0)
}

// PackFill packs septets like Pack, after fill zero bits: the text part of
// user data that follows a header, with fill = FillBits(header length).
// The header itself is not included.
func PackFill(septets []byte, fill int) []byte {
	return appendPacked(make([]byte, 0, PackedLen(len(septets), fill)), septets, fill)
}

// PackedLen returns the number of octets n septets take after fill bits.
func PackedLen(n, fill int) int {
	if n == 0 {
		return 0
	}
	return (fill + 7*n + 7) / 8
}

// appendPacked appends septets packed after fill zero bits to dst.
func appendPacked(dst, septets []byte, fill int) []byte {
	if len(septets) == 0 {
		return dst
	}
	var acc uint32
	bits := fill
	for _, s := range septets {
		acc |= uint32(s&0x7F) << bits
		bits += 7
		for bits >= 8 {
			dst = append(dst, byte(acc))
			acc >>= 8
			bits -= 8
		}
	}
	if bits > 0 {
		if bits == 1 {
			acc |= cr << 1
		}
		dst = append(dst, byte(acc))
	}
	return dst
}

// Unpack returns the first n septets packed in b, one per byte. It returns
// fewer when b is too short.
func Unpack(b []byte, n int) []byte {
	return UnpackFill(b, 0, n)
}

// UnpackFill returns the first n septets packed in b after fill bits (see
// FillBits), one per byte. It returns fewer when b is too short.
func UnpackFill(b []byte, fill, n int) []byte {
	if max := (len(b)*8 - fill) / 7; n > max {
		n = max
	}
	if n <= 0 {
		return nil
	}
	out := make([]byte, n)
	bit := fill
	for i := range out {
		at, off := bit/8, uint(bit%8)
		v := uint16(b[at]) >> off
		if off > 1 {
			v |= uint16(b[at+1]) << (8 - off)
		}
		out[i] = byte(v & 0x7F)
		bit += 7
	}
	return out
}

// septetsIn returns how many septets octets of packed data hold after fill
// bits, leaving out the carriage return that Pack puts in seven spare bits.
func septetsIn(packed []byte, fill int) int {
	total := len(packed)*8 - fill
	if total < 7 {
		return 0
	}
	n := total / 7
	if total%7 == 0 && (packed[len(packed)-1]>>1) == cr {
		// The last septet fills the last octet's top seven bits exactly:
		// the spare bits Pack filled with a carriage return.
		n--
	}
	return n
}
