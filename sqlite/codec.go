package sqlite

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/detourhq/detour"
)

// Times are stored as INTEGER unix microseconds; the zero time is 0.

func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// priorityRank is the stored priority: an unknown priority is stored as
// normal, so every timer falls in one of the ranks that Claim scans.
func priorityRank(p detour.Priority) int {
	if r := p.Rank(); r >= 0 {
		return r
	}
	return detour.PriorityNormal.Rank()
}

// messageCols are the columns of a message row with its timer (from a LEFT
// JOIN of timers t), in the order scanMessage reads them.
const messageCols = `m.id, m.tenant_id, m.to_number, m.content, m.steps, m.priority, m.client_ref,
	m.callback_url, m.metadata, m.status, m.step, m.step_started_at, m.error_code, m.error_detail,
	m.created_at, m.updated_at, m.expires_at,
	t.kind, t.step, t.run_at, t.owner, t.lease`

// messageFrom is the FROM clause that goes with messageCols.
const messageFrom = `messages m LEFT JOIN timers t ON t.message_id = m.id`

type scanner interface{ Scan(dest ...any) error }

// scanMessage reads one row of messageCols.
func scanMessage(s scanner) (*detour.Message, error) {
	var (
		m                                  detour.Message
		content, steps, metadata           string
		prio                               int
		stepStarted, created, updated, exp int64
		tKind, tOwner                      *string
		tStep, tRunAt, tLease              *int64
	)
	err := s.Scan(&m.ID, &m.TenantID, &m.To, &content, &steps, &prio, &m.ClientRef,
		&m.CallbackURL, &metadata, &m.Status, &m.Step, &stepStarted, &m.ErrorCode, &m.ErrorDetail,
		&created, &updated, &exp,
		&tKind, &tStep, &tRunAt, &tOwner, &tLease)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(content), &m.Content); err != nil {
		return nil, fmt.Errorf("message %s: content: %w", m.ID, err)
	}
	if err := json.Unmarshal([]byte(steps), &m.Steps); err != nil {
		return nil, fmt.Errorf("message %s: steps: %w", m.ID, err)
	}
	if len(m.Steps) == 0 {
		m.Steps = nil
	}
	if metadata != "" {
		if err := json.Unmarshal([]byte(metadata), &m.Metadata); err != nil {
			return nil, fmt.Errorf("message %s: metadata: %w", m.ID, err)
		}
	}
	m.Priority = detour.PriorityOfRank(prio)
	m.StepStartedAt = fromMicros(stepStarted)
	m.CreatedAt, m.UpdatedAt, m.ExpiresAt = fromMicros(created), fromMicros(updated), fromMicros(exp)
	if tKind != nil {
		m.Timer = &detour.Timer{Kind: detour.TimerKind(*tKind), Step: int(*tStep), RunAt: fromMicros(*tRunAt),
			Owner: *tOwner, Lease: *tLease}
	}
	return &m, nil
}

// newMessageArgs returns the INSERT arguments of a new message, in the
// order of insertMessage. Encoding runs in the caller's goroutine, not the
// writer's.
func newMessageArgs(m *detour.Message) ([]any, error) {
	content, err := json.Marshal(&m.Content)
	if err != nil {
		return nil, fmt.Errorf("encode content: %w", err)
	}
	steps := []byte("[]")
	if len(m.Steps) > 0 {
		if steps, err = json.Marshal(m.Steps); err != nil {
			return nil, fmt.Errorf("encode steps: %w", err)
		}
	}
	var metadata []byte
	if len(m.Metadata) > 0 {
		if metadata, err = json.Marshal(m.Metadata); err != nil {
			return nil, fmt.Errorf("encode metadata: %w", err)
		}
	}
	return []any{m.ID, m.TenantID, m.To, string(content), string(steps), priorityRank(m.Priority),
		m.ClientRef, m.CallbackURL, string(metadata), string(m.Status), m.Step, micros(m.StepStartedAt),
		string(m.ErrorCode), m.ErrorDetail, micros(m.CreatedAt), micros(m.UpdatedAt), micros(m.ExpiresAt)}, nil
}

