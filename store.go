package detour

import (
	"context"
	"time"
)

// Store keeps tenants, API keys, messages and verifications. Every
// implementation passes the one behavioural suite in package storetest.
//
// Writes are atomic per call: a call that returns nil has committed to
// durable storage; a call that returns an error changed nothing.
type Store interface {
	MessageStore
	KeyStore
	InboundStore
	EventStore
	WebhookStore
	VerificationStore
	// Ready reports whether the store is reachable with its schema applied.
	Ready(ctx context.Context) error
	Close() error
}

// MessageStore keeps messages with their attempts and timers.
type MessageStore interface {
	// CreateMessage stores a new message with its first timer. With idem,
	// it first looks up the tenant's idempotency key: if it exists with the
	// same request hash it returns the stored message and replayed=true; if
	// it exists with another hash it returns CodeIdempotencyConflict.
	CreateMessage(ctx context.Context, m *Message, idem *Idempotency) (stored *Message, replayed bool, err error)
	// Message returns a tenant's message with its attempts, or ErrNotFound.
	Message(ctx context.Context, tenantID, id string) (*Message, error)
	// Messages lists a tenant's messages, newest first, without attempts.
	Messages(ctx context.Context, f MessageFilter) (MessagePage, error)
	// UpdateMessage loads the message (any tenant), calls fn, and saves what
	// fn changed, atomically. If fn returns an error nothing is saved and
	// UpdateMessage returns it. ErrNotFound if there is no such message.
	UpdateMessage(ctx context.Context, id string, fn func(*Message) error) error
	// Claim leases up to c.Limit timers due at c.Now, most urgent priority
	// first then oldest, for c.Lease, and calls fn on each leased message
	// inside the same transaction; what fn changes is saved. It returns the
	// messages as fn left them. A leased timer has Owner and a new Lease
	// number, and RunAt at the lease's end (fn may change it).
	Claim(ctx context.Context, c ClaimRequest, fn func(*Message) error) ([]*Message, error)
	// ApplyReceipt finds the attempt with r's channel, route and provider
	// id and calls fn with its message and attempt, saving what fn changes.
	// If there is none yet it keeps r as an orphan and returns false.
	ApplyReceipt(ctx context.Context, r Receipt, fn func(*Message, *Attempt) error) (matched bool, err error)
	// RetryOrphans applies kept receipts whose attempt has appeared since,
	// through fn, and drops those received before dropBefore. It returns how
	// many it applied.
	RetryOrphans(ctx context.Context, dropBefore time.Time, fn func(*Message, *Attempt, Receipt) error) (int, error)
	// WaitingOn returns the messages whose current step was accepted on
	// channel (and route, unless "") and that wait for its receipt until
	// a fallback deadline: those to move on at once when it goes down.
	WaitingOn(ctx context.Context, channel, route string) ([]string, error)
	// NextDue returns the earliest RunAt of any timer, ok=false if none.
	NextDue(ctx context.Context) (at time.Time, ok bool, err error)
	// Due counts timers due at now (the queue depth).
	Due(ctx context.Context, now time.Time) (int, error)
	// PurgeIdempotency deletes idempotency keys created before t.
	PurgeIdempotency(ctx context.Context, before time.Time) (int, error)
}

// ClaimRequest says who claims how much work and for how long.
type ClaimRequest struct {
	Owner string
	Now   time.Time
	Lease time.Duration
	Limit int
}

// Idempotency is an Idempotency-Key with the hash of the request it came
// with.
type Idempotency struct {
	Key         string
	RequestHash []byte
	CreatedAt   time.Time
}

// MessageFilter selects a tenant's messages.
type MessageFilter struct {
	TenantID      string
	Status        Status    // "" for any
	To            string    // "" for any
	ClientRef     string    // "" for any
	CreatedAfter  time.Time // inclusive; zero for no bound
	CreatedBefore time.Time // exclusive; zero for no bound
	Before        string    // cursor: only ids older than this one
	Limit         int
}

// MessagePage is one page of a listing.
type MessagePage struct {
	Messages []*Message
	More     bool // there are older messages past the last one
}

// KeyStore keeps tenants and their API keys.
type KeyStore interface {
	// CreateAPIKey stores k, creating its tenant by name if it does not
	// exist, and sets k.TenantID.
	CreateAPIKey(ctx context.Context, tenantName string, k *APIKey) error
	// APIKey returns the key with the given id, or ErrNotFound.
	APIKey(ctx context.Context, id string) (*APIKey, error)
}

// APIKey is a tenant's credential. Only a hash of the secret is stored.
type APIKey struct {
	ID         string
	TenantID   string
	TenantName string
	Hash       []byte  // SHA-256 of the secret part
	RateLimit  float64 // requests per second; 0 means the configured default
	CreatedAt  time.Time
	RevokedAt  time.Time
}
