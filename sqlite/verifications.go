package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/detourhq/detour"
)

// verificationCols are the columns of a verification row, in the order
// scanVerification reads them and insertVerification writes them.
const verificationCols = `id, tenant_id, to_number, channels, locale, template, brand, code_length, code_seed,
	code_hash, status, checks, sends, created_at, updated_at, expires_at`

const insertVerification = `INSERT INTO verifications (` + verificationCols + `)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// storedSend is a detour.VerificationSend as the sends column keeps it.
type storedSend struct {
	MessageID string `json:"message_id"`
	Channel   string `json:"channel"`
	CreatedAt int64  `json:"created_at"` // unix microseconds
}

func encodeSends(sends []detour.VerificationSend) string {
	out := make([]storedSend, len(sends))
	for i, s := range sends {
		out[i] = storedSend{MessageID: s.MessageID, Channel: s.Channel, CreatedAt: micros(s.CreatedAt)}
	}
	b, _ := json.Marshal(out) // plain values always encode
	return string(b)
}

func verificationArgs(v *detour.Verification) []any {
	channels, _ := json.Marshal(v.Channels) // strings always encode
	return []any{v.ID, v.TenantID, v.To, string(channels), v.Locale, v.Template, v.Brand, v.CodeLength, v.CodeSeed,
		v.CodeHash, string(v.Status), v.Checks, encodeSends(v.Sends), micros(v.CreatedAt), micros(v.UpdatedAt),
		micros(v.ExpiresAt)}
}

func scanVerification(s scanner) (*detour.Verification, error) {
	var (
		v                         detour.Verification
		channels, sends           string
		created, updated, expires int64
	)
	err := s.Scan(&v.ID, &v.TenantID, &v.To, &channels, &v.Locale, &v.Template, &v.Brand, &v.CodeLength, &v.CodeSeed,
		&v.CodeHash, &v.Status, &v.Checks, &sends, &created, &updated, &expires)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(channels), &v.Channels); err != nil {
		return nil, fmt.Errorf("verification %s: channels: %w", v.ID, err)
	}
	var stored []storedSend
	if err := json.Unmarshal([]byte(sends), &stored); err != nil {
		return nil, fmt.Errorf("verification %s: sends: %w", v.ID, err)
	}
	for _, s := range stored {
		v.Sends = append(v.Sends, detour.VerificationSend{MessageID: s.MessageID, Channel: s.Channel, CreatedAt: fromMicros(s.CreatedAt)})
	}
	v.CreatedAt, v.UpdatedAt, v.ExpiresAt = fromMicros(created), fromMicros(updated), fromMicros(expires)
	return &v, nil
}

// normalizeVerification sets v's times to what reading them back gives.
func normalizeVerification(v *detour.Verification) {
	for _, t := range []*time.Time{&v.CreatedAt, &v.UpdatedAt, &v.ExpiresAt} {
		*t = fromMicros(micros(*t))
	}
	for i := range v.Sends {
		v.Sends[i].CreatedAt = fromMicros(micros(v.Sends[i].CreatedAt))
		v.Sends[i].Status = ""
	}
}

// CreateVerification stores v as the tenant's pending verification of
// v.To, or returns the pending one there is (see
// detour.VerificationStore), in one write.
func (db *DB) CreateVerification(ctx context.Context, v *detour.Verification, replace bool) (*detour.Verification, *detour.Verification, error) {
	if v.ID == "" || v.TenantID == "" || v.Status != detour.VerificationPending {
		return nil, nil, detour.Errorf(detour.CodeInternal, "a new verification needs an id, a tenant and the pending status")
	}
	args := verificationArgs(v)
	var existing, ended *detour.Verification
	err := db.w.do(ctx, func(tx *wtx) error {
		existing, ended = nil, nil
		old, err := scanVerification(tx.queryRow(ctx, `SELECT `+verificationCols+` FROM verifications
			WHERE tenant_id = ? AND to_number = ? AND status = 'pending'`, v.TenantID, v.To))
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		case !v.CreatedAt.Before(old.ExpiresAt) || replace:
			before := old.Status
			if !old.Expire(v.CreatedAt) {
				old.SetStatus(detour.VerificationCanceled, v.CreatedAt)
			}
			if err := saveVerification(ctx, tx, before, old); err != nil {
				return err
			}
			ended = old
		default:
			existing = old
			return nil
		}
		_, err = tx.exec(ctx, insertVerification, args...)
		return err
	})
	if err != nil {
		return nil, nil, wrap("create verification", err)
	}
	if existing != nil {
		return existing, nil, nil
	}
	stored := v.Clone()
	normalizeVerification(stored)
	return stored, ended, nil
}

// saveVerification writes the mutable columns of v and, if its status
// changed from before, its verification.status event, in tx.
func saveVerification(ctx context.Context, tx *wtx, before detour.VerificationStatus, v *detour.Verification) error {
	err := mustAffect(tx.exec(ctx, `UPDATE verifications SET status = ?, checks = ?, sends = ?, updated_at = ?
		WHERE id = ?`, string(v.Status), v.Checks, encodeSends(v.Sends), micros(v.UpdatedAt), v.ID))
	if err != nil {
		return fmt.Errorf("update verification %s: %w", v.ID, err)
	}
	ev := detour.VerificationEvent(tx.w.ids, before, v)
	if ev == nil {
		return nil
	}
	// With its webhook deliveries; one verification's events in order.
	if err := insertEvent(ctx, tx, ev, verificationChain(v.ID), ""); err != nil {
		return fmt.Errorf("event for verification %s: %w", v.ID, err)
	}
	return nil
}

// PendingVerification returns the tenant's pending verification of to.
func (db *DB) PendingVerification(ctx context.Context, tenantID, to string) (*detour.Verification, error) {
	v, err := scanVerification(db.reads.queryRow(ctx, `SELECT `+verificationCols+` FROM verifications
		WHERE tenant_id = ? AND to_number = ? AND status = 'pending'`, tenantID, to))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, detour.ErrNotFound
	}
	return v, wrap("read pending verification", err)
}

// Verification returns one of the tenant's verifications.
func (db *DB) Verification(ctx context.Context, tenantID, id string) (*detour.Verification, error) {
	v, err := scanVerification(db.reads.queryRow(ctx, `SELECT `+verificationCols+` FROM verifications WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) || err == nil && (tenantID == "" || v.TenantID != tenantID) {
		return nil, detour.ErrNotFound
	}
	return v, wrap("read verification", err)
}

