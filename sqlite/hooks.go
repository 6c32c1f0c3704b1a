package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/detourhq/detour"
)

// The outbox side of events: every event row is written together with a
// delivery row for each enabled endpoint that wants it, in the same
// transaction. The writer keeps the enabled endpoints in memory (they are
// few and change rarely); any write to an endpoint drops that memory.

// hookCache holds enabled endpoints by tenant. The writer goroutine alone
// uses it. When the store is not exclusive it is off: another process may
// change endpoints.
type hookCache struct {
	on      bool
	tenants map[string][]*detour.WebhookEndpoint // nil entry: not loaded
	all     []*detour.WebhookEndpoint            // every tenant's, for system events
	allOK   bool
}

func (c *hookCache) reset() {
	c.tenants, c.all, c.allOK = nil, nil, false
}

// endpointsFor returns the enabled endpoints of tenantID, or of every
// tenant for the system tenant.
func (t *wtx) endpointsFor(ctx context.Context, tenantID string) ([]*detour.WebhookEndpoint, error) {
	c := &t.w.hooks
	if tenantID == detour.SystemTenant {
		if c.on && c.allOK {
			return c.all, nil
		}
		eps, err := queryEndpoints(ctx, t, `SELECT `+endpointCols+` FROM webhook_endpoints WHERE disabled_at = 0 ORDER BY id`)
		if err == nil && c.on {
			c.all, c.allOK = eps, true
		}
		return eps, err
	}
	if c.on {
		if eps, ok := c.tenants[tenantID]; ok {
			return eps, nil
		}
	}
	eps, err := queryEndpoints(ctx, t, `SELECT `+endpointCols+` FROM webhook_endpoints
		WHERE tenant_id = ? AND disabled_at = 0 ORDER BY id`, tenantID)
	if err == nil && c.on {
		if c.tenants == nil {
			c.tenants = map[string][]*detour.WebhookEndpoint{}
		}
		c.tenants[tenantID] = eps
	}
	return eps, err
}

