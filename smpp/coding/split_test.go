package coding

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// optionSets are the route settings the round-trip tests cover.
var optionSets = []Options{
	{},
	{Pack7Bit: true},
	{GSMDataCoding: DataCodingIA5, Split: SplitSAR},
	{Pack7Bit: true, Split: SplitSAR},
	{Split: SplitPayload},
	{Pack7Bit: true, Split: SplitPayload},
}

// reassemble decodes every part of e the way an SMSC or handset would and
// joins them, checking the headers and SAR values on the way.
func reassemble(t testing.TB, e Encoded, opts Options, ref byte) string {
	t.Helper()
	var sb strings.Builder
	for i, p := range e.Parts {
		data := p.ShortMessage
		if p.Payload != nil {
			if p.ShortMessage != nil || len(e.Parts) != 1 {
				t.Fatalf("payload part with a short message or beside other parts")
			}
			data = p.Payload
		}
		text, c, err := Decode(data, e.DataCoding, p.ESMClass, opts)
		if err != nil {
			t.Fatalf("part %d: Decode: %v", i+1, err)
		}
		multi := len(e.Parts) > 1
		switch {
		case multi && opts.Split == SplitUDH:
			if want := (Concat{Ref: uint16(ref), Total: uint8(len(e.Parts)), Seq: uint8(i + 1)}); c != want || p.ESMClass != ESMClassUDHI || !p.SAR.IsZero() {
				t.Fatalf("part %d: concat %+v esm %#x sar %+v; want %+v, UDHI, no SAR", i+1, c, p.ESMClass, p.SAR, want)
			}
		case multi && opts.Split == SplitSAR:
			if want := (SAR{Ref: uint16(ref), Total: uint8(len(e.Parts)), Seq: uint8(i + 1)}); p.SAR != want || p.ESMClass != 0 || !c.IsZero() {
				t.Fatalf("part %d: SAR %+v esm %#x concat %+v; want %+v, no header", i+1, p.SAR, p.ESMClass, c, want)
			}
		default:
			if !c.IsZero() || p.ESMClass != 0 || !p.SAR.IsZero() {
				t.Fatalf("single part with concat %+v esm %#x sar %+v", c, p.ESMClass, p.SAR)
			}
		}
		if p.ShortMessage != nil && len(p.ShortMessage) > 140 && (e.Encoding != GSM7 || opts.Pack7Bit) {
			t.Fatalf("part %d: %d octets, more than 140", i+1, len(p.ShortMessage))
		}
		sb.WriteString(text)
	}
	return sb.String()
}

func TestSplitBoundaries(t *testing.T) {
	gsm := func(n int) string { return strings.Repeat("a", n) }
	ucs := func(n int) string { return strings.Repeat("ж", n) }
	for _, tt := range []struct {
		name  string
		text  string
		enc   Encoding
		parts []int // units per part
	}{
		{"gsm 1", "a", GSM7, []int{1}},
		{"gsm 160", gsm(160), GSM7, []int{160}},
		{"gsm 161", gsm(161), GSM7, []int{153, 8}},
		{"gsm 306", gsm(306), GSM7, []int{153, 153}},
		{"gsm 307", gsm(307), GSM7, []int{153, 153, 1}},
		{"gsm 80 euros", strings.Repeat("€", 80), GSM7, []int{160}},
		{"gsm 159 and a euro", gsm(159) + "€", GSM7, []int{153, 8}},
		// An escape at septets 152-153 fits; at 153-154 it moves whole.
		{"escape at 152", gsm(151) + "€" + gsm(10), GSM7, []int{153, 10}},
		{"escape at 153", gsm(152) + "€" + gsm(10), GSM7, []int{152, 12}},
		{"ucs2 70", ucs(70), UCS2, []int{70}},
		{"ucs2 71", ucs(71), UCS2, []int{67, 4}},
		{"ucs2 134", ucs(134), UCS2, []int{67, 67}},
		{"ucs2 emoji in 35 units", strings.Repeat("😀", 35), UCS2, []int{70}},
		// An emoji whose pair would straddle units 67-68 moves whole.
		{"emoji at 67", ucs(66) + "😀" + ucs(10), UCS2, []int{66, 12}},
		{"emoji at 66", ucs(65) + "😀" + ucs(10), UCS2, []int{67, 10}},
		{"one character makes ucs2", gsm(100) + "ж", UCS2, []int{67, 34}},
		{"ucs2 single", gsm(69) + "ж", UCS2, []int{70}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, opts := range []Options{{}, {Split: SplitSAR}} {
				e, err := Split(tt.text, opts, 0x42)
				if err != nil {
					t.Fatal(err)
				}
				if e.Encoding != tt.enc || e.Segments != len(tt.parts) || len(e.Parts) != len(tt.parts) {
					t.Fatalf("%v: %v in %d segments / %d parts, want %v in %d", opts.Split, e.Encoding, e.Segments, len(e.Parts), tt.enc, len(tt.parts))
				}
				if n := Segments(tt.text, opts); n != len(tt.parts) {
					t.Fatalf("Segments = %d, want %d", n, len(tt.parts))
				}
				for i, p := range e.Parts {
					body := p.ShortMessage
					if len(tt.parts) > 1 && opts.Split == SplitUDH {
						body = body[udhLen:]
					}
					units := len(body)
					if tt.enc == UCS2 {
						units /= 2
					}
					if units != tt.parts[i] {
						t.Errorf("%v part %d: %d units, want %d", opts.Split, i+1, units, tt.parts[i])
					}
				}
				if got := reassemble(t, e, opts, 0x42); got != tt.text {
					t.Fatalf("reassembled %q", got)
				}
			}
		})
	}
}

