package coding

import (
	"bytes"
	"testing"
)

// gsmTable is 3GPP TS 23.038 §6.2.1 written out code by code, independently
// of gsmDefault, so a typo in one shows up against the other.
var gsmTable = map[byte]rune{
	0x00: '@', 0x01: '£', 0x02: '$', 0x03: '¥', 0x04: 'è', 0x05: 'é', 0x06: 'ù', 0x07: 'ì',
	0x08: 'ò', 0x09: 'Ç', 0x0A: '\n', 0x0B: 'Ø', 0x0C: 'ø', 0x0D: '\r', 0x0E: 'Å', 0x0F: 'å',
	0x10: 'Δ', 0x11: '_', 0x12: 'Φ', 0x13: 'Γ', 0x14: 'Λ', 0x15: 'Ω', 0x16: 'Π', 0x17: 'Ψ',
	0x18: 'Σ', 0x19: 'Θ', 0x1A: 'Ξ', 0x1C: 'Æ', 0x1D: 'æ', 0x1E: 'ß', 0x1F: 'É',
	0x20: ' ', 0x21: '!', 0x22: '"', 0x23: '#', 0x24: '¤', 0x25: '%', 0x26: '&', 0x27: '\'',
	0x28: '(', 0x29: ')', 0x2A: '*', 0x2B: '+', 0x2C: ',', 0x2D: '-', 0x2E: '.', 0x2F: '/',
	0x30: '0', 0x31: '1', 0x32: '2', 0x33: '3', 0x34: '4', 0x35: '5', 0x36: '6', 0x37: '7',
	0x38: '8', 0x39: '9', 0x3A: ':', 0x3B: ';', 0x3C: '<', 0x3D: '=', 0x3E: '>', 0x3F: '?',
	0x40: '¡', 0x5B: 'Ä', 0x5C: 'Ö', 0x5D: 'Ñ', 0x5E: 'Ü', 0x5F: '§',
	0x60: '¿', 0x7B: 'ä', 0x7C: 'ö', 0x7D: 'ñ', 0x7E: 'ü', 0x7F: 'à',
}

// gsmExtTable is the extension table of §6.2.1.1: the septet after ESC.
var gsmExtTable = map[byte]rune{
	0x0A: '\f', 0x14: '^', 0x28: '{', 0x29: '}', 0x2F: '\\',
	0x3C: '[', 0x3D: '~', 0x3E: ']', 0x40: '|', 0x65: '€',
}

func init() {
	for c := byte('A'); c <= 'Z'; c++ {
		gsmTable[0x41+c-'A'] = rune(c)
		gsmTable[0x61+c-'A'] = rune(c + 'a' - 'A')
	}
}

func TestGSMDefaultTableBothWays(t *testing.T) {
	if len(gsmTable) != 127 {
		t.Fatalf("test table has %d entries, want 127 (all but ESC)", len(gsmTable))
	}
	for septet, r := range gsmTable {
		got, ok := GSM7.Encode(string(r))
		if !ok || !bytes.Equal(got, []byte{septet}) {
			t.Errorf("Encode(%q) = % x, %v; want %02x", r, got, ok, septet)
		}
		if s := GSM7.Decode([]byte{septet}); s != string(r) {
			t.Errorf("Decode(%02x) = %q, want %q", septet, s, r)
		}
		if n := gsmSeptets(r); n != 1 {
			t.Errorf("gsmSeptets(%q) = %d, want 1", r, n)
		}
	}
}

func TestGSMExtensionTableBothWays(t *testing.T) {
	for septet, r := range gsmExtTable {
		got, ok := GSM7.Encode(string(r))
		if !ok || !bytes.Equal(got, []byte{esc, septet}) {
			t.Errorf("Encode(%q) = % x, %v; want 1b %02x", r, got, ok, septet)
		}
		if s := GSM7.Decode([]byte{esc, septet}); s != string(r) {
			t.Errorf("Decode(1b %02x) = %q, want %q", septet, s, r)
		}
		if n := gsmSeptets(r); n != 2 {
			t.Errorf("gsmSeptets(%q) = %d, want 2", r, n)
		}
	}
}

func TestGSMNotInAlphabet(t *testing.T) {
	// ç is not in the alphabet: 0x09 is the capital Ç (TS 23.038); mapping
	// the small one there would change the text, so it goes as UCS-2.
	for _, s := range []string{"ç", "\t", "`", "\x00", "á", "Б", "😀", "\u00a0", "\xff"} {
		if b, ok := GSM7.Encode("ab" + s); ok || b != nil {
			t.Errorf("Encode(%q) = % x, %v; want nil, false", s, b, ok)
		}
		if e := Choose("ab" + s); e != UCS2 {
			t.Errorf("Choose(%q) = %v, want ucs2", s, e)
		}
	}
	if e := Choose("Code 123456 {€} [ok] ^~|\\ \f"); e != GSM7 {
		t.Errorf("Choose(extension characters) = %v, want gsm7", e)
	}
}