// UpdateVerification loads the tenant's verification on the writer, calls
// fn and saves what it changed, in one write. The writer runs one write at
// a time, so concurrent updates of one verification never interleave.
func (db *DB) UpdateVerification(ctx context.Context, tenantID, id string, fn func(*detour.Verification) error) (*detour.Verification, error) {
	var out *detour.Verification
	err := db.w.do(ctx, func(tx *wtx) error {
		v, err := scanVerification(tx.queryRow(ctx, `SELECT `+verificationCols+` FROM verifications WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) || err == nil && (tenantID == "" || v.TenantID != tenantID) {
			return detour.ErrNotFound
		}
		if err != nil {
			return err
		}
		before := v.Clone()
		if err := fn(v); err != nil {
			return err
		}
		if v.ID != before.ID || v.TenantID != before.TenantID || v.To != before.To {
			return fmt.Errorf("verification %s: only its status, checks and sends may change", before.ID)
		}
		if v.Status != before.Status && (before.Status.Final() || !v.Status.Valid()) {
			return fmt.Errorf("verification %s: %s cannot become %q", before.ID, before.Status, v.Status)
		}
		if v.Status != before.Status || v.Checks != before.Checks || encodeSends(v.Sends) != encodeSends(before.Sends) ||
			!v.UpdatedAt.Equal(before.UpdatedAt) {
			if err := saveVerification(ctx, tx, before.Status, v); err != nil {
				return err
			}
		}
		out = v
		return nil
	})
	if err != nil {
		return nil, wrap("update verification", err)
	}
	normalizeVerification(out)
	return out, nil
}

// ExpireVerifications expires up to limit pending verifications whose
// expiry passed at now, each with its event, in one write.
func (db *DB) ExpireVerifications(ctx context.Context, now time.Time, limit int) (int, error) {
	if limit <= 0 {
		limit = DefaultListLimit
	}
	n := 0
	err := db.w.do(ctx, func(tx *wtx) error {
		n = 0
		rows, err := tx.query(ctx, `SELECT `+verificationCols+` FROM verifications
			WHERE status = 'pending' AND expires_at <= ? ORDER BY expires_at LIMIT ?`, micros(now), limit)
		if err != nil {
			return err
		}
		var due []*detour.Verification
		for rows.Next() {
			v, err := scanVerification(rows)
			if err != nil {
				rows.Close()
				return err
			}
			due = append(due, v)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, v := range due {
			if v.Expire(now) {
				if err := saveVerification(ctx, tx, detour.VerificationPending, v); err != nil {
					return err
				}
				n++
			}
		}
		return nil
	})
	return n, wrap("expire verifications", err)
}
