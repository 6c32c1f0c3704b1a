package smpp

import (
	"errors"
	"fmt"
)

// Errors that DecodeError and the encoding functions wrap; test for them
// with errors.Is.
var (
	ErrTruncated      = errors.New("smpp: truncated")                         // the bytes end before a field does
	ErrNoNUL          = errors.New("smpp: no NUL terminator within bound")    // a C-octet string is longer than its field allows
	ErrTooLong        = errors.New("smpp: too long")                          // a value to encode exceeds its field
	ErrNUL            = errors.New("smpp: NUL octet inside a C-octet string") // a string to encode would be cut short
	ErrTrailing       = errors.New("smpp: octets after the last field")       // the body is longer than its fields
	ErrBadLength      = errors.New("smpp: command_length out of range")       // below HeaderLen or above the limit
	ErrLengthMismatch = errors.New("smpp: command_length disagrees with the PDU")
	ErrUnknownCommand = errors.New("smpp: unknown command_id")
	ErrBodyType       = errors.New("smpp: body does not match command_id")
	ErrBadTime        = errors.New("smpp: time must be empty or 16 characters")
	ErrTLVLength      = errors.New("smpp: TLV value has the wrong length")
)

// DecodeError reports a PDU that could not be decoded. Header is the header
// as the peer sent it, so its Sequence is the one to answer with; Status is
// the command_status to answer with.
type DecodeError struct {
	Header Header
	Status Status
	// Fatal reports that the stream can no longer be framed (the
	// command_length was below HeaderLen or above the Reader's limit): the
	// session should answer with Reply if it wants to, then close the link.
	// When Fatal is false the PDU was read whole and the next one can be read.
	Fatal bool
	Err   error
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("smpp: decode %s (seq %d): %v [%s]", e.Header.Command, e.Header.Sequence, e.Err, e.Status)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// Reply returns the PDU that answers the broken one: the matching response
// with Status for a known request that has a response, else generic_nack
// with Status (unknown commands, broken responses, outbind, broken headers).
// Both carry the peer's sequence number and no body.
func (e *DecodeError) Reply() PDU {
	cmd := CommandGenericNack
	if !e.Fatal {
		if resp, ok := e.Header.Command.Response(); ok {
			cmd = resp
		}
	}
	return PDU{Header: Header{Command: cmd, Status: e.Status, Sequence: e.Header.Sequence}}
}

// fieldError is a body decoding failure: which field, why, and the
// command_status that describes it.
type fieldError struct {
	field  string
	status Status
	err    error
}

func (e *fieldError) Error() string { return e.field + ": " + e.err.Error() }
func (e *fieldError) Unwrap() error { return e.err }
