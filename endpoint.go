package detour

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"slices"
	"time"
)

// Event types a webhook endpoint may subscribe to.
const (
	EventMessageInbound   = "message.inbound"           // a user wrote to one of our numbers
	EventChannelHealth    = "channel.health"            // a channel or route changed health state
	EventEndpointDisabled = "webhook_endpoint.disabled" // an endpoint kept failing and was disabled
)

// KnownEventType reports whether t is one of EventTypes.
func KnownEventType(t string) bool { return slices.Contains(EventTypes, t) }

// SystemTenant is the tenant of events that belong to the node rather than
// to one tenant (health changes, inbound messages from numbers no tenant
// wrote to): every tenant lists them and every subscribed endpoint
// receives them.
const SystemTenant = ""

// Endpoint kinds.
const (
	EndpointURL      = "url"          // registered through the API with its own URL
	EndpointCallback = "callback_url" // the tenant's one callback endpoint: messages' own callback_url
)

// WebhookEndpoint is where a tenant's events are delivered. Its secrets sign
// every delivery; while a rotation is under way the previous secret stays
// valid until it expires, and deliveries carry a signature for each. The
// secrets are stored as they are: signing needs them.
//
// Every tenant has at most one endpoint of kind EndpointCallback, created
// with the first message that has a callback_url: it holds the secrets that
// sign those deliveries, their log and their failures, while each delivery
// goes to its message's own URL.
type WebhookEndpoint struct {
	ID          string // "whe_" + ID
	TenantID    string
	Kind        string
	URL         string   // "" for the callback endpoint
	Description string   // free text for people
	EventTypes  []string // empty: every type
	Secrets     []EndpointSecret

	Disabled       bool
	DisabledAt     time.Time
	DisabledReason string    // "gone" (410), "failing", "manual"
	FailingSince   time.Time // first failure since the last success; zero when healthy
	Failures       int       // consecutive failed attempts

	CreatedAt time.Time
	UpdatedAt time.Time
}

// EndpointSecret is one signing secret ("whsec_" + base64 of the key).
type EndpointSecret struct {
	Secret    Secret
	CreatedAt time.Time
	ExpiresAt time.Time // zero: does not expire (the current secret)
}

// Wants reports whether the endpoint receives events of type t.
func (e *WebhookEndpoint) Wants(t string) bool {
	return len(e.EventTypes) == 0 || slices.Contains(e.EventTypes, t)
}

// ActiveSecrets returns the secrets valid at now, newest first.
func (e *WebhookEndpoint) ActiveSecrets(now time.Time) []Secret {
	var out []Secret
	for _, s := range e.Secrets {
		if s.ExpiresAt.IsZero() || now.Before(s.ExpiresAt) {
			out = append(out, s.Secret)
		}
	}
	return out
}

// Delivery statuses.
const (
	DeliveryPending   = "pending"   // waiting for its turn or its next try
	DeliveryDelivered = "delivered" // a receiver answered 2xx
	DeliveryFailed    = "failed"    // retries ran out, or the receiver answered 410
)

// WebhookDelivery is one event on its way to one endpoint: the outbox row,
// written in the same transaction as the event. Deliveries of one message
// to one endpoint go out in order: one waits while an earlier one is
// pending.
type WebhookDelivery struct {
	ID         string // "whd_" + ID
	TenantID   string
	EndpointID string
	EventID    string
	URL        string // the message's callback_url for the callback endpoint, else ""
	Status     string
	Tries      int
	NextAt     time.Time // when it may be tried (again)
	CreatedAt  time.Time
	EndedAt    time.Time // delivered or failed

	LastStatus int    // the last HTTP status, 0 for none
	LastError  string // the last failure, without URL or secret

	Event *Event // the event itself, loaded with due deliveries
}

// DeliveryAttempt is one try of a delivery: the delivery log.
type DeliveryAttempt struct {
	DeliveryID string
	EndpointID string
	EventID    string
	N          int // 1 for the first try
	At         time.Time
	Status     int           // HTTP status, 0 when no answer came
	Latency    time.Duration // from sending to the answer (or failure)
	Outcome    string        // delivered, retry, gone, failed
	Error      string        // what went wrong, without URL or secret
}

