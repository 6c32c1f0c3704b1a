package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/detourhq/detour"
)

// Listing limits.
const (
	DefaultListLimit = 50
	MaxListLimit     = 500
)

// CreateMessage stores m with its timer and, with idem, the tenant's
// idempotency key, in one write, and returns m with its times as stored
// (UTC, to the microsecond). A key seen before with the same request
// hash returns the stored message and replayed=true; with another hash,
// CodeIdempotencyConflict.
func (db *DB) CreateMessage(ctx context.Context, m *detour.Message, idem *detour.Idempotency) (*detour.Message, bool, error) {
	if m.ID == "" || m.TenantID == "" {
		return nil, false, detour.Errorf(detour.CodeInternal, "a message needs an id and a tenant")
	}
	args, err := newMessageArgs(m)
	if err != nil {
		return nil, false, wrap("create message", err)
	}
	var idemCreated int64
	if idem != nil {
		idemCreated = micros(idem.CreatedAt)
		if idemCreated == 0 {
			idemCreated = micros(db.now())
		}
	}
	var replay *detour.Message
	err = db.w.do(ctx, func(tx *wtx) error {
		if idem != nil {
			var hash []byte
			var id string
			err := tx.queryRow(ctx, `SELECT request_hash, message_id FROM idempotency_keys
				WHERE tenant_id = ? AND key = ?`, m.TenantID, idem.Key).Scan(&hash, &id)
			switch {
			case err == nil && !bytes.Equal(hash, idem.RequestHash):
				return detour.FieldErrorf(detour.CodeIdempotencyConflict, "Idempotency-Key",
					"this Idempotency-Key was used with another request")
			case err == nil:
				replay, err = tx.load(ctx, m.TenantID, id)
				return err
			case !errors.Is(err, sql.ErrNoRows):
				return err
			}
		}
		if _, err := tx.exec(ctx, insertMessage, args...); err != nil {
			return err
		}
		if m.Timer != nil {
			if err := insertTimer(ctx, tx, m); err != nil {
				return err
			}
		}
		for _, a := range m.Attempts {
			if _, err := tx.exec(ctx, insertAttempt, attemptArgs(a, m.ID)...); err != nil {
				return err
			}
			if err := indexParts(ctx, tx, nil, a); err != nil {
				return err
			}
		}
		tx.remember(m)
		if idem != nil {
			_, err := tx.exec(ctx, `INSERT INTO idempotency_keys (tenant_id, key, request_hash, message_id, created_at)
				VALUES (?, ?, ?, ?, ?)`, m.TenantID, idem.Key, idem.RequestHash, m.ID, idemCreated)
			return err
		}
		return nil
	})
	if err != nil {
		return nil, false, wrap("create message", err)
	}
	if replay != nil {
		return replay, true, nil
	}
	normalize(m)
	return m, false, nil
}

// Message returns a tenant's message with its attempts and timer, read in
// one transaction. Another tenant's message is ErrNotFound.
func (db *DB) Message(ctx context.Context, tenantID, id string) (*detour.Message, error) {
	if tenantID == "" {
		return nil, detour.ErrNotFound
	}
	tx, err := db.readTx(ctx)
	if err != nil {
		return nil, wrap("read message", err)
	}
	defer tx.done()
	m, err := loadMessage(ctx, tx, tenantID, id)
	return m, wrap("read message", err)
}

// Messages lists a tenant's messages newest first, without attempts.
func (db *DB) Messages(ctx context.Context, f detour.MessageFilter) (detour.MessagePage, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultListLimit
	}
	limit = min(limit, MaxListLimit)
	var q strings.Builder
	q.WriteString(`SELECT ` + messageCols + ` FROM ` + messageFrom + ` WHERE m.tenant_id = ?`)
	args := []any{f.TenantID}
	if f.Status != "" {
		q.WriteString(` AND m.status = ?`)
		args = append(args, string(f.Status))
	}
	if f.To != "" {
		q.WriteString(` AND m.to_number = ?`)
		args = append(args, f.To)
	}
	if f.ClientRef != "" {
		// The literal lets SQLite use the partial index on client_ref.
		q.WriteString(` AND m.client_ref = ? AND m.client_ref <> ''`)
		args = append(args, f.ClientRef)
	}
	if !f.CreatedAfter.IsZero() {
		q.WriteString(` AND m.created_at >= ?`)
		args = append(args, micros(f.CreatedAfter))
	}
	if !f.CreatedBefore.IsZero() {
		q.WriteString(` AND m.created_at < ?`)
		args = append(args, micros(f.CreatedBefore))
	}
	if f.Before != "" {
		q.WriteString(` AND m.id < ?`)
		args = append(args, f.Before)
	}
	q.WriteString(` ORDER BY m.id DESC LIMIT ?`)
	args = append(args, limit+1)

	rows, err := db.reads.query(ctx, q.String(), args...)
	if err != nil {
		return detour.MessagePage{}, wrap("list messages", err)
	}
	defer rows.Close()
	var page detour.MessagePage
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return detour.MessagePage{}, wrap("list messages", err)
		}
		page.Messages = append(page.Messages, m)
	}
	if err := rows.Err(); err != nil {
		return detour.MessagePage{}, wrap("list messages", err)
	}
	if len(page.Messages) > limit {
		page.Messages, page.More = page.Messages[:limit], true
	}
	return page, nil
}

// UpdateMessage loads message id of any tenant, calls fn and saves what fn
// changed, atomically. If fn fails nothing is saved and its error returned.
func (db *DB) UpdateMessage(ctx context.Context, id string, fn func(*detour.Message) error) error {
	err := db.w.do(ctx, func(tx *wtx) error {
		_, err := change(ctx, tx, id, fn)
		return err
	})
	return wrap("update message", err)
}

// PurgeIdempotency deletes idempotency keys created before t and returns
// how many.
func (db *DB) PurgeIdempotency(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := db.w.do(ctx, func(tx *wtx) error {
		res, err := tx.exec(ctx, `DELETE FROM idempotency_keys WHERE created_at < ?`, micros(before))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), wrap("purge idempotency keys", err)
}
