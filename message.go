package detour

import (
	"time"
)

// Priority orders work in the dispatch queue: due OTPs go before due bulk.
type Priority string

// Priorities, most urgent first.
const (
	PriorityOTP    Priority = "otp"
	PriorityHigh   Priority = "high"
	PriorityNormal Priority = "normal"
	PriorityBulk   Priority = "bulk"
)

// Priorities lists every priority, most urgent first.
var Priorities = []Priority{PriorityOTP, PriorityHigh, PriorityNormal, PriorityBulk}

// Rank returns 0 for the most urgent priority and 3 for bulk, -1 if unknown.
func (p Priority) Rank() int {
	for i, q := range Priorities {
		if p == q {
			return i
		}
	}
	return -1
}

// PriorityOfRank is the inverse of Priority.Rank.
func PriorityOfRank(r int) Priority {
	if r < 0 || r >= len(Priorities) {
		return PriorityNormal
	}
	return Priorities[r]
}

// Step is one step of a channel policy: try this channel (and optionally
// this route) and, if FallbackAfter is set, move to the next step when no
// delivery receipt arrived that long after the step began.
type Step struct {
	Channel       string   `json:"channel"`
	Route         string   `json:"route,omitempty"`
	FallbackAfter Duration `json:"fallback_after,omitempty"`
	// Await is what the step waits for before fallback_after runs out:
	// AwaitDelivered (the default) or AwaitRead.
	Await string `json:"await,omitempty"`
}

// What a step awaits.
const (
	AwaitDelivered = "delivered"
	AwaitRead      = "read"
)

// Message is one message to one recipient together with everything that
// happened to it: its attempts and its next timer. It is the unit that
// stores load, change and save atomically.
type Message struct {
	ID          string
	TenantID    string
	To          string // E.164
	Content     Content
	Steps       []Step
	Priority    Priority
	ClientRef   string
	CallbackURL string
	Metadata    map[string]string

	Status        Status
	Step          int       // index into Steps of the step being tried
	StepStartedAt time.Time // when the current step began (zero before the first send)
	ErrorCode     Code      // why the message failed or expired
	ErrorDetail   string

	CreatedAt time.Time
	UpdatedAt time.Time
	ExpiresAt time.Time // end of validity

	Attempts []*Attempt
	Timer    *Timer // the next thing to do and when; nil once nothing is left to do
}

// TimerKind says what a timer does when it fires.
type TimerKind string

// Timer kinds.
const (
	TimerSend     TimerKind = "send"     // send the current step (first try or a retry)
	TimerFallback TimerKind = "fallback" // the step's fallback_after passed: advance unless delivered
	TimerExpire   TimerKind = "expire"   // the validity ended: expire unless delivered
)

// Timer is a message's single pending piece of work. Workers lease timers:
// Owner and Lease identify the current lease, and a leased timer's RunAt is
// the lease's end, so a timer held by a dead worker comes due again.
type Timer struct {
	Kind  TimerKind
	Step  int
	RunAt time.Time
	Owner string // worker holding the lease, "" if not leased
	Lease int64  // incremented on each claim; identifies one lease
}

// Attempt is one hand-over of a message to one channel and route.
type Attempt struct {
	ID         string
	MessageID  string
	Step       int
	Channel    string
	Route      string
	ProviderID string // the channel's id for the message (SMPP message_id, WhatsApp wamid)
	Status     AttemptStatus
	Segments   int    // parts the channel split the message into, if it reports them
	Parts      []Part // with several parts sent separately: each one's id and status

	ErrorCode   Code
	ErrorDetail string

	CreatedAt   time.Time // when the attempt was handed to the channel (pending)
	SentAt      time.Time // accepted by the provider
	DeliveredAt time.Time
	ReadAt      time.Time
	EndedAt     time.Time // failed, expired or unknown
	UpdatedAt   time.Time
}

// StatusChange is one entry of an attempt's status history.
type StatusChange struct {
	Status AttemptStatus
	At     time.Time
}

