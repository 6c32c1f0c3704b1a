package sqlite

import (
	"context"

	"github.com/detourhq/detour"
)

// insertStatusEvent writes the message.status event of m entering its
// status from previous, if it changed, in the caller's transaction.
func insertStatusEvent(ctx context.Context, tx *wtx, ids *detour.IDSource, previous detour.Status, m *detour.Message) error {
	ev := detour.StatusEvent(ids, previous, m)
	if ev == nil {
		return nil
	}
	_, err := tx.exec(ctx, `INSERT INTO events (id, tenant_id, type, message_id, data, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		ev.ID, ev.TenantID, ev.Type, ev.MessageID, string(ev.Data), micros(ev.CreatedAt))
	return err
}

// Events lists a tenant's events, newest first.
func (db *DB) Events(ctx context.Context, f detour.EventFilter) (detour.EventPage, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultListLimit
	}
	limit = min(limit, MaxListLimit)
	q := `SELECT id, tenant_id, type, message_id, data, created_at FROM events WHERE tenant_id = ?`
	args := []any{f.TenantID}
	if f.Type != "" {
		q += ` AND type = ?`
		args = append(args, f.Type)
	}
	if f.MessageID != "" {
		q += ` AND message_id = ? AND message_id <> ''`
		args = append(args, f.MessageID)
	}
	if f.Before != "" {
		q += ` AND id < ?`
		args = append(args, f.Before)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit+1)
	rows, err := db.reads.query(ctx, q, args...)
	if err != nil {
		return detour.EventPage{}, wrap("list events", err)
	}
	defer rows.Close()
	var page detour.EventPage
	for rows.Next() {
		var ev detour.Event
		var data string
		var at int64
		if err := rows.Scan(&ev.ID, &ev.TenantID, &ev.Type, &ev.MessageID, &data, &at); err != nil {
			return detour.EventPage{}, wrap("list events", err)
		}
		ev.Data, ev.CreatedAt = []byte(data), fromMicros(at)
		page.Events = append(page.Events, &ev)
	}
	if err := rows.Err(); err != nil {
		return detour.EventPage{}, wrap("list events", err)
	}
	if len(page.Events) > limit {
		page.Events, page.More = page.Events[:limit], true
	}
	return page, nil
}
