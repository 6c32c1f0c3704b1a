// Package smpp encodes and decodes SMPP 3.4 protocol data units (PDUs): the
// binds and their responses, outbind, unbind, submit_sm, deliver_sm,
// data_sm, query_sm, enquire_link and generic_nack, with their optional
// parameters (TLVs).
//
// The codec is strict: every C-octet string must end with a NUL within the
// bound the specification gives it, every length must agree with the bytes
// that follow, and nothing is read past the end of a PDU. A PDU that does
// not parse gives a *DecodeError that carries the sequence number and the
// command_status to answer with (see DecodeError.Reply), so a session can
// answer a hostile or broken peer and carry on, or close the link when the
// stream itself can no longer be trusted (DecodeError.Fatal).
//
// The package has no global state and does no I/O of its own beyond the
// Reader, which frames PDUs from a stream with a bounded buffer. Sessions,
// windowing, timers and reconnects live elsewhere.
package smpp