// History returns the statuses the attempt went through, oldest first.
func (a *Attempt) History() []StatusChange {
	h := []StatusChange{{AttemptPending, a.CreatedAt}}
	if !a.SentAt.IsZero() {
		h = append(h, StatusChange{AttemptSent, a.SentAt})
	}
	if !a.EndedAt.IsZero() {
		st := a.Status
		if st.rank() != AttemptFailed.rank() && st != AttemptUnknown {
			st = AttemptFailed
			if a.ErrorCode == ReasonExpired {
				st = AttemptExpired
			}
		}
		h = append(h, StatusChange{st, a.EndedAt})
	}
	if !a.DeliveredAt.IsZero() {
		h = append(h, StatusChange{AttemptDelivered, a.DeliveredAt})
	}
	if !a.ReadAt.IsZero() {
		h = append(h, StatusChange{AttemptRead, a.ReadAt})
	}
	// Receipts may carry provider timestamps out of order; keep rank order
	// but sort by time when times disagree.
	for i := 1; i < len(h); i++ {
		for j := i; j > 0 && h[j].At.Before(h[j-1].At); j-- {
			h[j], h[j-1] = h[j-1], h[j]
		}
	}
	return h
}

// SetStatus moves the attempt to st at time at if the move goes forward and
// records the time of st in the history even when it does not (a delivered
// receipt that arrives after read). It reports whether the status changed.
func (a *Attempt) SetStatus(st AttemptStatus, at time.Time) bool {
	switch st {
	case AttemptSent:
		if a.SentAt.IsZero() {
			a.SentAt = at
		}
	case AttemptDelivered:
		if a.DeliveredAt.IsZero() {
			a.DeliveredAt = at
		}
	case AttemptRead:
		if a.ReadAt.IsZero() {
			a.ReadAt = at
		}
	case AttemptFailed, AttemptExpired, AttemptUnknown:
		if a.EndedAt.IsZero() && CanAttemptTransition(a.Status, st) {
			a.EndedAt = at
		}
	}
	if !CanAttemptTransition(a.Status, st) {
		return false
	}
	a.Status = st
	a.UpdatedAt = at
	return true
}

// SetStatus moves the message to st if CanTransition allows it, and reports
// whether it did.
func (m *Message) SetStatus(st Status, at time.Time) bool {
	if !CanTransition(m.Status, st) {
		return false
	}
	m.Status = st
	m.UpdatedAt = at
	return true
}

// Fail ends the message with a negative final status and its reason.
func (m *Message) Fail(st Status, reason Code, detail string, at time.Time) bool {
	if !m.SetStatus(st, at) {
		return false
	}
	m.ErrorCode, m.ErrorDetail = reason, detail
	m.Timer = nil
	return true
}

// Attempt returns the attempt with the given id, or nil.
func (m *Message) Attempt(id string) *Attempt {
	for _, a := range m.Attempts {
		if a.ID == id {
			return a
		}
	}
	return nil
}

// DeliveredBy returns the attempt that delivered the message first, or nil.
func (m *Message) DeliveredBy() *Attempt {
	var first *Attempt
	for _, a := range m.Attempts {
		t := a.DeliveredAt
		if t.IsZero() {
			t = a.ReadAt
		}
		if t.IsZero() {
			continue
		}
		if first == nil || t.Before(firstDelivery(first)) {
			first = a
		}
	}
	return first
}

func firstDelivery(a *Attempt) time.Time {
	if !a.DeliveredAt.IsZero() {
		return a.DeliveredAt
	}
	return a.ReadAt
}

// Clone returns a deep copy of m, so stores can compare a changed message
// with the one they loaded.
func (m *Message) Clone() *Message {
	c := *m
	c.Steps = append([]Step(nil), m.Steps...)
	if m.Metadata != nil {
		c.Metadata = make(map[string]string, len(m.Metadata))
		for k, v := range m.Metadata {
			c.Metadata[k] = v
		}
	}
	c.Attempts = make([]*Attempt, len(m.Attempts))
	for i, a := range m.Attempts {
		ac := *a
		ac.Parts = append([]Part(nil), a.Parts...)
		c.Attempts[i] = &ac
	}
	if m.Timer != nil {
		t := *m.Timer
		c.Timer = &t
	}
	return &c
}
