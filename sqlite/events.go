package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"

	"github.com/detourhq/detour"
)

// insertStatusEvent writes the message.status event of m entering its
// status from previous, if it changed, in the caller's transaction.
func insertStatusEvent(ctx context.Context, tx *wtx, previous detour.Status, m *detour.Message) error {
	ev := detour.StatusEvent(previous, m)
	if ev == nil {
		return nil
	}
	return insertEvent(ctx, tx, ev, m.ID, m.CallbackURL)
}

// Events lists a tenant's events, and the system tenant's, newest first.
func (db *DB) Events(ctx context.Context, f detour.EventFilter) (detour.EventPage, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultListLimit
	}
	limit = min(limit, MaxListLimit)
	events, err := db.events(ctx, f.TenantID, f, limit+1)
	if err != nil {
		return detour.EventPage{}, err
	}
	if f.TenantID != detour.SystemTenant {
		// Two ranges of the primary key, merged: cheaper than one query
		// that would sort every event of both tenants.
		system, err := db.events(ctx, detour.SystemTenant, f, limit+1)
		if err != nil {
			return detour.EventPage{}, err
		}
		events = append(events, system...)
		slices.SortFunc(events, func(a, b *detour.Event) int { return strings.Compare(b.ID, a.ID) })
	}
	page := detour.EventPage{Events: events}
	if len(page.Events) > limit {
		page.Events, page.More = page.Events[:limit], true
	}
	return page, nil
}

// Event returns one of a tenant's events (or a system event), or
// ErrNotFound.
func (db *DB) Event(ctx context.Context, tenantID, id string) (*detour.Event, error) {
	for _, t := range []string{tenantID, detour.SystemTenant} {
		ev, err := scanEvent(db.reads.queryRow(ctx, `SELECT `+eventCols+` FROM events WHERE tenant_id = ? AND id = ?`, t, id))
		if err == nil {
			return ev, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return nil, wrap("read event", err)
		}
	}
	return nil, detour.ErrNotFound
}

const eventCols = `id, tenant_id, type, message_id, data, created_at`

func scanEvent(s scanner) (*detour.Event, error) {
	var ev detour.Event
	var data string
	var at int64
	if err := s.Scan(&ev.ID, &ev.TenantID, &ev.Type, &ev.MessageID, &data, &at); err != nil {
		return nil, err
	}
	ev.Data, ev.CreatedAt = []byte(data), fromMicros(at)
	return &ev, nil
}

// events lists up to limit events of one tenant id, newest first.
func (db *DB) events(ctx context.Context, tenantID string, f detour.EventFilter, limit int) ([]*detour.Event, error) {
	q := `SELECT ` + eventCols + ` FROM events WHERE tenant_id = ?`
	args := []any{tenantID}
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
	args = append(args, limit)
	out, err := queryAll(ctx, &db.reads, scanEvent, q, args...)
	return out, wrap("list events", err)
}

// AddEvent writes ev with its deliveries.
func (db *DB) AddEvent(ctx context.Context, ev *detour.Event) error {
	if ev.Type == "" || len(ev.Data) == 0 {
		return detour.Errorf(detour.CodeInternal, "an event needs a type and data")
	}
	err := db.w.do(ctx, func(tx *wtx) error { return insertEvent(ctx, tx, ev, "", "") })
	return wrap("add event", err)
}
