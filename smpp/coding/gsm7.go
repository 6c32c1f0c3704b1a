package coding

import (
	"strings"
	"unicode/utf8"
)

// esc is the GSM 7-bit escape septet that selects the extension table for
// the septet after it.
const esc = 0x1B

// gsmDefault is the GSM 7-bit default alphabet of 3GPP TS 23.038 §6.2.1,
// indexed by septet. 0x09 is the capital C with cedilla, as the standard
// says (some tables print the small one). 0x1B is the escape; it decodes as
// a space when nothing valid follows it.
var gsmDefault = [128]rune{
	'@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å',
	'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', ' ', 'Æ', 'æ', 'ß', 'É',
	' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/',
	'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?',
	'¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O',
	'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§',
	'¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
	'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à',
}

// gsmExtension is the GSM 7-bit default alphabet extension table of 3GPP
// TS 23.038 §6.2.1.1: the septet that follows an escape, and its character.
var gsmExtension = [...]struct {
	septet byte
	r      rune
}{
	{0x0A, '\f'}, // form feed (page break)
	{0x14, '^'},
	{0x28, '{'},
	{0x29, '}'},
	{0x2F, '\\'},
	{0x3C, '['},
	{0x3D, '~'},
	{0x3E, ']'},
	{0x40, '|'},
	{0x65, '€'},
}

// gsmLatin maps runes below U+0100 to their septet code: the low byte is the
// septet, gsmEscaped marks an extension-table character, 0 means not in the
// alphabet ('@' is septet 0, so it is stored with gsmValid set).
var gsmLatin = buildGSMLatin()

const (
	gsmValid   = 0x100
	gsmEscaped = 0x200
)

func buildGSMLatin() (t [256]uint16) {
	for s, r := range gsmDefault {
		if s == esc || r >= 0x100 {
			continue
		}
		t[r] = gsmValid | uint16(s)
	}
	for _, e := range gsmExtension {
		if e.r < 0x100 {
			t[e.r] = gsmValid | gsmEscaped | uint16(e.septet)
		}
	}
	return t
}

// gsmLookup returns the septet for r, whether it is an extension character
// (sent after an escape), and whether r is in the alphabet at all.
func gsmLookup(r rune) (septet byte, escaped, ok bool) {
	if r < 0x100 {
		v := gsmLatin[r]
		return byte(v), v&gsmEscaped != 0, v&gsmValid != 0
	}
	switch r {
	case 'Δ':
		return 0x10, false, true
	case 'Φ':
		return 0x12, false, true
	case 'Γ':
		return 0x13, false, true
	case 'Λ':
		return 0x14, false, true
	case 'Ω':
		return 0x15, false, true
	case 'Π':
		return 0x16, false, true
	case 'Ψ':
		return 0x17, false, true
	case 'Σ':
		return 0x18, false, true
	case 'Θ':
		return 0x19, false, true
	case 'Ξ':
		return 0x1A, false, true
	case '€':
		return 0x65, true, true
	}
	return 0, false, false
}

// gsmSeptets returns how many septets r takes in GSM 7-bit: 1, 2 for an
// extension character, 0 when r is not in the alphabet.
func gsmSeptets(r rune) int {
	_, escaped, ok := gsmLookup(r)
	switch {
	case !ok:
		return 0
	case escaped:
		return 2
	}
	return 1
}

// appendGSM appends the unpacked septets of s to dst. It reports false, with
// dst cut back, at the first character outside the alphabet.
func appendGSM(dst []byte, s string) ([]byte, bool) {
	start := len(dst)
	for _, r := range s {
		septet, escaped, ok := gsmLookup(r)
		if !ok {
			return dst[:start], false
		}
		if escaped {
			dst = append(dst, esc)
		}
		dst = append(dst, septet)
	}
	return dst, true
}

// decodeGSM turns unpacked septets into text. Only the low seven bits of
// each byte count. An escape followed by a septet with no extension
// character decodes as that septet's default character, and an escape with
// nothing valid after it (the end, or a second escape) as a space, as
// 3GPP TS 23.038 tells a receiving entity to display them.
func decodeGSM(septets []byte) string {
	var b strings.Builder
	b.Grow(len(septets) + len(septets)/2)
	for i := 0; i < len(septets); i++ {
		s := septets[i] & 0x7F
		if s != esc {
			b.WriteRune(gsmDefault[s])
			continue
		}
		if i+1 == len(septets) {
			b.WriteByte(' ')
			continue
		}
		i++
		next := septets[i] & 0x7F
		if next == esc {
			b.WriteByte(' ')
			continue
		}
		b.WriteRune(gsmExtended(next))
	}
	return b.String()
}

// gsmExtended returns the character of septet s after an escape.
func gsmExtended(s byte) rune {
	for _, e := range gsmExtension {
		if e.septet == s {
			return e.r
		}
	}
	return gsmDefault[s]
}

// gsmOnly reports whether every character of s is in the GSM 7-bit default
// alphabet or its extension table.
func gsmOnly(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if gsmLatin[c]&gsmValid == 0 {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if _, _, ok := gsmLookup(r); !ok { // U+FFFD, for invalid UTF-8, is not in it
			return false
		}
		i += n
	}
	return true
}
