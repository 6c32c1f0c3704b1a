package coding

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// fuzzOptions turns one fuzzed octet into route options.
func fuzzOptions(flags byte) Options {
	return Options{
		Pack7Bit:      flags&1 != 0,
		Split:         SplitMethod(flags>>1&3) % 3,
		GSMDataCoding: flags >> 3 & 1,
		Encoding:      Encoding(flags >> 4 & 3), // 0 chooses; 1-3 force one
	}
}

// FuzzSplitRoundTrip checks that any valid UTF-8 text comes back whole from
// its parts, that no part is longer than a segment allows, and that
// Segments agrees with Split. Seeds are in testdata/fuzz/FuzzSplitRoundTrip.
func FuzzSplitRoundTrip(f *testing.F) {
	f.Add("Your Detour code is 482913", byte(1), byte(0))
	f.Add(strings.Repeat("€", 81), byte(2), byte(1))
	f.Add(strings.Repeat("ж😀", 40), byte(3), byte(2))
	f.Fuzz(func(t *testing.T, text string, ref, flags byte) {
		if !utf8.ValidString(text) {
			return
		}
		opts := fuzzOptions(flags)
		e, err := Split(text, opts, ref)
		switch {
		case text == "":
			if !errors.Is(err, ErrEmpty) {
				t.Fatalf("empty text: %v", err)
			}
			return
		case errors.Is(err, ErrTooLong), errors.Is(err, ErrNotEncodable):
			return
		case err != nil:
			t.Fatal(err)
		}
		if n := Segments(text, opts); n != e.Segments {
			t.Fatalf("Segments = %d, Split made %d", n, e.Segments)
		}
		if opts.Split != SplitPayload && len(e.Parts) != e.Segments {
			t.Fatalf("%d parts for %d segments", len(e.Parts), e.Segments)
		}
		for i, p := range e.Parts {
			n := len(p.ShortMessage)
			limit := 140
			if e.Encoding == GSM7 && !opts.Pack7Bit {
				limit = GSMSingle
				if p.ESMClass != 0 {
					limit = udhLen + GSMPart
				}
			}
			if n > limit {
				t.Fatalf("part %d: %d octets, limit %d", i+1, n, limit)
			}
		}
		got := reassemble(t, e, opts, ref)
		if got != text {
			// Packed GSM keeps no septet count: a final CR that fills the
			// last octet exactly reads as padding (see Decode).
			if !(e.Encoding == GSM7 && opts.Pack7Bit && got+"\r" == text) {
				t.Fatalf("%+v: %q came back as %q", opts, text, got)
			}
		}
	})
}

// FuzzParseReceipt checks that ParseReceipt never panics, that what it
// accepts has an id and a state, and that Format writes it back readably.
// Seeds are in testdata/fuzz/FuzzParseReceipt.
func FuzzParseReceipt(f *testing.F) {
	f.Add("id:0123456789 sub:001 dlvrd:001 submit date:2401151230 done date:2401151231 stat:DELIVRD err:000 Text:hi")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseReceipt(s)
		if err != nil {
			if !errors.Is(err, ErrNotReceipt) {
				t.Fatalf("error %v is not ErrNotReceipt", err)
			}
			return
		}
		if r.ID == "" || r.Stat == "" || !r.State.Valid() {
			t.Fatalf("accepted %q as %+v", s, r)
		}
		back, err := ParseReceipt(Format(r))
		if err != nil {
			t.Fatalf("Format(%+v) = %q does not parse: %v", r, Format(r), err)
		}
		if back.ID != r.ID || back.State != r.State || back.Stat != r.Stat || r.Err != "" && back.Err != r.Err {
			t.Fatalf("Format round trip: %+v became %+v", r, back)
		}
		for _, c := range IDCandidates(r.ID) {
			if !SameID(c, r.ID) {
				t.Fatalf("candidate %q of %q is not the same id", c, r.ID)
			}
		}
	})
}
