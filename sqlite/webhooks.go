package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/detourhq/detour"
)

var _ detour.WebhookStore = (*DB)(nil)

// CreateEndpoint stores e.
func (db *DB) CreateEndpoint(ctx context.Context, e *detour.WebhookEndpoint) error {
	if e.ID == "" || e.TenantID == "" || len(e.Secrets) == 0 {
		return detour.Errorf(detour.CodeInternal, "an endpoint needs an id, a tenant and a secret")
	}
	err := db.w.do(ctx, func(tx *wtx) error { return insertEndpoint(ctx, tx, e) })
	return wrap("create webhook endpoint", err)
}

// Endpoint returns a tenant's endpoint, or ErrNotFound.
func (db *DB) Endpoint(ctx context.Context, tenantID, id string) (*detour.WebhookEndpoint, error) {
	e, err := oneEndpoint(ctx, &db.reads, `tenant_id = ? AND id = ?`, tenantID, id)
	if err != nil {
		return nil, wrap("read webhook endpoint", err)
	}
	return e, nil
}

// Endpoints lists a tenant's endpoints, oldest first.
func (db *DB) Endpoints(ctx context.Context, tenantID string) ([]*detour.WebhookEndpoint, error) {
	eps, err := tenantEndpoints(ctx, &db.reads, tenantID)
	return eps, wrap("list webhook endpoints", err)
}

// UpdateEndpoint loads a tenant's endpoint, calls fn and saves it. A
// re-enabled endpoint's pending deliveries are due at once.
func (db *DB) UpdateEndpoint(ctx context.Context, tenantID, id string, fn func(*detour.WebhookEndpoint) error) (*detour.WebhookEndpoint, error) {
	var out *detour.WebhookEndpoint
	err := db.w.do(ctx, func(tx *wtx) error {
		e, err := oneEndpoint(ctx, tx, `tenant_id = ? AND id = ?`, tenantID, id)
		if err != nil {
			return err
		}
		wasDisabled := e.Disabled
		if err := fn(e); err != nil {
			return err
		}
		if e.ID != id || e.TenantID != tenantID {
			return errors.New("an endpoint's id and tenant cannot change")
		}
		if err := updateEndpoint(ctx, tx, e); err != nil {
			return err
		}
		switch {
		case wasDisabled && !e.Disabled:
			// Resumed, each with a fresh retry window.
			now := micros(tx.w.now())
			if _, err := tx.exec(ctx, `UPDATE webhook_deliveries SET next_at = ?, created_at = ? WHERE endpoint_id = ? AND status = 'pending'`,
				now, now, id); err != nil {
				return err
			}
			tx.w.newDeliveries = true
		case !wasDisabled && e.Disabled:
			if err := parkDeliveries(ctx, tx, id); err != nil {
				return err
			}
		}
		out = e
		return nil
	})
	if err != nil {
		return nil, wrap("update webhook endpoint", err)
	}
	return out, nil
}

func updateEndpoint(ctx context.Context, tx *wtx, e *detour.WebhookEndpoint) error {
	args, err := endpointArgs(e)
	if err != nil {
		return err
	}
	tx.w.hooks.reset()
	return mustAffect(tx.exec(ctx, `UPDATE webhook_endpoints SET kind = ?, url = ?, description = ?, event_types = ?,
		secrets = ?, disabled_at = ?, disabled_reason = ?, failing_since = ?, failures = ?, created_at = ?, updated_at = ?
		WHERE id = ?`, append(args[2:], e.ID)...))
}

// parked is the next_at of the pending deliveries of a disabled endpoint:
// never due, so the due scans never meet them.
const parked = math.MaxInt64

func parkDeliveries(ctx context.Context, tx *wtx, endpointID string) error {
	_, err := tx.exec(ctx, `UPDATE webhook_deliveries SET next_at = ? WHERE endpoint_id = ? AND status = 'pending'`, int64(parked), endpointID)
	return err
}

