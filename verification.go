package detour

import (
	"context"
	"encoding/json"
	"time"
)

// VerificationStatus is the state of a verification (an OTP sent to a
// number and checked later). It starts pending and ends exactly once.
type VerificationStatus string

// Verification statuses.
const (
	VerificationPending     VerificationStatus = "pending"              // the code may still be checked
	VerificationApproved    VerificationStatus = "approved"             // a check gave the right code; final
	VerificationExpired     VerificationStatus = "expired"              // the expiry passed first; final
	VerificationMaxAttempts VerificationStatus = "max_attempts_reached" // every check was used on wrong codes; final
	VerificationCanceled    VerificationStatus = "canceled"             // canceled by the caller, or replaced by a new one; final
)

// VerificationStatuses lists every verification status.
var VerificationStatuses = []VerificationStatus{VerificationPending, VerificationApproved, VerificationExpired,
	VerificationMaxAttempts, VerificationCanceled}

// Valid reports whether s is a known status.
func (s VerificationStatus) Valid() bool {
	for _, x := range VerificationStatuses {
		if s == x {
			return true
		}
	}
	return false
}

// Final reports whether s ends the verification.
func (s VerificationStatus) Final() bool { return s.Valid() && s != VerificationPending }

// Limits of a verification.
const (
	MinCodeLength         = 4
	MaxCodeLength         = 10
	MaxVerificationChecks = 5 // checks of one verification, right or wrong
	MaxVerificationSends  = 5 // messages sent for one verification: the start and the resends
)

// Verification is one one-time code sent to one number, with what happened
// to it: its sends and its checks. It is the unit that stores load, change
// and save atomically.
//
// The code itself is never kept. It is derived, whenever a send renders it,
// from the server secret and CodeSeed; CodeHash is HMAC-SHA256(server
// secret, ID + code), compared in constant time by checks. Neither reveals
// the code without the server secret.
type Verification struct {
	ID         string // "ver_" + ID
	TenantID   string
	To         string   // E.164
	Channels   []string // the channels in order: a send tries them in turn
	Locale     string   // the language of the texts: en, es, fr, de or pt
	Template   string   // the WhatsApp authentication template's name
	Brand      string   // the app or brand named in the texts, "" for none
	CodeLength int
	CodeSeed   []byte // random bytes the code is derived from with the server secret
	CodeHash   []byte // HMAC-SHA256(server secret, ID + code)

	Status VerificationStatus
	Checks int // checks made, at most MaxVerificationChecks
	Sends  []VerificationSend

	CreatedAt time.Time
	UpdatedAt time.Time
	ExpiresAt time.Time
}

// VerificationSend is one message sent for a verification.
//
// Stores keep MessageID, Channel (the first channel of the message's
// policy) and CreatedAt. A send whose MessageID is empty was reserved and
// its message is being made (or its maker died): it counts against
// MaxVerificationSends. Reading through a VerificationService also fills
// Status, and Channel becomes the channel the message is on now.
type VerificationSend struct {
	MessageID string
	Channel   string
	Status    Status
	CreatedAt time.Time
}

// ChecksLeft returns how many checks the verification still takes.
func (v *Verification) ChecksLeft() int {
	if v.Status != VerificationPending {
		return 0
	}
	return max(0, MaxVerificationChecks-v.Checks)
}

// SendsLeft returns how many more messages the verification may send.
func (v *Verification) SendsLeft() int {
	if v.Status != VerificationPending {
		return 0
	}
	return max(0, MaxVerificationSends-len(v.Sends))
}

// SetStatus ends a pending verification with st at time at, and reports
// whether it did. A final verification never changes again.
func (v *Verification) SetStatus(st VerificationStatus, at time.Time) bool {
	if v.Status != VerificationPending || !st.Final() {
		return false
	}
	v.Status, v.UpdatedAt = st, at
	return true
}

// Expire ends a pending verification whose expiry has passed at now, and
// reports whether it did.
func (v *Verification) Expire(now time.Time) bool {
	return v.Status == VerificationPending && !now.Before(v.ExpiresAt) && v.SetStatus(VerificationExpired, now)
}

// Clone returns a deep copy of v.
func (v *Verification) Clone() *Verification {
	c := *v
	c.Channels = append([]string(nil), v.Channels...)
	c.CodeSeed = append([]byte(nil), v.CodeSeed...)
	c.CodeHash = append([]byte(nil), v.CodeHash...)
	c.Sends = append([]VerificationSend(nil), v.Sends...)
	return &c
}

