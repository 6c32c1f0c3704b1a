package coding

import "strings"

// State is the state of a submitted message as an SMSC reports it, either
// by the message_state TLV or by the stat word of a receipt text. Its
// values are those of the message_state TLV (SMPP 3.4 §5.2.28); the zero
// value means no state was given.
type State uint8

// Message states.
const (
	StateEnroute       State = 1 // ENROUTE: on its way, not final
	StateDelivered     State = 2 // DELIVRD
	StateExpired       State = 3 // EXPIRED: the validity period ran out
	StateDeleted       State = 4 // DELETED: canceled at the SMSC
	StateUndeliverable State = 5 // UNDELIV
	StateAccepted      State = 6 // ACCEPTD: accepted on someone's behalf (e.g. read by customer service), not final delivery
	StateUnknown       State = 7 // UNKNOWN
	StateRejected      State = 8 // REJECTD
)

// StateFromTLV returns the state of a message_state TLV value, and false
// for a value SMPP 3.4 does not define.
func StateFromTLV(v byte) (State, bool) {
	s := State(v)
	return s, s.Valid()
}

// ParseStat returns the state a receipt's stat word names, in any case:
// the seven-letter words of SMPP 3.4 appendix B (DELIVRD, EXPIRED,
// DELETED, UNDELIV, ACCEPTD, UNKNOWN, REJECTD, ENROUTE) and the longer
// spellings some SMSCs write (DELIVERED, UNDELIVERABLE, UNDELIVERED,
// FAILED, ACCEPTED, REJECTED).
func ParseStat(word string) (State, bool) {
	switch strings.ToUpper(strings.TrimSpace(word)) {
	case "ENROUTE":
		return StateEnroute, true
	case "DELIVRD", "DELIVERED":
		return StateDelivered, true
	case "EXPIRED":
		return StateExpired, true
	case "DELETED":
		return StateDeleted, true
	case "UNDELIV", "UNDELIVERABLE", "UNDELIVERED", "FAILED":
		return StateUndeliverable, true
	case "ACCEPTD", "ACCEPTED":
		return StateAccepted, true
	case "UNKNOWN":
		return StateUnknown, true
	case "REJECTD", "REJECTED":
		return StateRejected, true
	}
	return 0, false
}

// Valid reports whether s is one of the states.
func (s State) Valid() bool { return s >= StateEnroute && s <= StateRejected }

// Final reports whether no later receipt is expected for a message in s:
// every state but ENROUTE and ACCEPTD (which SMSCs also send as an
// intermediate notification).
func (s State) Final() bool { return s.Valid() && s != StateEnroute && s != StateAccepted }

// String returns the seven-letter stat word of s ("DELIVRD"), or "" for no
// state.
func (s State) String() string {
	switch s {
	case StateEnroute:
		return "ENROUTE"
	case StateDelivered:
		return "DELIVRD"
	case StateExpired:
		return "EXPIRED"
	case StateDeleted:
		return "DELETED"
	case StateUndeliverable:
		return "UNDELIV"
	case StateAccepted:
		return "ACCEPTD"
	case StateUnknown:
		return "UNKNOWN"
	case StateRejected:
		return "REJECTD"
	}
	return ""
}
