package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/detourhq/detour"
)

const inboundCols = `id, channel, route, provider_id, from_number, to_number, text, received_at`

// SaveInbound stores an inbound message, or returns the one stored before
// with the same channel, route and provider id.
func (db *DB) SaveInbound(ctx context.Context, in *detour.Inbound) (*detour.Inbound, bool, error) {
	if in.ID == "" || in.Channel == "" {
		return nil, false, detour.Errorf(detour.CodeInternal, "an inbound message needs an id and a channel")
	}
	var first *detour.Inbound
	err := db.w.do(ctx, func(tx *wtx) error {
		first = nil
		if in.ProviderID != "" {
			got, err := scanInbound(tx.queryRow(ctx, `SELECT `+inboundCols+` FROM inbound
				WHERE channel = ? AND route = ? AND provider_id = ?`, in.Channel, in.Route, in.ProviderID))
			if err == nil {
				first = got
				return nil
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		_, err := tx.exec(ctx, `INSERT INTO inbound (`+inboundCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			in.ID, in.Channel, in.Route, in.ProviderID, in.From, in.To, in.Text, micros(in.ReceivedAt))
		if err != nil {
			return err
		}
		ev := detour.InboundEvent(in)
		if ev.TenantID, err = inboundTenant(ctx, tx, in.From); err != nil {
			return err
		}
		// One user's messages reach an endpoint in the order they came.
		return insertEvent(ctx, tx, ev, inboundChain(in.From), "")
	})
	if err != nil {
		return nil, false, wrap("save inbound message", err)
	}
	if first != nil {
		return first, true, nil
	}
	out := *in
	out.ReceivedAt = fromMicros(micros(in.ReceivedAt))
	return &out, false, nil
}

// InboundMessages lists inbound messages, newest first.
func (db *DB) InboundMessages(ctx context.Context, f detour.InboundFilter) ([]*detour.Inbound, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultListLimit
	}
	limit = min(limit, MaxListLimit)
	q := `SELECT ` + inboundCols + ` FROM inbound WHERE 1 = 1`
	var args []any
	if f.Channel != "" {
		q += ` AND channel = ?`
		args = append(args, f.Channel)
	}
	if f.From != "" {
		q += ` AND from_number = ?`
		args = append(args, f.From)
	}
	if f.Before != "" {
		q += ` AND id < ?`
		args = append(args, f.Before)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)
	out, err := queryAll(ctx, &db.reads, scanInbound, q, args...)
	return out, wrap("list inbound messages", err)
}

func scanInbound(row scanner) (*detour.Inbound, error) {
	var in detour.Inbound
	var at int64
	if err := row.Scan(&in.ID, &in.Channel, &in.Route, &in.ProviderID, &in.From, &in.To, &in.Text, &at); err != nil {
		return nil, err
	}
	in.ReceivedAt = fromMicros(at)
	return &in, nil
}

// maxTenantsScanned bounds the tenants inboundTenant looks through.
const maxTenantsScanned = 1000

// inboundTenant returns the tenant that last sent a message to from: the
// one an answer belongs to. With none, the message stays the node's (the
// system tenant: every tenant sees it). Tenants are walked one index seek
// at a time (they are few); each answers with one more seek.
func inboundTenant(ctx context.Context, tx *wtx, from string) (string, error) {
	best, bestID := detour.SystemTenant, ""
	after := ""
	for range maxTenantsScanned {
		var tenant sql.NullString
		if err := tx.queryRow(ctx, `SELECT MIN(tenant_id) FROM messages WHERE tenant_id > ?`, after).Scan(&tenant); err != nil {
			return "", err
		}
		if !tenant.Valid {
			break
		}
		after = tenant.String
		var id string
		err := tx.queryRow(ctx, `SELECT id FROM messages WHERE tenant_id = ? AND to_number = ? ORDER BY id DESC LIMIT 1`,
			tenant.String, from).Scan(&id)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return "", err
		case id > bestID:
			best, bestID = tenant.String, id
		}
	}
	return best, nil
}
