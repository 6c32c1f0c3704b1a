package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/detourhq/detour"
)

// orphanBatch bounds how many kept receipts one RetryOrphans call looks at.
const orphanBatch = 256

// ApplyReceipt finds the attempt that r is about, by channel, route and
// provider id (the newest such attempt if a provider reused an id), and
// calls fn with its message and that attempt, saving what fn changes. If
// there is no such attempt yet, r is kept as an orphan for RetryOrphans and
// ApplyReceipt returns false.
func (db *DB) ApplyReceipt(ctx context.Context, r detour.Receipt, fn func(*detour.Message, *detour.Attempt) error) (bool, error) {
	received := micros(db.now())
	matched := false
	err := db.w.do(ctx, func(tx *wtx) error {
		matched = false
		msgID, attID, err := findAttempt(ctx, tx, r)
		if errors.Is(err, sql.ErrNoRows) {
			_, err := tx.exec(ctx, `INSERT INTO orphan_receipts (channel, route, provider_id, status, at, reason,
				detail, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, r.Channel, r.Route, r.ProviderID,
				string(r.Status), micros(r.At), string(r.Reason), r.Detail, received)
			return err
		}
		if err != nil {
			return err
		}
		_, err = change(ctx, tx, msgID, func(m *detour.Message) error { return fn(m, m.Attempt(attID)) })
		matched = err == nil
		return err
	})
	if err != nil {
		return false, wrap("apply receipt", err)
	}
	return matched, nil
}

// findAttempt returns the message and attempt ids a receipt is about, or
// sql.ErrNoRows: the newest attempt whose own provider id, or one of
// whose later parts' ids, is the receipt's (an SMSC may reuse ids).
func findAttempt(ctx context.Context, q querier, r detour.Receipt) (msgID, attID string, err error) {
	if r.ProviderID == "" {
		return "", "", sql.ErrNoRows
	}
	err = q.queryRow(ctx, `SELECT message_id, id FROM (
			SELECT message_id, id, rowid AS n FROM attempts
			WHERE channel = ?1 AND route = ?2 AND provider_id = ?3 AND provider_id <> ''
			UNION ALL
			SELECT a.message_id, a.id, a.rowid FROM attempt_parts p JOIN attempts a ON a.id = p.attempt_id
			WHERE p.channel = ?1 AND p.route = ?2 AND p.provider_id = ?3)
		ORDER BY n DESC LIMIT 1`, r.Channel, r.Route, r.ProviderID).Scan(&msgID, &attID)
	return msgID, attID, err
}

// RetryOrphans applies kept receipts whose attempt has appeared, oldest
// first, through fn, and drops unmatched ones received before dropBefore.
// It looks at a bounded batch per call, resuming after the last one it saw,
// and costs one indexed read when there are no orphans. A receipt whose fn
// fails is logged and kept.
func (db *DB) RetryOrphans(ctx context.Context, dropBefore time.Time, fn func(*detour.Message, *detour.Attempt, detour.Receipt) error) (int, error) {
	var some bool
	if err := db.reads.queryRow(ctx, `SELECT EXISTS (SELECT 1 FROM orphan_receipts)`).Scan(&some); err != nil {
		return 0, wrap("retry orphan receipts", err)
	}
	if !some {
		return 0, nil
	}
	drop := micros(dropBefore)
	applied := 0
	err := db.w.do(ctx, func(tx *wtx) error {
		applied = 0
		orphans, err := db.nextOrphans(ctx, tx)
		if err != nil {
			return err
		}
		for _, o := range orphans {
			done, err := db.retryOrphan(ctx, tx, o, fn)
			if err != nil {
				return err
			}
			if done {
				applied++
			}
			if done || o.receivedAt < drop {
				if _, err := tx.exec(ctx, `DELETE FROM orphan_receipts WHERE id = ?`, o.id); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, wrap("retry orphan receipts", err)
	}
	return applied, nil
}

type orphan struct {
	id         int64
	receivedAt int64
	r          detour.Receipt
}

// nextOrphans returns the next batch of kept receipts after the cursor,
// and moves the cursor; after the last one it starts again from the
// oldest. Only the writer goroutine touches the cursor.
func (db *DB) nextOrphans(ctx context.Context, tx *wtx) ([]orphan, error) {
	rows, err := tx.query(ctx, `SELECT id, channel, route, provider_id, status, at, reason, detail, received_at
		FROM orphan_receipts WHERE id > ? ORDER BY id LIMIT ?`, db.orphanCursor, orphanBatch)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var batch []orphan
	for rows.Next() {
		var o orphan
		var at int64
		if err := rows.Scan(&o.id, &o.r.Channel, &o.r.Route, &o.r.ProviderID, &o.r.Status, &at, &o.r.Reason,
			&o.r.Detail, &o.receivedAt); err != nil {
			return nil, err
		}
		o.r.At = fromMicros(at)
		batch = append(batch, o)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	db.orphanCursor = 0
	if len(batch) == orphanBatch {
		db.orphanCursor = batch[len(batch)-1].id
	}
	return batch, nil
}

// retryOrphan applies one kept receipt if its attempt exists now. It
// returns an error only if saving failed, which fails the whole call.
func (db *DB) retryOrphan(ctx context.Context, tx *wtx, o orphan, fn func(*detour.Message, *detour.Attempt, detour.Receipt) error) (applied bool, err error) {
	msgID, attID, err := findAttempt(ctx, tx, o.r)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	m, err := tx.load(ctx, "", msgID)
	if err != nil {
		return false, err
	}
	before := m.Clone()
	if err := call(tx, func(*wtx) error { return fn(m, m.Attempt(attID), o.r) }); err != nil {
		db.log.Error("sqlite: applying a kept receipt failed; keeping it", "message", msgID, "attempt", attID, "err", err)
		return false, nil
	}
	if err := save(ctx, tx, before, m); err != nil {
		return false, err
	}
	tx.remember(m)
	return true, nil
}
