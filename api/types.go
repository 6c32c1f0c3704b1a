package api

import (
	"encoding/json"
	"time"

	"github.com/detourhq/detour"
)

// Message is the public representation of a message (the "Message" schema
// of the OpenAPI document). Statuses and codes are plain strings so that
// clients built against an older server keep decoding newer values.
type Message struct {
	// ID is the message id ("msg_" and 26 characters).
	ID string `json:"id"`
	// Status is one of queued, sending, sent, delivered, read, failed,
	// expired or canceled.
	Status string `json:"status"`
	// To is the recipient in E.164 form.
	To string `json:"to"`
	// Content is what the message carries.
	Content detour.Content `json:"content"`
	// Channels is the channel policy the message follows, in order.
	Channels []detour.Step `json:"channels"`
	// Priority is otp, high, normal or bulk.
	Priority string `json:"priority"`
	// ClientRef is the caller's reference, if it gave one.
	ClientRef string `json:"client_ref,omitempty"`
	// CallbackURL receives status events, if the caller gave one.
	CallbackURL string `json:"callback_url,omitempty"`
	// Metadata is the caller's key-value data, returned as given.
	Metadata map[string]string `json:"metadata,omitempty"`
	// Step is the index in Channels of the step being tried (or the last
	// one tried).
	Step int `json:"step"`
	// Channel is the channel that delivered the message or, before
	// delivery, the channel of its latest attempt. Empty before the first
	// attempt and when the attempts were not loaded (listings).
	Channel string `json:"channel,omitempty"`
	// Error says why the message failed, expired or was canceled; nil
	// otherwise.
	Error *ErrorInfo `json:"error,omitempty"`
	// CreatedAt is when the message was accepted.
	CreatedAt time.Time `json:"created_at"`
	// UpdatedAt is when the message last changed.
	UpdatedAt time.Time `json:"updated_at"`
	// ExpiresAt is the end of the message's validity.
	ExpiresAt time.Time `json:"expires_at"`
	// Attempts is the trail of hand-overs to channels, oldest first. It is
	// present on single-message responses and absent (nil) in listings.
	Attempts []Attempt `json:"attempts,omitzero"`
}

// Attempt is one hand-over of a message to one channel and route.
type Attempt struct {
	// ID is the attempt id ("att_" and 26 characters).
	ID string `json:"id"`
	// Step is the index of the policy step the attempt belongs to.
	Step int `json:"step"`
	// Channel is the channel used.
	Channel string `json:"channel"`
	// Route is the route used, when the channel has routes.
	Route string `json:"route,omitempty"`
	// ProviderMessageID is the provider's id for the message, once it
	// accepted it.
	ProviderMessageID string `json:"provider_message_id,omitempty"`
	// Status is one of pending, sent, unknown, failed, expired, delivered
	// or read.
	Status string `json:"status"`
	// Segments is how many parts the channel split the message into, when
	// it reports it.
	Segments int `json:"segments,omitempty"`
	// Parts lists each part of a message sent in several parts, with its
	// provider id and status.
	Parts []Part `json:"parts,omitempty"`
	// Error says why the attempt failed, if it did.
	Error *ErrorInfo `json:"error,omitempty"`
	// CreatedAt is when the attempt was handed to the channel.
	CreatedAt time.Time `json:"created_at"`
	// UpdatedAt is when the attempt last changed.
	UpdatedAt time.Time `json:"updated_at"`
	// History lists the statuses the attempt went through, oldest first.
	History []StatusChange `json:"history"`
}

// StatusChange is one entry of an attempt's history.
type StatusChange struct {
	// Status is the attempt status entered.
	Status string `json:"status"`
	// At is when it was entered.
	At time.Time `json:"at"`
}

// ErrorInfo is a failure reason: a stable code and a readable detail.
type ErrorInfo struct {
	// Code is a stable reason code such as "undeliverable" or "expired".
	Code string `json:"code"`
	// Detail is a human-readable explanation.
	Detail string `json:"detail,omitempty"`
}

// MessageList is one page of a message listing, newest first.
type MessageList struct {
	// Data holds the messages of the page, without their attempts.
	Data []Message `json:"data"`
	// NextCursor is passed as the cursor parameter to get the next page;
	// nil on the last page.
	NextCursor *string `json:"next_cursor"`
}

// Problem is an RFC 9457 problem details body (application/problem+json),
// the shape of every error response.
type Problem struct {
	// Type is "urn:detour:problem:" followed by Code.
	Type string `json:"type"`
	// Title is a short summary of the kind of problem; it is the same for
	// every occurrence of a code.
	Title string `json:"title"`
	// Status is the HTTP status code.
	Status int `json:"status"`
	// Detail explains this occurrence; it never carries secrets or
	// internal details.
	Detail string `json:"detail,omitempty"`
	// Code is the stable, machine-readable error code.
	Code string `json:"code"`
	// Field is the request field at fault, in JSON path form, if any.
	Field string `json:"field,omitempty"`
}

// ProblemTypePrefix starts the type URI of every problem.
const ProblemTypePrefix = "urn:detour:problem:"

