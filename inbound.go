package detour

import (
	"context"
	"time"
)

// Inbound is a message a user sent to one of our numbers (mobile
// originated): an SMS arriving as an SMPP deliver_sm, later a WhatsApp
// message. Inbound messages are kept for conversations; they belong to the
// route they came in on, not yet to a tenant.
type Inbound struct {
	ID         string // "in_" + ID
	Channel    string
	Route      string
	ProviderID string // the provider's id, "" if it gives none
	From       string // the sender, E.164 when the channel gives a number
	To         string // our number or short code
	Text       string
	ReceivedAt time.Time
}

// InboundFilter selects inbound messages.
type InboundFilter struct {
	Channel string // "" for any
	From    string // "" for any
	Before  string // cursor: only ids older than this one
	Limit   int
}

// InboundStore keeps inbound messages.
type InboundStore interface {
	// SaveInbound stores in. A message with the same channel, route and
	// non-empty provider id as one already stored is a redelivery (an SMSC
	// repeats a deliver_sm whose response it did not get): nothing is
	// stored and the first one is returned with duplicate=true.
	SaveInbound(ctx context.Context, in *Inbound) (stored *Inbound, duplicate bool, err error)
	// InboundMessages lists inbound messages, newest first.
	InboundMessages(ctx context.Context, f InboundFilter) ([]*Inbound, error)
}