// DeliveryResult is what became of one try, to be recorded.
type DeliveryResult struct {
	Attempt DeliveryAttempt
	// Status is the delivery's new status; NextAt its next try when
	// pending.
	Status string
	NextAt time.Time
	// Disable disables the endpoint with this reason ("" leaves it).
	Disable string
	// DisableAfterTries and DisableAfter, when set, disable the endpoint
	// as "failing" once its failure streak, as stored with this try,
	// counts that many tries over at least that long.
	DisableAfterTries int
	DisableAfter      time.Duration
	// Succeeded resets the endpoint's failure streak; otherwise the streak
	// grows.
	Succeeded bool
}

// DeliveryFilter selects an endpoint's deliveries.
type DeliveryFilter struct {
	TenantID   string
	EndpointID string
	EventID    string // "" for any
	Status     string // "" for any
	Before     string // cursor: only ids older than this one
	Limit      int
}

// DeliveryPage is one page of deliveries, newest first, with their tries.
type DeliveryPage struct {
	Deliveries []*WebhookDelivery
	Attempts   map[string][]DeliveryAttempt // by delivery id, oldest first
	More       bool
}

// WebhookStore keeps endpoints and the outbox of deliveries. Stores write a
// delivery for each enabled endpoint that wants an event, in the event's
// own transaction, and a delivery to a message's callback_url for its
// message.status events.
type WebhookStore interface {
	// CreateEndpoint stores e (with its id and first secret set).
	CreateEndpoint(ctx context.Context, e *WebhookEndpoint) error
	// Endpoint returns a tenant's endpoint, or ErrNotFound.
	Endpoint(ctx context.Context, tenantID, id string) (*WebhookEndpoint, error)
	// Endpoints lists a tenant's endpoints, oldest first.
	Endpoints(ctx context.Context, tenantID string) ([]*WebhookEndpoint, error)
	// UpdateEndpoint loads a tenant's endpoint, calls fn and saves what it
	// changed. Re-enabling an endpoint resumes its pending deliveries.
	UpdateEndpoint(ctx context.Context, tenantID, id string, fn func(*WebhookEndpoint) error) (*WebhookEndpoint, error)
	// DeleteEndpoint deletes an endpoint with its deliveries and log.
	DeleteEndpoint(ctx context.Context, tenantID, id string) error

	// DueDeliveries leases up to limit pending deliveries due at now, each
	// the oldest pending one of its message and endpoint, until now+lease,
	// and returns them with their events and endpoints (by id).
	DueDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*WebhookDelivery, map[string]*WebhookEndpoint, error)
	// NextDelivery returns the earliest NextAt of a pending delivery.
	NextDelivery(ctx context.Context) (at time.Time, ok bool, err error)
	// RecordDeliveries saves the results of tries, each with its log row,
	// and the endpoints' failure streaks. Disabling an endpoint writes an
	// EventEndpointDisabled event.
	RecordDeliveries(ctx context.Context, results []DeliveryResult) error
	// Deliveries lists an endpoint's deliveries with their tries.
	Deliveries(ctx context.Context, f DeliveryFilter) (DeliveryPage, error)
	// Replay writes new deliveries of a tenant's event: to endpointID, or
	// when empty to every enabled endpoint that wants it (and to its
	// message's callback_url). It returns them, or ErrNotFound.
	Replay(ctx context.Context, tenantID, eventID, endpointID string, now time.Time) ([]*WebhookDelivery, error)
}

// NewWebhookSecret returns a new signing secret in the Standard Webhooks
// form: "whsec_" and the base64 of 32 random bytes.
func NewWebhookSecret() Secret {
	key := make([]byte, 32)
	_, _ = rand.Read(key) // crypto/rand.Read never fails (it panics instead)
	return Secret("whsec_" + base64.StdEncoding.EncodeToString(key))
}

// EndpointDisabledData is the body of a webhook_endpoint.disabled event.
type EndpointDisabledData struct {
	EndpointID   string    `json:"endpoint_id"`
	Reason       string    `json:"reason"`
	Failures     int       `json:"failures"`
	FailingSince time.Time `json:"failing_since,omitzero"`
}