func TestSplitUDHBytes(t *testing.T) {
	text := strings.Repeat("x", 153) + "hellohello"
	e, err := Split(text, Options{}, 0xCC)
	if err != nil {
		t.Fatal(err)
	}
	if want := append([]byte{0x05, 0x00, 0x03, 0xCC, 0x02, 0x02}, "hellohello"...); !bytes.Equal(e.Parts[1].ShortMessage, want) {
		t.Errorf("part 2 = % x, want % x", e.Parts[1].ShortMessage, want)
	}
	e, err = Split(text, Options{Pack7Bit: true, GSMDataCoding: DataCodingIA5}, 0xCC)
	if err != nil {
		t.Fatal(err)
	}
	if e.DataCoding != DataCodingIA5 {
		t.Errorf("data_coding %#x, want 0x01", e.DataCoding)
	}
	// The header, then "hellohello" packed after one fill bit.
	if want := []byte{0x05, 0x00, 0x03, 0xCC, 0x02, 0x02, 0xd0, 0x65, 0x36, 0xfb, 0x8d, 0x2e, 0xb3, 0xd9, 0x6f}; !bytes.Equal(e.Parts[1].ShortMessage, want) {
		t.Errorf("packed part 2 = % x, want % x", e.Parts[1].ShortMessage, want)
	}
	if n := len(e.Parts[0].ShortMessage); n != 140 {
		t.Errorf("a full packed part is %d octets, want 140", n)
	}
}

func TestSplitSingleAndPayload(t *testing.T) {
	e, err := Split("Your code is 123456", Options{Pack7Bit: true, Split: SplitPayload}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Parts) != 1 || e.Parts[0].Payload != nil || e.Segments != 1 {
		t.Fatalf("short text with SplitPayload: %+v", e)
	}
	long := strings.Repeat("Ünïcödé ж ", 30) // 300 UCS-2 units
	e, err = Split(long, Options{Split: SplitPayload}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Parts) != 1 || e.Parts[0].ShortMessage != nil || len(e.Parts[0].Payload) != 600 {
		t.Fatalf("long text with SplitPayload: %d parts, payload %d octets", len(e.Parts), len(e.Parts[0].Payload))
	}
	if e.Segments != 5 || e.DataCoding != DataCodingUCS2 {
		t.Fatalf("segments %d data_coding %#x, want 5 and 0x08", e.Segments, e.DataCoding)
	}
}

