package detour

import "context"

// SendRequest is what an application asks to send (POST /v1/messages).
type SendRequest struct {
	To          string            `json:"to"`
	Content     Content           `json:"content"`
	Channels    []Step            `json:"channels,omitempty"`
	Validity    Duration          `json:"validity,omitempty"`
	Priority    Priority          `json:"priority,omitempty"`
	ClientRef   string            `json:"client_ref,omitempty"`
	CallbackURL string            `json:"callback_url,omitempty"`
	Metadata    map[string]string `json:"metadata,omitempty"`
}

// MessageService is what the API offers on messages. Errors are *Error
// values with stable codes.
type MessageService interface {
	// SendMessage validates req, stores the message durably with its first
	// dispatch, and returns it. With idem, a repeated key with the same
	// request hash returns the first message and replayed=true.
	SendMessage(ctx context.Context, tenantID string, req *SendRequest, idem *Idempotency) (m *Message, replayed bool, err error)
	// Message returns one of the tenant's messages with its attempts.
	Message(ctx context.Context, tenantID, id string) (*Message, error)
	// Messages lists the tenant's messages, newest first.
	Messages(ctx context.Context, f MessageFilter) (MessagePage, error)
	// CancelMessage stops a message that has not reached a final status.
	CancelMessage(ctx context.Context, tenantID, id string) (*Message, error)
}
