package smpp

import (
	"bytes"
	"testing"
)

func BenchmarkEncodeSubmitSM(b *testing.B) {
	p := sample(CommandSubmitSM)
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = AppendPDU(buf[:0], p); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkDecodeDeliverSM(b *testing.B) {
	raw, err := Encode(sample(CommandDeliverSM))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(raw); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeSubmitSMResp(b *testing.B) {
	raw, err := Encode(sample(CommandSubmitSMResp))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReader reads a stream of submit_sm_resp and deliver_sm, as an
// ESME's session does.
func BenchmarkReader(b *testing.B) {
	var stream []byte
	for range 100 {
		stream, _ = AppendPDU(stream, sample(CommandSubmitSMResp))
		stream, _ = AppendPDU(stream, sample(CommandDeliverSM))
	}
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	br := bytes.NewReader(stream)
	for b.Loop() {
		br.Reset(stream)
		r := NewReader(br, 0)
		for range 200 {
			if _, err := r.ReadPDU(); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func TestEncodeSubmitSMDoesNotAllocate(t *testing.T) {
	p := sample(CommandSubmitSM)
	buf := make([]byte, 0, 512)
	if n := testing.AllocsPerRun(100, func() { buf, _ = AppendPDU(buf[:0], p) }); n != 0 {
		t.Errorf("AppendPDU(submit_sm) allocates %v times", n)
	}
}