func TestSplitErrors(t *testing.T) {
	if _, err := Split("", Options{}, 0); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty: %v", err)
	}
	if _, err := Split(strings.Repeat("a", 153*3+1), Options{MaxSegments: 3}, 0); !errors.Is(err, ErrTooLong) {
		t.Errorf("4 segments with MaxSegments 3: %v", err)
	}
	if _, err := Split(strings.Repeat("a", 153*3), Options{MaxSegments: 3}, 0); err != nil {
		t.Errorf("3 segments with MaxSegments 3: %v", err)
	}
	if _, err := Split(strings.Repeat("a", 153*255+1), Options{}, 0); !errors.Is(err, ErrTooLong) {
		t.Errorf("256 segments: %v", err)
	}
	if _, err := Split(strings.Repeat("a", 153*255), Options{}, 0); err != nil {
		t.Errorf("255 segments: %v", err)
	}
	if _, err := Split("ж", Options{Encoding: GSM7}, 0); !errors.Is(err, ErrNotEncodable) {
		t.Errorf("forced GSM7: %v", err)
	}
	if _, err := Split("ж", Options{Encoding: Latin1}, 0); !errors.Is(err, ErrNotEncodable) {
		t.Errorf("forced Latin1: %v", err)
	}
	if n := Segments("", Options{}); n != 0 {
		t.Errorf("Segments of empty text = %d", n)
	}
}

func TestSplitForcedEncodings(t *testing.T) {
	e, err := Split("abc", Options{Encoding: UCS2}, 0)
	if err != nil || !bytes.Equal(e.Parts[0].ShortMessage, []byte{0, 'a', 0, 'b', 0, 'c'}) || e.DataCoding != DataCodingUCS2 {
		t.Fatalf("forced UCS2: %+v %v", e, err)
	}
	text := strings.Repeat("çà", 70) + "!"
	e, err = Split(text, Options{Encoding: Latin1}, 7)
	if err != nil || e.DataCoding != DataCodingLatin1 || e.Segments != 2 || len(e.Parts[0].ShortMessage) != 140 {
		t.Fatalf("forced Latin1: %v %+v", err, e)
	}
	if got := reassemble(t, e, Options{Encoding: Latin1}, 7); got != text {
		t.Fatalf("Latin1 round trip %q", got)
	}
}

// A carriage return that would end a packed part on an octet boundary opens
// the next part instead, or the receiver would drop it as padding.
func TestSplitPackedCRAtOctetBoundary(t *testing.T) {
	for _, opts := range []Options{{Pack7Bit: true}, {Pack7Bit: true, Split: SplitSAR}} {
		for at := 140; at <= 160; at++ {
			text := strings.Repeat("a", at) + "\r\n" + strings.Repeat("b", 200)
			e, err := Split(text, opts, 9)
			if err != nil {
				t.Fatal(err)
			}
			if got := reassemble(t, e, opts, 9); got != text {
				t.Fatalf("%v, CR at %d: reassembled text differs", opts.Split, at)
			}
			if n := Segments(text, opts); n != e.Segments {
				t.Fatalf("Segments %d, Split %d", n, e.Segments)
			}
		}
	}
}

func TestSplitRoundTripOptions(t *testing.T) {
	texts := []string{
		"Your Detour code is 482913. It expires in 10 minutes.",
		strings.Repeat("Prix: 10€ {promo} [x] ", 20),
		strings.Repeat("Ваш код: 4829 😀👍🏽 ", 15),
		strings.Repeat("line\r\n", 100),
		"1234567", "1234567\r", "12345678\r",
	}
	for _, opts := range optionSets {
		for _, text := range texts {
			e, err := Split(text, opts, 200)
			if err != nil {
				t.Fatal(err)
			}
			got := reassemble(t, e, opts, 200)
			if e.Encoding == GSM7 && opts.Pack7Bit && strings.HasSuffix(text, "\r") {
				// The one ambiguity of packed GSM (see Decode).
				got = strings.TrimSuffix(got, "\r") + "\r"
			}
			if got != text {
				t.Errorf("%+v: %q came back as %q", opts, text, got)
			}
		}
	}
}