// VerificationStatusData is the body of a verification.status event. It
// never carries the code.
type VerificationStatusData struct {
	VerificationID string             `json:"verification_id"`
	Status         VerificationStatus `json:"status"`
	Previous       VerificationStatus `json:"previous_status"`
	To             string             `json:"to"`
	Checks         int                `json:"checks"`
	Sends          int                `json:"sends"`
}

// VerificationEvent returns the event for v entering its current status
// from previous, or nil when the status did not change. Starting a
// verification is not an event: the API answered with it. Stores call it
// when they save a verification, so the event commits with the change.
func VerificationEvent(ids *IDSource, previous VerificationStatus, v *Verification) *Event {
	if previous == v.Status {
		return nil
	}
	body, _ := json.Marshal(VerificationStatusData{VerificationID: v.ID, Status: v.Status, Previous: previous,
		To: v.To, Checks: v.Checks, Sends: len(v.Sends)}) // plain values always encode
	return &Event{ID: ids.New("evt_"), TenantID: v.TenantID, Type: EventVerificationStatus, Data: body, CreatedAt: v.UpdatedAt}
}

// VerificationStore keeps verifications. Every status change writes its
// verification.status event in the same transaction.
type VerificationStore interface {
	// CreateVerification stores v, pending, as the tenant's verification
	// of v.To, of which there is at most one pending at a time. If there
	// is one already: when its expiry has passed at v.CreatedAt it is
	// expired first; else, with replace, it is canceled; else nothing is
	// stored and it is returned instead of v. ended is the verification
	// this call expired or canceled, nil if none.
	CreateVerification(ctx context.Context, v *Verification, replace bool) (stored, ended *Verification, err error)
	// PendingVerification returns the tenant's pending verification of
	// the number to (even if its expiry passed), or ErrNotFound.
	PendingVerification(ctx context.Context, tenantID, to string) (*Verification, error)
	// Verification returns one of the tenant's verifications, or
	// ErrNotFound.
	Verification(ctx context.Context, tenantID, id string) (*Verification, error)
	// UpdateVerification loads the tenant's verification, calls fn and
	// saves what fn changed, atomically: concurrent updates of one
	// verification run one after the other, each seeing the last one's
	// result. If fn returns an error nothing is saved and it is returned.
	// It returns the verification as saved.
	UpdateVerification(ctx context.Context, tenantID, id string, fn func(*Verification) error) (*Verification, error)
	// ExpireVerifications expires up to limit pending verifications whose
	// expiry is at or before now, and returns how many it expired.
	ExpireVerifications(ctx context.Context, now time.Time, limit int) (int, error)
}

// VerificationRequest starts a verification (POST /v1/verifications).
type VerificationRequest struct {
	To         string   `json:"to"`
	Channels   []string `json:"channels,omitempty"`
	CodeLength int      `json:"code_length,omitempty"`
	Expiry     Duration `json:"expiry,omitempty"`
	Locale     string   `json:"locale,omitempty"`
	Template   string   `json:"template,omitempty"`
	Brand      string   `json:"brand,omitempty"`
	// New asks for a new verification even if one is pending for the
	// number: the pending one is canceled.
	New bool `json:"new,omitempty"`
}

// ResendRequest asks for another message of a verification.
type ResendRequest struct {
	// Channel is where to send it; "" means the channel after the one the
	// last message went out on (or that one again if it was the last).
	Channel string `json:"channel,omitempty"`
}

// CheckRequest checks a code.
type CheckRequest struct {
	Code string `json:"code"`
}

// VerificationService is what the API offers on verifications. Errors are
// *Error values with stable codes.
type VerificationService interface {
	// StartVerification sends a new code to req.To, or returns the
	// tenant's pending verification of that number with created=false.
	StartVerification(ctx context.Context, tenantID string, req *VerificationRequest) (v *Verification, created bool, err error)
	// Verification returns one of the tenant's verifications.
	Verification(ctx context.Context, tenantID, id string) (*Verification, error)
	// CheckVerification checks a code and returns the verification as the
	// check left it.
	CheckVerification(ctx context.Context, tenantID, id, code string) (*Verification, error)
	// ResendVerification sends the code again.
	ResendVerification(ctx context.Context, tenantID, id string, req *ResendRequest) (*Verification, error)
	// CancelVerification ends a pending verification.
	CancelVerification(ctx context.Context, tenantID, id string) (*Verification, error)
}
