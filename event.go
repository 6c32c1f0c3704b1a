package detour

import (
	"context"
	"encoding/json"
	"time"
)

// Event types.
const (
	EventMessageStatus      = "message.status"      // a message moved to a new status
	EventVerificationStatus = "verification.status" // a verification was approved, expired, ran out of checks or was canceled
)

// EventTypes lists every event type.
var EventTypes = []string{EventMessageStatus, EventVerificationStatus}

// Event is something that happened that the tenant's application hears
// about: written in the same transaction as the change that caused it (an
// outbox), listed by GET /v1/events, and delivered as signed webhooks.
type Event struct {
	ID        string // "evt_" + ID, sorted by creation
	TenantID  string
	Type      string
	MessageID string          // the message it is about, if any ("" for verification events)
	Data      json.RawMessage // the event's body as the API shows it
	CreatedAt time.Time
}

// MessageStatusData is the body of a message.status event.
type MessageStatusData struct {
	MessageID   string `json:"message_id"`
	Status      Status `json:"status"`
	Previous    Status `json:"previous_status,omitempty"`
	To          string `json:"to"`
	ClientRef   string `json:"client_ref,omitempty"`
	Channel     string `json:"channel,omitempty"`
	Route       string `json:"route,omitempty"`
	ErrorCode   Code   `json:"error_code,omitempty"`
	ErrorDetail string `json:"error_detail,omitempty"`
}

// StatusEvent returns the event for m entering its current status from
// previous, or nil when the status did not change. Accepting a message is
// not an event: the API answered with it.
// Stores call it when they save a message, so the event commits with the
// change.
func StatusEvent(ids *IDSource, previous Status, m *Message) *Event {
	if previous == m.Status {
		return nil
	}
	d := MessageStatusData{MessageID: m.ID, Status: m.Status, Previous: previous, To: m.To, ClientRef: m.ClientRef,
		ErrorCode: m.ErrorCode, ErrorDetail: m.ErrorDetail}
	a := m.DeliveredBy()
	if a == nil && len(m.Attempts) > 0 {
		a = m.Attempts[len(m.Attempts)-1]
	}
	if a != nil {
		d.Channel, d.Route = a.Channel, a.Route
	}
	body, _ := json.Marshal(d) // plain strings always encode
	return &Event{ID: ids.New("evt_"), TenantID: m.TenantID, Type: EventMessageStatus, MessageID: m.ID,
		Data: body, CreatedAt: m.UpdatedAt}
}

// EventFilter selects a tenant's events.
type EventFilter struct {
	TenantID  string
	Type      string // "" for any
	MessageID string // "" for any
	Before    string // cursor: only ids older than this one
	Limit     int
}

// EventPage is one page of events, newest first.
type EventPage struct {
	Events []*Event
	More   bool
}

// EventStore lists the events stores write with the changes that cause
// them.
type EventStore interface {
	Events(ctx context.Context, f EventFilter) (EventPage, error)
}
