package smpp

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"unsafe"
)

// Bounds of the C-octet string fields, counting the terminating NUL, from
// SMPP 3.4 chapter 4.
const (
	maxSystemID     = 16
	maxPassword     = 9
	maxSystemType   = 13
	maxAddressRange = 41
	maxServiceType  = 6
	maxAddr         = 21 // source_addr, destination_addr of submit_sm, deliver_sm, query_sm
	maxDataSMAddr   = 65 // source_addr, destination_addr of data_sm
	maxMessageID    = 65
	timeLen         = 17 // schedule_delivery_time, validity_period, final_date: 1 or 17
	maxShortMessage = 254
)

// decoder reads the fields of one PDU body in order. The first failure
// sticks: later reads return zero values and err keeps the first cause.
//
// Decoded values never alias the input: they all point into one copy of the
// body, made on the first non-empty field. Strings view the octets of their
// own fields and byte slices those of theirs, capped so that appending to
// them reallocates; the regions never overlap, so writing into a decoded
// byte slice cannot change a decoded string.
type decoder struct {
	b   []byte
	off int
	own []byte
	err *fieldError
}

// owned returns octets [start, end) of the private copy of the body.
func (d *decoder) owned(start, end int) []byte {
	if d.own == nil {
		d.own = bytes.Clone(d.b)
	}
	return d.own[start:end:end]
}

func (d *decoder) fail(field string, st Status, err error) {
	if d.err == nil {
		d.err = &fieldError{field: field, status: st, err: err}
	}
}

// rest reports the number of unread octets.
func (d *decoder) rest() int { return len(d.b) - d.off }

func (d *decoder) u8(field string) byte {
	if d.err != nil {
		return 0
	}
	if d.off >= len(d.b) {
		d.fail(field, StatusInvCmdLen, ErrTruncated)
		return 0
	}
	v := d.b[d.off]
	d.off++
	return v
}

func (d *decoder) u16(field string, st Status) uint16 {
	if d.err != nil {
		return 0
	}
	if d.rest() < 2 {
		d.fail(field, st, ErrTruncated)
		return 0
	}
	v := binary.BigEndian.Uint16(d.b[d.off:])
	d.off += 2
	return v
}

// cstring reads a C-octet string of at most max octets including its NUL.
// A NUL missing within the bound fails with st; a body that ends first
// fails with StatusInvCmdLen.
func (d *decoder) cstring(field string, max int, st Status) string {
	if d.err != nil {
		return ""
	}
	end := d.off + max
	if end > len(d.b) {
		end = len(d.b)
	}
	i := bytes.IndexByte(d.b[d.off:end], 0)
	if i < 0 {
		if end-d.off < max {
			d.fail(field, StatusInvCmdLen, ErrTruncated)
		} else {
			d.fail(field, st, ErrNoNUL)
		}
		return ""
	}
	start := d.off
	d.off += i + 1
	if i == 0 {
		return ""
	}
	b := d.owned(start, start+i)
	return unsafe.String(&b[0], len(b)) // b is never handed out as a slice
}

// time reads a schedule_delivery_time, validity_period or final_date: a
// C-octet string that is empty or exactly 16 characters.
func (d *decoder) time(field string, st Status) string {
	s := d.cstring(field, timeLen, st)
	if d.err == nil && s != "" && len(s) != timeLen-1 {
		d.fail(field, st, ErrBadTime)
	}
	return s
}

// bytes reads n octets; zero octets give nil.
func (d *decoder) bytes(field string, n int, st Status) []byte {
	if d.err != nil {
		return nil
	}
	if d.rest() < n {
		d.fail(field, st, ErrTruncated)
		return nil
	}
	start := d.off
	d.off += n
	if n == 0 {
		return nil
	}
	return d.owned(start, start+n)
}

// end fails if octets are left over.
func (d *decoder) end() {
	if d.err == nil && d.off != len(d.b) {
		d.fail("body", StatusInvCmdLen, ErrTrailing)
	}
}

// appendCString appends s and its NUL, failing if s does not fit in a field
// of max octets or holds a NUL of its own.
func appendCString(dst []byte, s string, max int, field string) ([]byte, error) {
	if len(s) >= max {
		return dst, fmt.Errorf("%s: %d octets, at most %d: %w", field, len(s), max-1, ErrTooLong)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return dst, fmt.Errorf("%s: %w", field, ErrNUL)
	}
	dst = append(dst, s...)
	return append(dst, 0), nil
}

// appendTime appends a time field, which must be empty or 16 characters.
func appendTime(dst []byte, s, field string) ([]byte, error) {
	if s != "" && len(s) != timeLen-1 {
		return dst, fmt.Errorf("%s: %q: %w", field, s, ErrBadTime)
	}
	return appendCString(dst, s, timeLen, field)
}