// DeleteEndpoint deletes a tenant's endpoint with its deliveries and log.
func (db *DB) DeleteEndpoint(ctx context.Context, tenantID, id string) error {
	err := db.w.do(ctx, func(tx *wtx) error {
		tx.w.hooks.reset()
		res, err := tx.exec(ctx, `DELETE FROM webhook_endpoints WHERE tenant_id = ? AND id = ?`, tenantID, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return detour.ErrNotFound
		}
		if _, err := tx.exec(ctx, `DELETE FROM webhook_attempts WHERE delivery_id IN
			(SELECT id FROM webhook_deliveries WHERE endpoint_id = ?)`, id); err != nil {
			return err
		}
		_, err = tx.exec(ctx, `DELETE FROM webhook_deliveries WHERE endpoint_id = ?`, id)
		return err
	})
	return wrap("delete webhook endpoint", err)
}

// DeliveriesQueued is signalled (without blocking, so it may coalesce)
// after a commit that queued webhook deliveries.
func (db *DB) DeliveriesQueued() <-chan struct{} { return db.w.delivered }

const deliveryCols = `d.id, d.tenant_id, d.endpoint_id, d.event_id, d.url, d.status, d.tries, d.next_at, d.created_at,
	d.ended_at, d.last_status, d.last_error`

func scanDelivery(s scanner, extra ...any) (*detour.WebhookDelivery, error) {
	var d detour.WebhookDelivery
	var next, created, ended int64
	dest := append([]any{&d.ID, &d.TenantID, &d.EndpointID, &d.EventID, &d.URL, &d.Status, &d.Tries, &next, &created,
		&ended, &d.LastStatus, &d.LastError}, extra...)
	if err := s.Scan(dest...); err != nil {
		return nil, err
	}
	d.NextAt, d.CreatedAt, d.EndedAt = fromMicros(next), fromMicros(created), fromMicros(ended)
	return &d, nil
}

