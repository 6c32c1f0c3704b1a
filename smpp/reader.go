package smpp

import (
	"errors"
	"io"
)

// Reader frames PDUs from a stream such as a TCP connection.
//
// It reads exactly one PDU at a time: the 16-octet header, then, if
// command_length lies between HeaderLen and the limit, exactly the rest. It
// never reads past the PDU and never holds more than the limit, so a peer
// that lies about command_length costs at most that much memory. Wrap the
// connection in a bufio.Reader to save system calls.
//
// Reader works with read deadlines: when the underlying reader fails with
// an error other than io.EOF (a timeout, say), ReadPDU returns that error
// and keeps the octets read so far; the next call resumes where it stopped.
// Slow peers are therefore the session's business: it sets deadlines and
// decides when to give up.
//
// A Reader is not safe for concurrent use.
type Reader struct {
	r   io.Reader
	max uint32
	hdr [HeaderLen]byte
	buf []byte // the body being read, reused between PDUs
	n   int    // octets of the current PDU read so far, header included
	h   Header // valid once n >= HeaderLen
	err error  // sticky: io.EOF, io.ErrUnexpectedEOF or a fatal *DecodeError
}

// NewReader returns a Reader of r that accepts PDUs of at most maxLen
// octets, header included; zero means DefaultMaxLen. A maxLen below
// HeaderLen is raised to it.
func NewReader(r io.Reader, maxLen uint32) *Reader {
	if maxLen == 0 {
		maxLen = DefaultMaxLen
	}
	if maxLen < HeaderLen {
		maxLen = HeaderLen
	}
	return &Reader{r: r, max: maxLen}
}

// maxEmptyReads bounds the (0, nil) reads in a row that ReadPDU tolerates
// from a misbehaving io.Reader before giving up with io.ErrNoProgress.
const maxEmptyReads = 100

// ReadPDU reads and decodes the next PDU.
//
// It returns io.EOF if the stream ends cleanly between PDUs and
// io.ErrUnexpectedEOF if it ends inside one; both stick. A PDU that was
// read whole but does not decode gives a *DecodeError with Fatal false:
// answer it (see DecodeError.Reply) and read on. A command_length below
// HeaderLen or above the limit gives a *DecodeError with Fatal true, which
// sticks, because the stream can no longer be framed.
func (r *Reader) ReadPDU() (PDU, error) {
	if r.err != nil {
		return PDU{}, r.err
	}
	if r.n < HeaderLen {
		if err := r.fill(r.hdr[:], 0); err != nil {
			return PDU{}, err
		}
		h, _ := DecodeHeader(r.hdr[:])
		if h.Length < HeaderLen || h.Length > r.max {
			r.err = &DecodeError{Header: h, Status: StatusInvCmdLen, Fatal: true, Err: ErrBadLength}
			return PDU{}, r.err
		}
		r.h = h
		bodyLen := int(h.Length) - HeaderLen
		if cap(r.buf) < bodyLen {
			r.buf = make([]byte, bodyLen)
		}
		r.buf = r.buf[:bodyLen]
	}
	if err := r.fill(r.buf, HeaderLen); err != nil {
		return PDU{}, err
	}
	r.n = 0
	return decodeBody(r.h, r.buf)
}

// fill reads into b, the part of the current PDU that starts at octet base
// (the header at 0, the body at HeaderLen), until b is full, counting
// progress in r.n.
func (r *Reader) fill(b []byte, base int) error {
	off := r.n - base
	empty := 0
	for off < len(b) {
		m, err := r.r.Read(b[off:])
		off += m
		r.n += m
		if m > 0 {
			empty = 0
		}
		if off == len(b) {
			return nil
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				if r.n == 0 {
					r.err = io.EOF
				} else {
					r.err = io.ErrUnexpectedEOF
				}
				return r.err
			}
			return err
		}
		if m == 0 {
			if empty++; empty >= maxEmptyReads {
				return io.ErrNoProgress
			}
		}
	}
	return nil
}
