package health

import (
	"fmt"
	"time"

	"github.com/detourhq/detour"
)

// Key names one route of one channel. Channels without named routes use
// the empty Route.
type Key struct {
	Channel string `json:"channel"`
	Route   string `json:"route"`
}

// String returns "channel/route", or the channel alone without a route.
func (k Key) String() string {
	if k.Route == "" {
		return k.Channel
	}
	return k.Channel + "/" + k.Route
}

// State is the health of a route or a channel.
type State string

// States, from best to worst.
const (
	Healthy  State = "healthy"  // sends go through
	Degraded State = "degraded" // sends go through, but the route shows trouble
	Down     State = "down"     // sends are refused, except probes
)

// States lists every state, best first.
var States = []State{Healthy, Degraded, Down}

// Class classifies the outcome of one submit for health.
type Class int

// Submit classes.
const (
	OK        Class = iota + 1 // the provider accepted the message
	Throttled                  // the provider asked us to slow down, or its queue is full
	Hard                       // the route itself failed: refused, timeout, 5xx, bind lost, system error
	Rejected                   // this message was refused for good (invalid number, ...): counted, not a health signal
)

const numClasses = 4

// String returns the class in lower case, as in metrics and logs.
func (c Class) String() string {
	switch c {
	case OK:
		return "ok"
	case Throttled:
		return "throttled"
	case Hard:
		return "hard"
	case Rejected:
		return "rejected"
	}
	return fmt.Sprintf("Class(%d)", int(c))
}

func (c Class) valid() bool { return c >= OK && c <= Rejected }

// ClassOf classifies a channel's outcome, already classified at the
// channel's boundary: accepted is OK; permanent (rejected, invalid
// recipient, outside the window, ...) is about one message, so Rejected;
// retryable is Throttled for the throttled reason and Hard for every other
// (unreachable, timeout, provider error).
func ClassOf(o detour.Outcome) Class {
	switch {
	case o.Result == detour.Accepted:
		return OK
	case o.Result == detour.Permanent:
		return Rejected
	case o.Reason == detour.ReasonThrottled:
		return Throttled
	}
	return Hard
}

// Reason says why a route entered its state.
type Reason string

// Reasons of transitions.
const (
	ReasonHardErrors  Reason = "hard_errors" // hard errors in a row or a high share of them
	ReasonSilent      Reason = "silent"      // sent messages got no receipt in the expected time
	ReasonUndelivered Reason = "undelivered" // many negative receipts (degraded at worst)
	ReasonThrottled   Reason = "throttled"   // a high share of throttled submits (degraded at worst)
	ReasonRecovered   Reason = "recovered"   // degraded → healthy: every share back under its leave threshold
	ReasonProbeOK     Reason = "probe_ok"    // down → healthy: enough good probes
	ReasonForced      Reason = "forced"      // an operator forced the state
	ReasonUnforced    Reason = "unforced"    // an operator returned the route to automatic judgement
)

// Transition is one change of a route's state, or of whether it is forced.
type Transition struct {
	Key
	From   State     `json:"from"`
	To     State     `json:"to"`
	At     time.Time `json:"at"`
	Reason Reason    `json:"reason"`
	Note   string    `json:"note,omitempty"` // the operator's note, on forced
}

// String describes the transition in one line, for logs.
func (t Transition) String() string {
	s := fmt.Sprintf("%s: %s → %s (%s) at %s", t.Key, t.From, t.To, t.Reason, t.At.Format(time.RFC3339Nano))
	if t.Note != "" {
		s += ": " + t.Note
	}
	return s
}
