package smpp

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"reflect"
	"testing"
	"testing/iotest"
	"time"
)

func sampleStream(t testing.TB) ([]byte, []PDU) {
	t.Helper()
	var b []byte
	var want []PDU
	for _, p := range samplePDUs() {
		n := len(b)
		var err error
		if b, err = AppendPDU(b, p); err != nil {
			t.Fatal(err)
		}
		p.Length = uint32(len(b) - n)
		want = append(want, p)
	}
	return b, want
}

func TestReaderStream(t *testing.T) {
	stream, want := sampleStream(t)
	for name, r := range map[string]io.Reader{
		"whole":      bytes.NewReader(stream),
		"one octet":  iotest.OneByteReader(bytes.NewReader(stream)),
		"half":       iotest.HalfReader(bytes.NewReader(stream)),
		"data + EOF": iotest.DataErrReader(bytes.NewReader(stream)),
	} {
		t.Run(name, func(t *testing.T) {
			pr := NewReader(r, 0)
			for i, w := range want {
				p, err := pr.ReadPDU()
				if err != nil {
					t.Fatalf("PDU %d: %v", i, err)
				}
				if !reflect.DeepEqual(p, w) {
					t.Fatalf("PDU %d:\n got %+v\nwant %+v", i, p, w)
				}
			}
			for range 2 {
				if _, err := pr.ReadPDU(); err != io.EOF {
					t.Fatalf("at the end: %v, want io.EOF", err)
				}
			}
		})
	}
}

func TestReaderUnexpectedEOF(t *testing.T) {
	stream, _ := sampleStream(t)
	for _, cut := range []int{1, 15, 16, 17, 40} {
		pr := NewReader(bytes.NewReader(stream[:cut]), 0)
		if _, err := pr.ReadPDU(); err != io.ErrUnexpectedEOF {
			t.Errorf("cut at %d: %v, want io.ErrUnexpectedEOF", cut, err)
		}
	}
}

func TestReaderLyingLength(t *testing.T) {
	for _, tc := range []struct {
		name   string
		length uint32
	}{{"4 GiB", 0xFFFFFFFF}, {"one above max", 1025}, {"below header", 15}, {"zero", 0}} {
		b := raw(CommandSubmitSM, 0, 77, "")
		b[0], b[1], b[2], b[3] = byte(tc.length>>24), byte(tc.length>>16), byte(tc.length>>8), byte(tc.length)
		pr := NewReader(io.MultiReader(bytes.NewReader(b), bytes.NewReader(make([]byte, 4096))), 1024)
		_, err := pr.ReadPDU()
		var de *DecodeError
		if !errors.As(err, &de) || !de.Fatal || de.Status != StatusInvCmdLen || de.Header.Sequence != 77 || !errors.Is(err, ErrBadLength) {
			t.Errorf("%s: got %v", tc.name, err)
		}
		if cap(pr.buf) != 0 {
			t.Errorf("%s: allocated %d octets for a lie", tc.name, cap(pr.buf))
		}
		if _, err2 := pr.ReadPDU(); err2 != err {
			t.Errorf("%s: the error did not stick: %v", tc.name, err2)
		}
		if r := de.Reply(); r.Command != CommandGenericNack || r.Sequence != 77 {
			t.Errorf("%s: reply %+v", tc.name, r)
		}
	}
	// Exactly the limit is fine: 16 + 1 (message_id) + 4 + 1003 (a TLV).
	b := raw(CommandDataSMResp, 0, 1, "\x00", "\x14\x00\x03\xeb", string(make([]byte, 1003)))
	if len(b) != 1024 {
		t.Fatalf("built %d octets", len(b))
	}
	if _, err := NewReader(bytes.NewReader(b), 1024).ReadPDU(); err != nil {
		t.Errorf("a PDU of exactly the limit: %v", err)
	}
}

func TestReaderGoesOnAfterBadBody(t *testing.T) {
	var stream []byte
	stream = append(stream, raw(0x00000099, 0, 1, "whatever")...)
	stream = append(stream, raw(CommandSubmitSM, 0, 2, "\x00\x00")...)
	stream = append(stream, raw(CommandEnquireLink, 0, 3)...)
	pr := NewReader(iotest.OneByteReader(bytes.NewReader(stream)), 0)
	for i, want := range []Status{StatusInvCmdID, StatusInvCmdLen} {
		_, err := pr.ReadPDU()
		var de *DecodeError
		if !errors.As(err, &de) || de.Fatal || de.Status != want || de.Header.Sequence != uint32(i+1) {
			t.Fatalf("PDU %d: got %v, want %s", i, err, want)
		}
	}
	p, err := pr.ReadPDU()
	if err != nil || p.Command != CommandEnquireLink || p.Sequence != 3 {
		t.Fatalf("after bad PDUs: %+v, %v", p, err)
	}
}

// timeoutReader fails with a timeout once after every few octets.
type timeoutReader struct {
	r     io.Reader
	every int
	n     int
}

var errTimeout = errors.New("i/o timeout")

func (t *timeoutReader) Read(b []byte) (int, error) {
	t.n++
	if t.n%t.every == 0 {
		return 0, errTimeout
	}
	return t.r.Read(b[:1])
}

func TestReaderResumesAfterTimeout(t *testing.T) {
	stream, want := sampleStream(t)
	pr := NewReader(&timeoutReader{r: bytes.NewReader(stream), every: 7}, 0)
	timeouts := 0
	for i := 0; i < len(want); {
		p, err := pr.ReadPDU()
		if errors.Is(err, errTimeout) {
			timeouts++
			continue
		}
		if err != nil {
			t.Fatalf("PDU %d: %v", i, err)
		}
		if !reflect.DeepEqual(p, want[i]) {
			t.Fatalf("PDU %d:\n got %+v\nwant %+v", i, p, want[i])
		}
		i++
	}
	if timeouts == 0 {
		t.Fatal("the test reader never timed out")
	}
}

type stuckReader struct{}

func (stuckReader) Read([]byte) (int, error) { return 0, nil }

func TestReaderNoProgress(t *testing.T) {
	if _, err := NewReader(stuckReader{}, 0).ReadPDU(); err != io.ErrNoProgress {
		t.Fatalf("got %v, want io.ErrNoProgress", err)
	}
}

// TestReaderDeadline drips a PDU over a pipe more slowly than the read
// deadline: the session sees the timeout and can read on.
func TestReaderDeadline(t *testing.T) {
	client, server := net.Pipe()
	defer client.Close()
	defer server.Close()
	b, err := Encode(sample(CommandSubmitSM))
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		server.Write(b[:20])
		time.Sleep(50 * time.Millisecond)
		server.Write(b[20:])
	}()
	pr := NewReader(client, 0)
	client.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
	if _, err := pr.ReadPDU(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("got %v, want a deadline error", err)
	}
	client.SetReadDeadline(time.Now().Add(5 * time.Second))
	p, err := pr.ReadPDU()
	if err != nil || p.Command != CommandSubmitSM {
		t.Fatalf("after the deadline: %+v, %v", p, err)
	}
}