func TestGSMDecodeOddEscapes(t *testing.T) {
	for _, tt := range []struct {
		in   []byte
		want string
	}{
		{[]byte{0x41, esc}, "A "},               // dangling escape at the end
		{[]byte{esc, esc, 0x41}, " A"},          // escape to a further table: a space
		{[]byte{esc, 0x41}, "A"},                // no extension character: the default one
		{[]byte{0xC1, 0x80}, "A@"},              // high bit ignored
		{[]byte{esc, 0x65, esc, 0x14}, "€^"},    // two escapes in a row
		{[]byte{0x1b, 0x0a, 0x0a}, "\f\n"},      // form feed, then line feed
		{[]byte{0x00, 0x02, 0x1b, 0x3c}, "@$["}, // '@' is septet zero
	} {
		if got := GSM7.Decode(tt.in); got != tt.want {
			t.Errorf("Decode(% x) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPackVectors(t *testing.T) {
	for _, tt := range []struct {
		text string
		fill int
		want []byte
	}{
		{"hellohello", 0, []byte{0xe8, 0x32, 0x9b, 0xfd, 0x46, 0x97, 0xd9, 0xec, 0x37}},
		{"hello", 0, []byte{0xe8, 0x32, 0x9b, 0xfd, 0x06}},
		// Seven septets leave seven spare bits: a CR (0x0D) fills them.
		{"1234567", 0, []byte{0x31, 0xd9, 0x8c, 0x56, 0xb3, 0xdd, 0x1a}},
		{"12345678", 0, []byte{0x31, 0xd9, 0x8c, 0x56, 0xb3, 0xdd, 0x70}},
		// After a 6-octet header: one fill bit.
		{"hello", 1, []byte{0xd0, 0x65, 0x36, 0xfb, 0x0d}},
		{"hellohello", 1, []byte{0xd0, 0x65, 0x36, 0xfb, 0x8d, 0x2e, 0xb3, 0xd9, 0x6f}},
		{"", 0, []byte{}},
	} {
		septets, ok := GSM7.Encode(tt.text)
		if !ok {
			t.Fatalf("Encode(%q) failed", tt.text)
		}
		got := PackFill(septets, tt.fill)
		if !bytes.Equal(got, tt.want) {
			t.Errorf("PackFill(%q, %d) = % x, want % x", tt.text, tt.fill, got, tt.want)
		}
		if tt.fill == 0 && !bytes.Equal(Pack(septets), got) {
			t.Errorf("Pack(%q) differs from PackFill(.., 0)", tt.text)
		}
		if n := PackedLen(len(septets), tt.fill); n != len(tt.want) {
			t.Errorf("PackedLen(%d, %d) = %d, want %d", len(septets), tt.fill, n, len(tt.want))
		}
		back := UnpackFill(got, tt.fill, len(septets))
		if !bytes.Equal(back, septets) && len(septets) > 0 {
			t.Errorf("UnpackFill(% x, %d, %d) = % x, want % x", got, tt.fill, len(septets), back, septets)
		}
		if n := septetsIn(got, tt.fill); n != len(septets) {
			t.Errorf("septetsIn(% x, %d) = %d, want %d", got, tt.fill, n, len(septets))
		}
	}
}

func TestFillBits(t *testing.T) {
	for udh, want := range map[int]int{0: 0, 6: 1, 7: 0, 5: 2, 12: 2, 3: 4} {
		if got := FillBits(udh); got != want {
			t.Errorf("FillBits(%d) = %d, want %d", udh, got, want)
		}
		// The header and its fill bits end on a septet boundary.
		if (udh*8+FillBits(udh))%7 != 0 {
			t.Errorf("FillBits(%d) leaves the text off a septet boundary", udh)
		}
	}
}

func TestPackUnpackAllLengths(t *testing.T) {
	for fill := 0; fill < 7; fill++ {
		for n := 0; n <= 40; n++ {
			septets := make([]byte, n)
			for i := range septets {
				septets[i] = byte(i*37+fill) & 0x7F
			}
			packed := PackFill(septets, fill)
			if got := UnpackFill(packed, fill, n); !bytes.Equal(got, septets) && n > 0 {
				t.Fatalf("fill %d n %d: round trip % x, want % x", fill, n, got, septets)
			}
			if got := Unpack(packed, n+5); fill == 0 && len(got) < n {
				t.Fatalf("n %d: Unpack with a larger count gave %d septets", n, len(got))
			}
		}
	}
}