const insertMessage = `INSERT INTO messages (id, tenant_id, to_number, content, steps, priority, client_ref,
	callback_url, metadata, status, step, step_started_at, error_code, error_detail,
	created_at, updated_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// attemptCols are the columns of an attempt row, in scanAttempt's order.
const attemptCols = `id, message_id, step, channel, route, provider_id, status, segments, error_code,
	error_detail, created_at, sent_at, delivered_at, read_at, ended_at, updated_at, parts`

// insertAttempt inserts one attempt row; its arguments are attemptArgs.
const insertAttempt = `INSERT INTO attempts (` + attemptCols + `)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

func scanAttempt(s scanner) (*detour.Attempt, error) {
	var a detour.Attempt
	var created, sent, delivered, read, ended, updated int64
	var parts string
	err := s.Scan(&a.ID, &a.MessageID, &a.Step, &a.Channel, &a.Route, &a.ProviderID, &a.Status, &a.Segments,
		&a.ErrorCode, &a.ErrorDetail, &created, &sent, &delivered, &read, &ended, &updated, &parts)
	if err != nil {
		return nil, err
	}
	if parts != "" {
		if err := json.Unmarshal([]byte(parts), &a.Parts); err != nil {
			return nil, fmt.Errorf("attempt %s: parts: %w", a.ID, err)
		}
	}
	a.CreatedAt, a.SentAt, a.DeliveredAt = fromMicros(created), fromMicros(sent), fromMicros(delivered)
	a.ReadAt, a.EndedAt, a.UpdatedAt = fromMicros(read), fromMicros(ended), fromMicros(updated)
	return &a, nil
}

// attemptArgs returns an attempt's column values in attemptCols order.
// Comparing two attempts' args is how changes are detected.
func attemptArgs(a *detour.Attempt, messageID string) []any {
	parts := ""
	if len(a.Parts) > 0 {
		b, _ := json.Marshal(a.Parts) // a slice of plain structs always encodes
		parts = string(b)
	}
	return []any{a.ID, messageID, a.Step, a.Channel, a.Route, a.ProviderID, string(a.Status), a.Segments,
		string(a.ErrorCode), a.ErrorDetail, micros(a.CreatedAt), micros(a.SentAt), micros(a.DeliveredAt),
		micros(a.ReadAt), micros(a.EndedAt), micros(a.UpdatedAt), parts}
}

// timerArgs returns a timer's values in the order kind, step, run_at,
// priority, owner, lease.
func timerArgs(t *detour.Timer, prio detour.Priority) []any {
	return []any{string(t.Kind), t.Step, micros(t.RunAt), priorityRank(prio), t.Owner, t.Lease}
}

// messageStateArgs returns the mutable columns of a message in the order
// of updateMessage.
func messageStateArgs(m *detour.Message) []any {
	return []any{string(m.Status), m.Step, micros(m.StepStartedAt), string(m.ErrorCode), m.ErrorDetail,
		micros(m.UpdatedAt)}
}

// normalize sets every time of m to what reading it back gives: UTC,
// truncated to the microsecond. Messages returned from writes are
// normalized so that they equal a later read.
func normalize(m *detour.Message) {
	for _, t := range []*time.Time{&m.StepStartedAt, &m.CreatedAt, &m.UpdatedAt, &m.ExpiresAt} {
		*t = fromMicros(micros(*t))
	}
	if m.Timer != nil {
		m.Timer.RunAt = fromMicros(micros(m.Timer.RunAt))
	}
	for _, a := range m.Attempts {
		for _, t := range []*time.Time{&a.CreatedAt, &a.SentAt, &a.DeliveredAt, &a.ReadAt, &a.EndedAt, &a.UpdatedAt} {
			*t = fromMicros(micros(*t))
		}
	}
}