// FromMessage converts a stored message to its public representation, with
// its attempt trail when withAttempts is set.
func FromMessage(m *detour.Message, withAttempts bool) Message {
	out := Message{
		ID:          m.ID,
		Status:      string(m.Status),
		To:          m.To,
		Content:     m.Content,
		Channels:    m.Steps,
		Priority:    string(m.Priority),
		ClientRef:   m.ClientRef,
		CallbackURL: m.CallbackURL,
		Metadata:    m.Metadata,
		Step:        m.Step,
		CreatedAt:   m.CreatedAt.UTC(),
		UpdatedAt:   m.UpdatedAt.UTC(),
		ExpiresAt:   m.ExpiresAt.UTC(),
	}
	if out.Channels == nil {
		out.Channels = []detour.Step{}
	}
	if a := m.DeliveredBy(); a != nil {
		out.Channel = a.Channel
	} else if n := len(m.Attempts); n > 0 {
		out.Channel = m.Attempts[n-1].Channel
	}
	switch m.Status {
	case detour.StatusFailed, detour.StatusExpired, detour.StatusCanceled:
		code := m.ErrorCode
		if code == "" {
			code = detour.Code(m.Status)
		}
		out.Error = &ErrorInfo{Code: string(code), Detail: m.ErrorDetail}
	}
	if withAttempts {
		out.Attempts = make([]Attempt, len(m.Attempts))
		for i, a := range m.Attempts {
			out.Attempts[i] = fromAttempt(a)
		}
	}
	return out
}

func fromAttempt(a *detour.Attempt) Attempt {
	out := Attempt{
		ID:                a.ID,
		Step:              a.Step,
		Channel:           a.Channel,
		Route:             a.Route,
		ProviderMessageID: a.ProviderID,
		Status:            string(a.Status),
		Segments:          a.Segments,
		Parts:             fromParts(a.Parts),
		CreatedAt:         a.CreatedAt.UTC(),
		UpdatedAt:         a.UpdatedAt.UTC(),
	}
	if a.UpdatedAt.IsZero() {
		out.UpdatedAt = out.CreatedAt
	}
	if a.ErrorCode != "" {
		out.Error = &ErrorInfo{Code: string(a.ErrorCode), Detail: a.ErrorDetail}
	}
	h := a.History()
	out.History = make([]StatusChange, len(h))
	for i, c := range h {
		out.History[i] = StatusChange{Status: string(c.Status), At: c.At.UTC()}
	}
	return out
}

// Part is one part of a message sent in several parts.
type Part struct {
	// ProviderMessageID is the provider's id for this part.
	ProviderMessageID string `json:"provider_message_id"`
	// Status is the part's own status.
	Status string `json:"status"`
}

func fromParts(ps []detour.Part) []Part {
	if len(ps) == 0 {
		return nil
	}
	out := make([]Part, len(ps))
	for i, p := range ps {
		out[i] = Part{ProviderMessageID: p.ProviderID, Status: string(p.Status)}
	}
	return out
}

// RouteList is the answer of GET /v1/routes.
type RouteList struct {
	Data []Route `json:"data"`
}

// Route is one route of a channel and how it is doing.
type Route struct {
	Channel     string     `json:"channel"`
	Name        string     `json:"name"`
	State       string     `json:"state"` // up or down
	SubmitRate  float64    `json:"submit_rate,omitempty"`
	PausedUntil *time.Time `json:"paused_until,omitempty"`
	// ThroughputLimit is the configured cap in messages/s, 0 for none.
	ThroughputLimit float64         `json:"throughput_limit,omitempty"`
	Selection       *RouteSelection `json:"selection,omitempty"`
	Binds           []Bind          `json:"binds"`
}

// RouteSelection is how a route is chosen among the channel's routes.
type RouteSelection struct {
	Prefixes  []string `json:"prefixes"`
	Countries []string `json:"countries"`
	Priority  int      `json:"priority"`
	Weight    int      `json:"weight"`
	Cost      float64  `json:"cost"`
}

// Bind is one SMPP connection of a route.
type Bind struct {
	Bind        int               `json:"bind"`
	Mode        string            `json:"mode"`
	State       string            `json:"state"`
	Since       time.Time         `json:"since"`
	Window      int               `json:"window"`
	InFlight    int               `json:"in_flight"`
	Submitted   uint64            `json:"submitted"`
	Responses   map[string]uint64 `json:"responses"`
	Timeouts    uint64            `json:"timeouts"`
	Lost        uint64            `json:"lost"`
	DeliverSM   uint64            `json:"deliver_sm"`
	Receipts    uint64            `json:"receipts"`
	Reconnects  uint64            `json:"reconnects"`
	LastError   string            `json:"last_error,omitempty"`
	LastErrorAt *time.Time        `json:"last_error_at,omitempty"`
}

// EventList is one page of events, newest first.
type EventList struct {
	Data       []Event `json:"data"`
	NextCursor *string `json:"next_cursor"`
}

// Event is something that happened to the tenant's messages.
type Event struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	MessageID string          `json:"message_id,omitempty"`
	Data      json.RawMessage `json:"data"`
	CreatedAt time.Time       `json:"created_at"`
}
