package coding

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// ucs2Units returns how many UTF-16 code units r takes: 2 beyond the Basic
// Multilingual Plane (a surrogate pair), else 1.
func ucs2Units(r rune) int {
	if r > 0xFFFF && r <= utf8.MaxRune {
		return 2
	}
	return 1
}

// appendUCS2 appends s as UTF-16BE to dst, characters beyond the Basic
// Multilingual Plane as surrogate pairs. Invalid UTF-8 becomes U+FFFD.
func appendUCS2(dst []byte, s string) []byte {
	for _, r := range s {
		if ucs2Units(r) == 2 {
			hi, lo := utf16.EncodeRune(r)
			dst = append(dst, byte(hi>>8), byte(hi), byte(lo>>8), byte(lo))
			continue
		}
		if r >= 0xD800 && r <= 0xDFFF {
			r = utf8.RuneError
		}
		dst = append(dst, byte(r>>8), byte(r))
	}
	return dst
}

// decodeUCS2 turns UTF-16BE into text. A lone surrogate or a trailing odd
// octet becomes U+FFFD.
func decodeUCS2(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b))
	for i := 0; i+1 < len(b); i += 2 {
		u := rune(b[i])<<8 | rune(b[i+1])
		if utf16.IsSurrogate(u) && u < 0xDC00 && i+3 < len(b) {
			lo := rune(b[i+2])<<8 | rune(b[i+3])
			if r := utf16.DecodeRune(u, lo); r != utf8.RuneError {
				sb.WriteRune(r)
				i += 2
				continue
			}
		}
		if utf16.IsSurrogate(u) {
			u = utf8.RuneError
		}
		sb.WriteRune(u)
	}
	if len(b)%2 == 1 {
		sb.WriteRune(utf8.RuneError)
	}
	return sb.String()
}
