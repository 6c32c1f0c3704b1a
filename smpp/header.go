package smpp

import (
	"encoding/binary"
	"fmt"
)

// HeaderLen is the length of the PDU header: command_length, command_id,
// command_status and sequence_number, four octets each.
const HeaderLen = 16

// DefaultMaxLen is the largest PDU a Reader accepts when not told otherwise:
// room for a data_sm carrying a message_payload of a few kilobytes many
// times over, small enough that a lying command_length costs little memory.
const DefaultMaxLen = 64 * 1024

// Header is the fixed header every PDU starts with.
type Header struct {
	// Length is command_length, the length of the whole PDU including the
	// header. Decode sets it; Encode ignores it and writes the real length.
	Length   uint32
	Command  CommandID
	Status   Status
	Sequence uint32
}

// DecodeHeader parses the first HeaderLen bytes of b. It fails only if b is
// shorter than that; it does not judge the values (Decode and Reader do).
func DecodeHeader(b []byte) (Header, error) {
	if len(b) < HeaderLen {
		return Header{}, fmt.Errorf("smpp: header needs %d octets, have %d: %w", HeaderLen, len(b), ErrTruncated)
	}
	return Header{
		Length:   binary.BigEndian.Uint32(b[0:4]),
		Command:  CommandID(binary.BigEndian.Uint32(b[4:8])),
		Status:   Status(binary.BigEndian.Uint32(b[8:12])),
		Sequence: binary.BigEndian.Uint32(b[12:16]),
	}, nil
}

// appendHeader appends h with its Length as given.
func appendHeader(dst []byte, h Header) []byte {
	dst = binary.BigEndian.AppendUint32(dst, h.Length)
	dst = binary.BigEndian.AppendUint32(dst, uint32(h.Command))
	dst = binary.BigEndian.AppendUint32(dst, uint32(h.Status))
	return binary.BigEndian.AppendUint32(dst, h.Sequence)
}
