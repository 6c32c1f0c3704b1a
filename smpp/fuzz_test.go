package smpp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"reflect"
	"testing"
)

// FuzzDecode checks that Decode never panics, that its failures are
// *DecodeErrors whose Reply encodes, and that whatever decodes re-encodes
// to the same bytes (or, for a failed response sent without a body, to
// bytes that decode to the same PDU). The seed corpus is in
// testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	for _, p := range samplePDUs() {
		b, err := Encode(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Decode(data)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("not a *DecodeError: %v", err)
			}
			if de.Status == StatusOK {
				t.Fatalf("failure with ESME_ROK: %v", err)
			}
			if _, err := Encode(de.Reply()); err != nil {
				t.Fatalf("reply to %v does not encode: %v", de, err)
			}
			return
		}
		if int(p.Length) != len(data) {
			t.Fatalf("Length %d, input %d octets", p.Length, len(data))
		}
		b, err := Encode(p)
		if err != nil {
			t.Fatalf("decoded %+v does not encode: %v", p, err)
		}
		bodyless := len(data) == HeaderLen && hasBody(p.Command)
		if !bodyless && !bytes.Equal(b, data) {
			t.Fatalf("re-encoded differently\n got %x\nwant %x", b, data)
		}
		q, err := Decode(b)
		if err != nil {
			t.Fatalf("re-encoded %x does not decode: %v", b, err)
		}
		p.Length, q.Length = 0, 0
		if !reflect.DeepEqual(p, q) {
			t.Fatalf("round trip\n got %+v\nwant %+v", q, p)
		}
	})
}

// chunkReader returns at most n octets per Read.
type chunkReader struct {
	b []byte
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	if len(p) > c.n {
		p = p[:c.n]
	}
	k := copy(p, c.b)
	c.b = c.b[k:]
	return k, nil
}

// FuzzReader reads a stream (its first octet sets how many octets each
// Read returns) and checks the Reader against framing the same bytes by
// hand and decoding each PDU with Decode: the same PDUs, the same errors,
// no buffer above the limit. The seed corpus is in
// testdata/fuzz/FuzzReader.
func FuzzReader(f *testing.F) {
	stream, _ := sampleStream(f)
	f.Add(append([]byte{1}, stream...))
	f.Add(append([]byte{255}, stream...))
	const limit = 1024
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		chunk := int(data[0])%32 + 1
		data = data[1:]
		pr := NewReader(&chunkReader{b: data, n: chunk}, limit)
		off := 0
		for {
			p, err := pr.ReadPDU()
			if cap(pr.buf) > limit {
				t.Fatalf("buffer grew to %d", cap(pr.buf))
			}
			// What framing by hand expects.
			rest := data[off:]
			switch {
			case len(rest) == 0:
				if err != io.EOF {
					t.Fatalf("at the end: %v, want io.EOF", err)
				}
				return
			case len(rest) < HeaderLen:
				if err != io.ErrUnexpectedEOF {
					t.Fatalf("in a header: %v, want io.ErrUnexpectedEOF", err)
				}
				return
			}
			n := binary.BigEndian.Uint32(rest)
			if n < HeaderLen || n > limit {
				var de *DecodeError
				if !errors.As(err, &de) || !de.Fatal {
					t.Fatalf("length %d: %v, want a fatal *DecodeError", n, err)
				}
				return
			}
			if int(n) > len(rest) {
				if err != io.ErrUnexpectedEOF {
					t.Fatalf("in a body: %v, want io.ErrUnexpectedEOF", err)
				}
				return
			}
			wantP, wantErr := Decode(rest[:n])
			off += int(n)
			if (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
				t.Fatalf("Reader: %v; Decode: %v", err, wantErr)
			}
			if !reflect.DeepEqual(p, wantP) {
				t.Fatalf("Reader: %+v; Decode: %+v", p, wantP)
			}
		}
	})
}
