package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/detourhq/detour"
)

// CreateAPIKey stores k, creating the tenant named tenantName first if it
// does not exist, and sets k.TenantID and k.TenantName.
func (db *DB) CreateAPIKey(ctx context.Context, tenantName string, k *detour.APIKey) error {
	if tenantName == "" || k.ID == "" || len(k.Hash) == 0 {
		return detour.Errorf(detour.CodeInvalidRequest, "an API key needs an id, a hash and a tenant name")
	}
	newID := db.ids.New("ten_")
	now := micros(db.now())
	var tenantID string
	err := db.w.do(ctx, func(tx *wtx) error {
		err := tx.queryRow(ctx, `SELECT id FROM tenants WHERE name = ?`, tenantName).Scan(&tenantID)
		if errors.Is(err, sql.ErrNoRows) {
			tenantID = newID
			_, err = tx.exec(ctx, `INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?)`, tenantID, tenantName, now)
		}
		if err != nil {
			return err
		}
		_, err = tx.exec(ctx, `INSERT INTO api_keys (id, tenant_id, hash, rate_limit, created_at, revoked_at)
			VALUES (?, ?, ?, ?, ?, ?)`, k.ID, tenantID, k.Hash, k.RateLimit, micros(k.CreatedAt), micros(k.RevokedAt))
		return err
	})
	if err != nil {
		return wrap("create API key", err)
	}
	k.TenantID, k.TenantName = tenantID, tenantName
	return nil
}

// APIKey returns the key with the given id and its tenant's name, or
// ErrNotFound.
func (db *DB) APIKey(ctx context.Context, id string) (*detour.APIKey, error) {
	var k detour.APIKey
	var created, revoked int64
	err := db.reads.queryRow(ctx, `SELECT k.id, k.tenant_id, t.name, k.hash, k.rate_limit, k.created_at, k.revoked_at
		FROM api_keys k JOIN tenants t ON t.id = k.tenant_id WHERE k.id = ?`, id).
		Scan(&k.ID, &k.TenantID, &k.TenantName, &k.Hash, &k.RateLimit, &created, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, detour.ErrNotFound
	}
	if err != nil {
		return nil, wrap("read API key", err)
	}
	k.CreatedAt, k.RevokedAt = fromMicros(created), fromMicros(revoked)
	return &k, nil
}
