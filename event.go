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
var EventTypes = []string{EventMessageStatus, EventVerificationStatus, EventMessageInbound, EventChannelHealth, EventEndpointDisabled}

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
// change, and give the event its id as they write it.
func StatusEvent(previous Status, m *Message) *Event {
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
	return &Event{TenantID: m.TenantID, Type: EventMessageStatus, MessageID: m.ID,
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
	// Events lists a tenant's events with the system tenant's, newest
	// first.
	Events(ctx context.Context, f EventFilter) (EventPage, error)
	// Event returns one of them, or ErrNotFound.
	Event(ctx context.Context, tenantID, id string) (*Event, error)
	// AddEvent writes an event that no other change carries (a health
	// change), with its webhook deliveries, and sets its ID.
	AddEvent(ctx context.Context, ev *Event) error
}

// InboundData is the body of a message.inbound event.
type InboundData struct {
	ID         string    `json:"id"`
	Channel    string    `json:"channel"`
	Route      string    `json:"route"`
	From       string    `json:"from"`
	To         string    `json:"to"`
	Text       string    `json:"text"`
	ReceivedAt time.Time `json:"received_at"`
}

// InboundEvent returns the message.inbound event of in, the system
// tenant's: the store gives it to the tenant that last wrote to its
// sender, if any.
func InboundEvent(in *Inbound) *Event {
	body, _ := json.Marshal(InboundData{ID: in.ID, Channel: in.Channel, Route: in.Route, From: in.From, To: in.To,
		Text: in.Text, ReceivedAt: in.ReceivedAt.UTC()})
	return &Event{TenantID: SystemTenant, Type: EventMessageInbound, Data: body, CreatedAt: in.ReceivedAt}
}

// HealthData is the body of a channel.health event: a route of a channel
// changed state.
type HealthData struct {
	Channel  string    `json:"channel"`
	Route    string    `json:"route,omitempty"`
	State    string    `json:"state"`
	Previous string    `json:"previous_state"`
	Reason   string    `json:"reason"`
	Note     string    `json:"note,omitempty"`
	At       time.Time `json:"at"`
	// ChannelState is the channel's state after the change: down once
	// every route is.
	ChannelState string `json:"channel_state"`
}
