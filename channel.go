package detour

import (
	"context"
	"time"
)

// Channel sends messages over one outside system (SMS over SMPP, the
// WhatsApp Cloud API, the sandbox). A channel sends one message and reports
// one outcome, classified once at its boundary; receipts arrive later through
// the ReceiptSink the channel was built with.
type Channel interface {
	// Name is the channel's name in policies ("sms", "whatsapp", "sandbox").
	Name() string
	// Carries reports whether the channel can carry content of kind k.
	Carries(k ContentKind) bool
	// Send hands one message to the provider. It returns when the provider
	// accepted or refused it, or ctx ends (a retryable timeout).
	Send(ctx context.Context, s *Send) Outcome
}

// RouteLister is implemented by channels that have named routes (operator
// connections, business numbers). A step may name one of them.
type RouteLister interface {
	Routes() []string
}

// Send is the request to send one message once.
type Send struct {
	AttemptID string
	MessageID string
	TenantID  string
	To        string // E.164
	Content   *Content
	Route     string // the step's route; "" lets the channel choose
	Priority  Priority
	ExpiresAt time.Time
}

// Result classifies an outcome.
type Result int

// Outcome results.
const (
	Accepted  Result = iota + 1 // the provider took the message; ProviderID is set
	Retryable                   // try again later (Reason says why, RetryAfter may say when)
	Permanent                   // this channel will never take this message; move on
)

func (r Result) String() string {
	switch r {
	case Accepted:
		return "accepted"
	case Retryable:
		return "retryable"
	case Permanent:
		return "permanent"
	}
	return "invalid"
}

// Outcome is what one send produced.
type Outcome struct {
	Result     Result
	ProviderID string        // with Accepted: the provider's message id, for receipts
	Route      string        // the route actually used
	Segments   int           // parts sent, where the channel splits messages
	Parts      []string      // with Accepted and several parts sent separately: every part's provider id, in order
	Reason     Code          // with Retryable or Permanent: one of the Reason codes
	Detail     string        // a human-readable detail; never a secret
	RetryAfter time.Duration // with Retryable: the provider's hint, 0 if none
}

// AcceptedOutcome returns an Accepted outcome.
func AcceptedOutcome(route, providerID string) Outcome {
	return Outcome{Result: Accepted, Route: route, ProviderID: providerID}
}

// RetryableOutcome returns a Retryable outcome with a reason.
func RetryableOutcome(route string, reason Code, detail string) Outcome {
	return Outcome{Result: Retryable, Route: route, Reason: reason, Detail: detail}
}

// PermanentOutcome returns a Permanent outcome with a reason.
func PermanentOutcome(route string, reason Code, detail string) Outcome {
	return Outcome{Result: Permanent, Route: route, Reason: reason, Detail: detail}
}

// Receipt is a status report from a provider about an earlier send,
// correlated by the provider's message id.
type Receipt struct {
	Channel    string
	Route      string
	ProviderID string
	Status     AttemptStatus // sent, delivered, read, failed or expired
	At         time.Time     // when it happened, as the provider says; zero means now
	Reason     Code          // for failed or expired
	Detail     string
}

// ReceiptSink takes receipts from channels. It may be called before the
// send that the receipt is about has been recorded: the sink keeps such a
// receipt until the attempt appears.
type ReceiptSink interface {
	Receipt(ctx context.Context, r Receipt) error
}
