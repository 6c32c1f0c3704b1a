package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/detourhq/detour"
)

// The queries of loadMessage, also run in read transactions.
const (
	selectMessage  = `SELECT ` + messageCols + ` FROM ` + messageFrom + ` WHERE m.id = ?`
	selectAttempts = `SELECT ` + attemptCols + ` FROM attempts WHERE message_id = ? ORDER BY rowid`
)

// loadMessage reads a message with its timer and attempts through q. With
// a tenant, a message of another tenant is not found.
func loadMessage(ctx context.Context, q querier, tenantID, id string) (*detour.Message, error) {
	m, err := scanMessage(q.queryRow(ctx, selectMessage, id))
	if errors.Is(err, sql.ErrNoRows) || err == nil && tenantID != "" && m.TenantID != tenantID {
		return nil, detour.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	rows, err := q.query(ctx, selectAttempts, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		a, err := scanAttempt(rows)
		if err != nil {
			return nil, err
		}
		m.Attempts = append(m.Attempts, a)
	}
	return m, rows.Err()
}

// change loads message id, lets fn change it and saves the difference. The
// caller runs it on the writer, inside an op.
func change(ctx context.Context, tx *wtx, id string, fn func(*detour.Message) error) (*detour.Message, error) {
	m, err := tx.load(ctx, "", id)
	if err != nil {
		return nil, err
	}
	before := m.Clone()
	if err := fn(m); err != nil {
		return nil, err
	}
	if err := save(ctx, tx, before, m); err != nil {
		return nil, err
	}
	tx.remember(m)
	return m, nil
}

// save writes what changed between before (as loaded) and after: the
// message's mutable columns, new and changed attempts, and the timer.
// Everything else about a message is fixed at creation. Attempts are never
// deleted.
func save(ctx context.Context, tx *wtx, before, after *detour.Message) error {
	if after.ID != before.ID {
		return fmt.Errorf("message %s: the id cannot change", before.ID)
	}
	if st := messageStateArgs(after); !slices.Equal(st, messageStateArgs(before)) {
		err := mustAffect(tx.exec(ctx, `UPDATE messages SET status = ?, step = ?, step_started_at = ?,
			error_code = ?, error_detail = ?, updated_at = ? WHERE id = ?`, append(st, after.ID)...))
		if err != nil {
			return fmt.Errorf("update message %s: %w", after.ID, err)
		}
	}
	if err := saveAttempts(ctx, tx, before, after); err != nil {
		return err
	}
	if err := insertStatusEvent(ctx, tx, before.Status, after); err != nil {
		return fmt.Errorf("event for message %s: %w", after.ID, err)
	}
	return saveTimer(ctx, tx, before, after)
}

func saveAttempts(ctx context.Context, tx *wtx, before, after *detour.Message) error {
	old := make(map[string]*detour.Attempt, len(before.Attempts))
	for _, a := range before.Attempts {
		old[a.ID] = a
	}
	for _, a := range after.Attempts {
		if a.ID == "" {
			return fmt.Errorf("message %s: an attempt has no id", after.ID)
		}
		args := attemptArgs(a, after.ID)
		prev, ok := old[a.ID]
		switch {
		case !ok:
			if _, err := tx.exec(ctx, insertAttempt, args...); err != nil {
				return fmt.Errorf("insert attempt %s: %w", a.ID, err)
			}
		case !slices.Equal(args, attemptArgs(prev, after.ID)):
			err := mustAffect(tx.exec(ctx, `UPDATE attempts SET step = ?, channel = ?, route = ?,
				provider_id = ?, status = ?, segments = ?, error_code = ?, error_detail = ?, created_at = ?,
				sent_at = ?, delivered_at = ?, read_at = ?, ended_at = ?, updated_at = ?, parts = ? WHERE id = ?`,
				append(args[2:], a.ID)...))
			if err != nil {
				return fmt.Errorf("update attempt %s: %w", a.ID, err)
			}
		}
		if err := indexParts(ctx, tx, prev, a); err != nil {
			return err
		}
	}
	return nil
}

// indexParts records, for receipts, which attempt each part's provider id
// belongs to, for parts that were not indexed before (prev is the attempt
// as loaded, nil if new). The first part is found through the attempt's
// own provider_id.
func indexParts(ctx context.Context, tx *wtx, prev, a *detour.Attempt) error {
	if len(a.Parts) < 2 || prev != nil && len(prev.Parts) == len(a.Parts) {
		return nil
	}
	for _, p := range a.Parts[1:] {
		_, err := tx.exec(ctx, `INSERT OR IGNORE INTO attempt_parts (channel, route, provider_id, attempt_id)
			VALUES (?, ?, ?, ?)`, a.Channel, a.Route, p.ProviderID, a.ID)
		if err != nil {
			return fmt.Errorf("index parts of attempt %s: %w", a.ID, err)
		}
	}
	return nil
}

func saveTimer(ctx context.Context, tx *wtx, before, after *detour.Message) error {
	switch {
	case after.Timer == nil && before.Timer == nil:
		return nil
	case after.Timer == nil:
		_, err := tx.exec(ctx, `DELETE FROM timers WHERE message_id = ?`, after.ID)
		if err != nil {
			return fmt.Errorf("delete timer of %s: %w", after.ID, err)
		}
		return nil
	case before.Timer == nil:
		return insertTimer(ctx, tx, after)
	}
	args := timerArgs(after.Timer, after.Priority)
	if slices.Equal(args, timerArgs(before.Timer, before.Priority)) {
		return nil
	}
	err := mustAffect(tx.exec(ctx, `UPDATE timers SET kind = ?, step = ?, run_at = ?, priority = ?, owner = ?,
		lease = ? WHERE message_id = ?`, append(args, after.ID)...))
	if err != nil {
		return fmt.Errorf("update timer of %s: %w", after.ID, err)
	}
	return nil
}

func insertTimer(ctx context.Context, tx *wtx, m *detour.Message) error {
	_, err := tx.exec(ctx, `INSERT INTO timers (kind, step, run_at, priority, owner, lease, message_id)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, append(timerArgs(m.Timer, m.Priority), m.ID)...)
	if err != nil {
		return fmt.Errorf("insert timer of %s: %w", m.ID, err)
	}
	return nil
}