// DueDeliveries leases due deliveries that are first in their chain.
func (db *DB) DueDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*detour.WebhookDelivery, map[string]*detour.WebhookEndpoint, error) {
	var out []*detour.WebhookDelivery
	var eps map[string]*detour.WebhookEndpoint
	err := db.w.do(ctx, func(tx *wtx) error {
		out, eps = nil, map[string]*detour.WebhookEndpoint{}
		rows, err := tx.query(ctx, `SELECT `+deliveryCols+`, `+prefixed("ev.", eventCols)+`
			FROM webhook_deliveries d
			JOIN webhook_endpoints e ON e.id = d.endpoint_id
			JOIN events ev ON ev.tenant_id = d.event_tenant AND ev.id = d.event_id
			WHERE d.status = 'pending' AND d.next_at <= ? AND e.disabled_at = 0
			AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.endpoint_id = d.endpoint_id
				AND p.chain = d.chain AND p.status = 'pending' AND p.id < d.id)
			ORDER BY d.next_at LIMIT ?`, micros(now), limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			var ev detour.Event
			var data string
			var at int64
			d, err := scanDelivery(rows, &ev.ID, &ev.TenantID, &ev.Type, &ev.MessageID, &data, &at)
			if err != nil {
				rows.Close()
				return err
			}
			ev.Data, ev.CreatedAt = []byte(data), fromMicros(at)
			d.Event = &ev
			out = append(out, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		until := micros(now.Add(lease))
		for _, d := range out {
			if _, err := tx.exec(ctx, `UPDATE webhook_deliveries SET next_at = ? WHERE id = ?`, until, d.ID); err != nil {
				return err
			}
			if eps[d.EndpointID] != nil {
				continue
			}
			e, err := oneEndpoint(ctx, tx, `id = ?`, d.EndpointID)
			if err != nil && !errors.Is(err, detour.ErrNotFound) {
				return err
			}
			eps[d.EndpointID] = e
		}
		return nil
	})
	if err != nil {
		return nil, nil, wrap("lease webhook deliveries", err)
	}
	return out, eps, nil
}

func prefixed(prefix, cols string) string {
	parts := strings.Split(cols, ",")
	for i, p := range parts {
		parts[i] = prefix + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

// NextDelivery returns the earliest next try of a pending delivery.
func (db *DB) NextDelivery(ctx context.Context) (time.Time, bool, error) {
	var at sql.NullInt64
	err := db.reads.queryRow(ctx, `SELECT MIN(d.next_at) FROM webhook_deliveries d
		JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.status = 'pending' AND e.disabled_at = 0`).Scan(&at)
	if err != nil {
		return time.Time{}, false, wrap("next webhook delivery", err)
	}
	if !at.Valid {
		return time.Time{}, false, nil
	}
	return fromMicros(at.Int64), true, nil
}

// RecordDeliveries saves tries, their log rows and the endpoints' streaks.
func (db *DB) RecordDeliveries(ctx context.Context, results []detour.DeliveryResult) error {
	err := db.w.do(ctx, func(tx *wtx) error {
		// Each endpoint is read and written once per call, however many of
		// its tries it records.
		eps := map[string]*endpointChange{}
		var order []string
		for _, r := range results {
			recorded, err := recordDelivery(ctx, tx, r)
			if err != nil {
				return err
			}
			if !recorded {
				continue
			}
			c := eps[r.Attempt.EndpointID]
			if c == nil {
				e, err := oneEndpoint(ctx, tx, `id = ?`, r.Attempt.EndpointID)
				switch {
				case errors.Is(err, detour.ErrNotFound):
					continue
				case err != nil:
					return err
				}
				c = &endpointChange{e: e, before: *e}
				eps[r.Attempt.EndpointID] = c
				order = append(order, r.Attempt.EndpointID)
			}
			c.apply(r)
		}
		for _, id := range order {
			if err := eps[id].save(ctx, tx); err != nil {
				return err
			}
		}
		return nil
	})
	return wrap("record webhook deliveries", err)
}

// recordDelivery saves one try and its log row; false if the delivery is
// no longer pending (deleted with its endpoint, or recorded already).
func recordDelivery(ctx context.Context, tx *wtx, r detour.DeliveryResult) (bool, error) {
	a := r.Attempt
	var ended int64
	if r.Status != detour.DeliveryPending {
		ended = micros(a.At.Add(a.Latency))
	}
	res, err := tx.exec(ctx, `UPDATE webhook_deliveries SET status = ?, tries = ?, next_at = ?, ended_at = ?,
		last_status = ?, last_error = ? WHERE id = ? AND status = 'pending'`,
		r.Status, a.N, micros(r.NextAt), ended, a.Status, a.Error, a.DeliveryID)
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	if r.Status == detour.DeliveryPending {
		// What waits behind it in its chain is not due before it: keep it
		// out of the due scans until then.
		if _, err := tx.exec(ctx, `UPDATE webhook_deliveries SET next_at = ? WHERE endpoint_id = ? AND status = 'pending'
			AND chain = (SELECT chain FROM webhook_deliveries WHERE id = ?) AND id > ? AND next_at < ?`,
			micros(r.NextAt), a.EndpointID, a.DeliveryID, a.DeliveryID, micros(r.NextAt)); err != nil {
			return false, err
		}
	} else {
		// Done: the next of its chain is due now (it may have been queued
		// at this one's lease end).
		now := micros(tx.w.now())
		if _, err := tx.exec(ctx, `UPDATE webhook_deliveries SET next_at = ? WHERE endpoint_id = ? AND status = 'pending'
			AND chain = (SELECT chain FROM webhook_deliveries WHERE id = ?) AND next_at > ? AND next_at <> ?`,
			now, a.EndpointID, a.DeliveryID, now, int64(parked)); err != nil {
			return false, err
		}
	}
	_, err = tx.exec(ctx, `INSERT OR REPLACE INTO webhook_attempts (delivery_id, n, endpoint_id, at, status,
		latency_us, outcome, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		a.DeliveryID, a.N, a.EndpointID, micros(a.At), a.Status, a.Latency.Microseconds(), a.Outcome, a.Error)
	return err == nil, err
}

// endpointChange is what a batch of tries does to one endpoint.
type endpointChange struct {
	e        *detour.WebhookEndpoint
	before   detour.WebhookEndpoint
	disabled bool
}

func (c *endpointChange) apply(r detour.DeliveryResult) {
	e, a := c.e, r.Attempt
	if r.Succeeded {
		e.Failures, e.FailingSince = 0, time.Time{}
	} else {
		e.Failures++
		if e.FailingSince.IsZero() {
			e.FailingSince = a.At
		}
	}
	reason := r.Disable
	if reason == "" && !r.Succeeded && r.DisableAfterTries > 0 && e.Failures >= r.DisableAfterTries &&
		a.At.Sub(e.FailingSince) >= r.DisableAfter {
		reason = "failing"
	}
	if reason != "" && !e.Disabled {
		e.Disabled, e.DisabledAt, e.DisabledReason, c.disabled = true, a.At, reason, true
	}
	e.UpdatedAt = a.At
}

// save writes the endpoint if the batch changed it, and the event of its
// being disabled.
func (c *endpointChange) save(ctx context.Context, tx *wtx) error {
	e := c.e
	if e.Failures == c.before.Failures && e.FailingSince.Equal(c.before.FailingSince) && !c.disabled {
		return nil
	}
	if err := updateEndpoint(ctx, tx, e); err != nil {
		return err
	}
	if !c.disabled {
		return nil
	}
	if err := parkDeliveries(ctx, tx, e.ID); err != nil {
		return err
	}
	body, _ := json.Marshal(detour.EndpointDisabledData{EndpointID: e.ID, Reason: e.DisabledReason,
		Failures: e.Failures, FailingSince: e.FailingSince.UTC()})
	return insertEvent(ctx, tx, &detour.Event{TenantID: e.TenantID, Type: detour.EventEndpointDisabled, Data: body,
		CreatedAt: e.DisabledAt}, "", "")
}

// Deliveries lists an endpoint's deliveries, newest first, with their
// tries.
func (db *DB) Deliveries(ctx context.Context, f detour.DeliveryFilter) (detour.DeliveryPage, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultListLimit
	}
	limit = min(limit, MaxListLimit)
	q := `SELECT ` + deliveryCols + ` FROM webhook_deliveries d WHERE d.tenant_id = ? AND d.endpoint_id = ?`
	args := []any{f.TenantID, f.EndpointID}
	if f.EventID != "" {
		q += ` AND d.event_id = ?`
		args = append(args, f.EventID)
	}
	if f.Status != "" {
		q += ` AND d.status = ?`
		args = append(args, f.Status)
	}
	if f.Before != "" {
		q += ` AND d.id < ?`
		args = append(args, f.Before)
	}
	q += ` ORDER BY d.id DESC LIMIT ?`
	args = append(args, limit+1)
	rtx, err := db.readTx(ctx)
	if err != nil {
		return detour.DeliveryPage{}, wrap("list webhook deliveries", err)
	}
	defer rtx.done()
	rows, err := rtx.query(ctx, q, args...)
	if err != nil {
		return detour.DeliveryPage{}, wrap("list webhook deliveries", err)
	}
	page := detour.DeliveryPage{Attempts: map[string][]detour.DeliveryAttempt{}}
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			rows.Close()
			return detour.DeliveryPage{}, wrap("list webhook deliveries", err)
		}
		page.Deliveries = append(page.Deliveries, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return detour.DeliveryPage{}, wrap("list webhook deliveries", err)
	}
	if len(page.Deliveries) > limit {
		page.Deliveries, page.More = page.Deliveries[:limit], true
	}
	for _, d := range page.Deliveries {
		as, err := deliveryAttempts(ctx, rtx, d)
		if err != nil {
			return detour.DeliveryPage{}, wrap("list webhook deliveries", err)
		}
		page.Attempts[d.ID] = as
	}
	return page, nil
}

func deliveryAttempts(ctx context.Context, q querier, d *detour.WebhookDelivery) ([]detour.DeliveryAttempt, error) {
	rows, err := q.query(ctx, `SELECT n, at, status, latency_us, outcome, error FROM webhook_attempts
		WHERE delivery_id = ? ORDER BY n`, d.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []detour.DeliveryAttempt
	for rows.Next() {
		a := detour.DeliveryAttempt{DeliveryID: d.ID, EndpointID: d.EndpointID, EventID: d.EventID}
		var at, lat int64
		if err := rows.Scan(&a.N, &at, &a.Status, &lat, &a.Outcome, &a.Error); err != nil {
			return nil, err
		}
		a.At, a.Latency = fromMicros(at), time.Duration(lat)*time.Microsecond
		out = append(out, a)
	}
	return out, rows.Err()
}

// Replay writes new deliveries of one of a tenant's events.
func (db *DB) Replay(ctx context.Context, tenantID, eventID, endpointID string, now time.Time) ([]*detour.WebhookDelivery, error) {
	ev, err := db.Event(ctx, tenantID, eventID)
	if err != nil {
		return nil, err
	}
	var out []*detour.WebhookDelivery
	err = db.w.do(ctx, func(tx *wtx) error {
		out = nil
		eps, err := tenantEndpoints(ctx, tx, tenantID)
		if err != nil {
			return err
		}
		chain := chainOf(ev)
		callbackURL := ""
		if ev.MessageID != "" && ev.Type == detour.EventMessageStatus {
			if err := tx.queryRow(ctx, `SELECT callback_url FROM messages WHERE id = ?`, ev.MessageID).Scan(&callbackURL); err != nil &&
				!errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		found := false
		for _, e := range eps {
			url := ""
			switch {
			case endpointID != "" && e.ID != endpointID:
				continue
			case endpointID != "" && e.Disabled:
				return detour.FieldErrorf(detour.CodeInvalidRequest, "endpoint_id", "the endpoint is disabled: enable it first")
			case endpointID != "":
				found = true
			case e.Disabled:
				continue
			}
			if e.Kind == detour.EndpointCallback {
				if callbackURL == "" {
					continue
				}
				url = callbackURL
			} else if endpointID == "" && !e.Wants(ev.Type) {
				continue
			}
			d := &detour.WebhookDelivery{ID: tx.w.ids.New("whd_"), TenantID: tenantID, EndpointID: e.ID, EventID: ev.ID,
				URL: url, Status: detour.DeliveryPending, NextAt: now, CreatedAt: now}
			if _, err := tx.exec(ctx, `INSERT INTO webhook_deliveries (id, tenant_id, endpoint_id, event_id, event_tenant,
				chain, url, status, next_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
				d.ID, d.TenantID, d.EndpointID, d.EventID, ev.TenantID, chain, url, micros(now), micros(now)); err != nil {
				return err
			}
			tx.w.newDeliveries = true
			out = append(out, d)
		}
		if endpointID != "" && !found {
			return detour.ErrNotFound
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, detour.ErrNotFound) {
			return nil, err
		}
		return nil, wrap(fmt.Sprintf("replay event %s", eventID), err)
	}
	slices.SortFunc(out, func(a, b *detour.WebhookDelivery) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// chainOf returns the ordering key of an event's deliveries, as its
// writer chose it: the message, the user who wrote in, the verification,
// or the event alone.
func chainOf(ev *detour.Event) string {
	if ev.MessageID != "" {
		return ev.MessageID
	}
	switch ev.Type {
	case detour.EventMessageInbound:
		var d detour.InboundData
		if json.Unmarshal(ev.Data, &d) == nil && d.From != "" {
			return inboundChain(d.From)
		}
	case detour.EventVerificationStatus:
		var d detour.VerificationStatusData
		if json.Unmarshal(ev.Data, &d) == nil && d.VerificationID != "" {
			return verificationChain(d.VerificationID)
		}
	}
	return ev.ID
}

func inboundChain(from string) string    { return "from:" + from }
func verificationChain(id string) string { return "ver:" + id }
