package detour

// Status is the state of a message as a whole.
//
// Statuses only move forward (see CanTransition): queued, sending, sent, then
// one of the final outcomes. Positive evidence of delivery wins over every
// other outcome: a message that expired, failed or was canceled and is then
// reported delivered by a late receipt becomes delivered, because that is
// what happened on the handset. A late "sent" never overwrites "delivered".
type Status string

// Message statuses.
const (
	StatusQueued    Status = "queued"    // accepted and stored; no channel has answered yet
	StatusSending   Status = "sending"   // a send failed and is being retried, or the next step is being tried
	StatusSent      Status = "sent"      // a provider accepted it; waiting for a receipt
	StatusDelivered Status = "delivered" // a channel reported delivery to the handset
	StatusRead      Status = "read"      // the recipient read it (channels that report reads)
	StatusFailed    Status = "failed"    // every step failed; final
	StatusExpired   Status = "expired"   // the validity ran out before delivery; final
	StatusCanceled  Status = "canceled"  // canceled by the caller before delivery; final
)

// Statuses lists every message status, in rank order.
var Statuses = []Status{StatusQueued, StatusSending, StatusSent, StatusFailed, StatusExpired, StatusCanceled, StatusDelivered, StatusRead}

func (s Status) rank() int {
	switch s {
	case StatusQueued:
		return 0
	case StatusSending:
		return 1
	case StatusSent:
		return 2
	case StatusFailed, StatusExpired, StatusCanceled:
		return 3
	case StatusDelivered:
		return 4
	case StatusRead:
		return 5
	}
	return -1
}

// Valid reports whether s is a known status.
func (s Status) Valid() bool { return s.rank() >= 0 }

// Final reports whether no further dispatch happens for a message in s.
// A final message may still move to delivered or read on a late receipt.
func (s Status) Final() bool { return s.rank() >= 3 }

// Delivered reports whether s means the message reached the handset.
func (s Status) Delivered() bool { return s == StatusDelivered || s == StatusRead }

// CanTransition reports whether a message may move from one status to
// another. Moves go strictly up the rank order; the three negative final
// statuses share a rank, so one never replaces another.
func CanTransition(from, to Status) bool {
	if !from.Valid() || !to.Valid() {
		return false
	}
	return to.rank() > from.rank()
}

// AttemptStatus is the state of one send attempt on one channel and route.
type AttemptStatus string

// Attempt statuses.
const (
	AttemptPending   AttemptStatus = "pending"   // handed to the channel, no answer yet
	AttemptSent      AttemptStatus = "sent"      // the provider accepted it
	AttemptUnknown   AttemptStatus = "unknown"   // the sender died mid-send: it may have gone out
	AttemptFailed    AttemptStatus = "failed"    // refused by the provider, or reported undeliverable
	AttemptExpired   AttemptStatus = "expired"   // the provider reported it expired undelivered
	AttemptDelivered AttemptStatus = "delivered" // delivered to the handset
	AttemptRead      AttemptStatus = "read"      // read by the recipient
)

func (s AttemptStatus) rank() int {
	switch s {
	case AttemptPending:
		return 0
	case AttemptSent, AttemptUnknown:
		return 1
	case AttemptFailed, AttemptExpired:
		return 2
	case AttemptDelivered:
		return 3
	case AttemptRead:
		return 4
	}
	return -1
}

// Valid reports whether s is a known attempt status.
func (s AttemptStatus) Valid() bool { return s.rank() >= 0 }

// CanAttemptTransition reports whether an attempt may move between two
// statuses: strictly upward, so duplicate and out-of-order receipts are
// harmless, and delivery evidence wins over a failure report.
func CanAttemptTransition(from, to AttemptStatus) bool {
	if !from.Valid() || !to.Valid() {
		return false
	}
	if from == AttemptUnknown && to == AttemptSent {
		return true
	}
	return to.rank() > from.rank()
}