// insertEvent writes ev with its deliveries: one to each enabled endpoint
// of the event's tenant (every tenant's, for a system event) that wants its
// type, and for a message.status event of a message with a callback_url,
// one to that URL through the tenant's callback endpoint. chain orders
// deliveries: those with the same chain reach an endpoint in order. The
// event gets its id here, in the writer, so ids grow in commit order.
func insertEvent(ctx context.Context, tx *wtx, ev *detour.Event, chain, callbackURL string) error {
	ev.ID = tx.w.ids.New("evt_")
	if _, err := tx.exec(ctx, `INSERT INTO events (id, tenant_id, type, message_id, data, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		ev.ID, ev.TenantID, ev.Type, ev.MessageID, string(ev.Data), micros(ev.CreatedAt)); err != nil {
		return err
	}
	if chain == "" {
		chain = ev.ID
	}
	eps, err := tx.endpointsFor(ctx, ev.TenantID)
	if err != nil {
		return err
	}
	var callback *detour.WebhookEndpoint
	for _, e := range eps {
		switch {
		case e.Kind == detour.EndpointCallback:
			callback = e
		case e.Wants(ev.Type):
			if err := insertDelivery(ctx, tx, e, ev, chain, ""); err != nil {
				return err
			}
		}
	}
	if callbackURL == "" || ev.Type != detour.EventMessageStatus {
		return nil
	}
	if callback == nil {
		if callback, err = callbackEndpoint(ctx, tx, ev.TenantID, ev.CreatedAt); err != nil {
			return err
		}
		if callback.Disabled {
			return nil
		}
	}
	return insertDelivery(ctx, tx, callback, ev, chain, callbackURL)
}

// insertDelivery queues ev for e. It is due now (the store's clock: an
// event may carry a provider's older time), or when the pending delivery
// ahead of it in its chain is, so that what cannot go yet stays out of
// the due scans.
func insertDelivery(ctx context.Context, tx *wtx, e *detour.WebhookEndpoint, ev *detour.Event, chain, url string) error {
	now := micros(tx.w.now())
	next := now
	var ahead int64
	err := tx.queryRow(ctx, `SELECT next_at FROM webhook_deliveries WHERE endpoint_id = ? AND chain = ? AND status = 'pending'
		ORDER BY id LIMIT 1`, e.ID, chain).Scan(&ahead)
	switch {
	case err == nil:
		next = max(next, ahead)
	case !errors.Is(err, sql.ErrNoRows):
		return err
	}
	_, err = tx.exec(ctx, `INSERT INTO webhook_deliveries (id, tenant_id, endpoint_id, event_id, event_tenant, chain, url,
		status, next_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
		tx.w.ids.New("whd_"), e.TenantID, e.ID, ev.ID, ev.TenantID, chain, url, next, now)
	if err == nil {
		tx.w.newDeliveries = true
	}
	return err
}

// callbackEndpoint returns the tenant's callback endpoint, creating it
// with a fresh secret when it does not exist yet.
func callbackEndpoint(ctx context.Context, tx *wtx, tenantID string, now time.Time) (*detour.WebhookEndpoint, error) {
	e, err := oneEndpoint(ctx, tx, `tenant_id = ? AND kind = 'callback_url'`, tenantID)
	if !errors.Is(err, detour.ErrNotFound) {
		return e, err
	}
	e = &detour.WebhookEndpoint{ID: tx.w.ids.New("whe_"), TenantID: tenantID, Kind: detour.EndpointCallback,
		Description: "Deliveries to messages' own callback_url",
		Secrets:     []detour.EndpointSecret{{Secret: detour.NewWebhookSecret(), CreatedAt: now}},
		CreatedAt:   now, UpdatedAt: now}
	return e, insertEndpoint(ctx, tx, e)
}

func insertEndpoint(ctx context.Context, tx *wtx, e *detour.WebhookEndpoint) error {
	args, err := endpointArgs(e)
	if err != nil {
		return err
	}
	tx.w.hooks.reset()
	_, err = tx.exec(ctx, `INSERT INTO webhook_endpoints (`+endpointCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
	return err
}

const endpointCols = `id, tenant_id, kind, url, description, event_types, secrets, disabled_at, disabled_reason,
	failing_since, failures, created_at, updated_at`

// storedSecret is an EndpointSecret as stored: detour.Secret hides itself
// from JSON, so the value goes through a plain string.
type storedSecret struct {
	Secret    string `json:"secret"`
	CreatedAt int64  `json:"created_at"`
	ExpiresAt int64  `json:"expires_at,omitempty"`
}

func endpointArgs(e *detour.WebhookEndpoint) ([]any, error) {
	types := e.EventTypes
	if types == nil {
		types = []string{}
	}
	tj, err := json.Marshal(types)
	if err != nil {
		return nil, err
	}
	ss := make([]storedSecret, len(e.Secrets))
	for i, s := range e.Secrets {
		ss[i] = storedSecret{Secret: s.Secret.Reveal(), CreatedAt: micros(s.CreatedAt), ExpiresAt: micros(s.ExpiresAt)}
	}
	sj, err := json.Marshal(ss)
	if err != nil {
		return nil, err
	}
	var disabledAt int64
	if e.Disabled {
		disabledAt = max(micros(e.DisabledAt), 1)
	}
	return []any{e.ID, e.TenantID, e.Kind, e.URL, e.Description, string(tj), string(sj), disabledAt, e.DisabledReason,
		micros(e.FailingSince), e.Failures, micros(e.CreatedAt), micros(e.UpdatedAt)}, nil
}

func scanEndpoint(s scanner) (*detour.WebhookEndpoint, error) {
	var e detour.WebhookEndpoint
	var types, secrets string
	var disabledAt, failingSince, created, updated int64
	if err := s.Scan(&e.ID, &e.TenantID, &e.Kind, &e.URL, &e.Description, &types, &secrets, &disabledAt,
		&e.DisabledReason, &failingSince, &e.Failures, &created, &updated); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(types), &e.EventTypes); err != nil {
		return nil, err
	}
	var ss []storedSecret
	if err := json.Unmarshal([]byte(secrets), &ss); err != nil {
		return nil, err
	}
	for _, s := range ss {
		e.Secrets = append(e.Secrets, detour.EndpointSecret{Secret: detour.Secret(s.Secret),
			CreatedAt: fromMicros(s.CreatedAt), ExpiresAt: fromMicros(s.ExpiresAt)})
	}
	e.Disabled, e.DisabledAt = disabledAt != 0, fromMicros(disabledAt)
	e.FailingSince, e.CreatedAt, e.UpdatedAt = fromMicros(failingSince), fromMicros(created), fromMicros(updated)
	return &e, nil
}

func queryEndpoints(ctx context.Context, q querier, query string, args ...any) ([]*detour.WebhookEndpoint, error) {
	return queryAll(ctx, q, scanEndpoint, query, args...)
}

// oneEndpoint returns the endpoint matching where, or ErrNotFound.
func oneEndpoint(ctx context.Context, q querier, where string, args ...any) (*detour.WebhookEndpoint, error) {
	eps, err := queryEndpoints(ctx, q, `SELECT `+endpointCols+` FROM webhook_endpoints WHERE `+where, args...)
	if err != nil {
		return nil, err
	}
	if len(eps) == 0 {
		return nil, detour.ErrNotFound
	}
	return eps[0], nil
}

// tenantEndpoints lists a tenant's endpoints, oldest first.
func tenantEndpoints(ctx context.Context, q querier, tenantID string) ([]*detour.WebhookEndpoint, error) {
	return queryEndpoints(ctx, q, `SELECT `+endpointCols+` FROM webhook_endpoints WHERE tenant_id = ? ORDER BY id`, tenantID)
}