func TestDecodeInbound(t *testing.T) {
	opts := Options{}
	for _, tt := range []struct {
		name string
		sm   []byte
		dc   byte
		esm  byte
		want string
		c    Concat
	}{
		{"gsm unpacked", []byte{0x48, 0x69, 0x00, 0x1b, 0x65}, 0x00, 0, "Hi@€", Concat{}},
		{"gsm class 1", []byte("Hi"), 0xF1, 0, "Hi", Concat{}},
		{"ia5", []byte("Hi@"), 0x01, 0, "Hi@", Concat{}},
		{"latin1", []byte{'c', 0xE7, 'a'}, 0x03, 0, "cça", Concat{}},
		{"ucs2 pair", []byte{0xD8, 0x3D, 0xDE, 0x00}, 0x08, 0, "😀", Concat{}},
		{"ucs2 lone surrogate", []byte{0xD8, 0x3D, 0x00, 0x41}, 0x08, 0, "\uFFFDA", Concat{}},
		{"ucs2 odd octet", []byte{0x00, 0x41, 0x00}, 0x08, 0, "A\uFFFD", Concat{}},
		{"udh 8-bit ref", []byte{5, 0, 3, 7, 2, 1, 'o', 'k'}, 0x00, 0x40, "ok", Concat{Ref: 7, Total: 2, Seq: 1}},
		{"udh 16-bit ref and a port IE", []byte{12, 5, 4, 0, 1, 0, 2, 8, 4, 0x12, 0x34, 3, 3, 'o', 'k'}, 0x00, 0x40, "ok", Concat{Ref: 0x1234, Total: 3, Seq: 3}},
	} {
		got, c, err := Decode(tt.sm, tt.dc, tt.esm, opts)
		if err != nil || got != tt.want || c != tt.c {
			t.Errorf("%s: Decode = %q, %+v, %v; want %q, %+v", tt.name, got, c, err, tt.want, tt.c)
		}
	}
	for _, bad := range [][]byte{{}, {6, 0, 3, 1, 1, 1}, {3, 0, 3, 1}, {2, 0}} {
		if _, _, err := Decode(bad, 0, 0x40, opts); !errors.Is(err, ErrMalformed) {
			t.Errorf("Decode(% x) with UDHI: %v, want ErrMalformed", bad, err)
		}
	}
	if _, _, err := Decode([]byte{1, 2}, 0x04, 0, opts); !errors.Is(err, ErrUnsupportedDC) {
		t.Errorf("binary data_coding: %v", err)
	}
}

func TestOptionsValidate(t *testing.T) {
	for _, tt := range []struct {
		opts  Options
		field string
	}{
		{Options{MaxSegments: 256}, "MaxSegments"},
		{Options{MaxSegments: -1}, "MaxSegments"},
		{Options{Split: 9}, "Split"},
		{Options{Encoding: 9}, "Encoding"},
		{Options{GSMDataCoding: 0x08}, "GSMDataCoding"},
	} {
		err := tt.opts.Validate()
		if err == nil || !strings.Contains(err.Error(), tt.field) {
			t.Errorf("Validate(%+v) = %v, want an error naming %s", tt.opts, err, tt.field)
		}
	}
	if err := (Options{Pack7Bit: true, Split: SplitSAR, MaxSegments: 10, GSMDataCoding: 1}).Validate(); err != nil {
		t.Errorf("valid options: %v", err)
	}
	for _, name := range []string{"udh", "sar", "payload"} {
		m, err := ParseSplitMethod(name)
		if err != nil || m.String() != name {
			t.Errorf("ParseSplitMethod(%q) = %v, %v", name, m, err)
		}
	}
	if _, err := ParseSplitMethod("UDH8"); err == nil {
		t.Error("ParseSplitMethod accepted an unknown name")
	}
}

func TestUCS2Surrogates(t *testing.T) {
	for _, s := range []string{"😀", "a😀b", "𝄞", "\U0010FFFF", "ж", "\uFFFF"} {
		b, ok := UCS2.Encode(s)
		if !ok || len(b) != 2*len(utf16Len(s)) {
			t.Errorf("Encode(%q) = % x", s, b)
		}
		if got := UCS2.Decode(b); got != s {
			t.Errorf("round trip %q -> %q", s, got)
		}
	}
	if b, _ := UCS2.Encode("😀"); !bytes.Equal(b, []byte{0xD8, 0x3D, 0xDE, 0x00}) {
		t.Errorf("😀 = % x, want d8 3d de 00", b)
	}
	if b, _ := UCS2.Encode("a\xffb"); !bytes.Equal(b, []byte{0, 'a', 0xFF, 0xFD, 0, 'b'}) {
		t.Errorf("invalid UTF-8 = % x", b)
	}
}

func utf16Len(s string) []struct{} {
	n := 0
	for _, r := range s {
		n += ucs2Units(r)
	}
	_ = utf8.RuneLen
	return make([]struct{}, n)
}
