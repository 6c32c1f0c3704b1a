package api

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/detourhq/detour"
)

// errUnauthorized is the one answer to every bad credential, so that a
// caller learns nothing about which part was wrong.
var errUnauthorized = detour.Errorf(detour.CodeUnauthorized, "a valid API key is required: Authorization: Bearer <key>")

// maxCachedKeys bounds the key cache. Past it, unknown key ids are no
// longer remembered, so a flood of made-up ids cannot grow memory.
const maxCachedKeys = 10000

// keyCache authenticates API keys through a KeyStore, remembering what the
// store said for a while: found keys for ttl, unknown ids for negTTL.
type keyCache struct {
	keys   detour.KeyStore
	clock  detour.Clock
	ttl    time.Duration
	negTTL time.Duration

	mu      sync.RWMutex
	entries map[string]keyEntry
}

type keyEntry struct {
	key     *detour.APIKey // nil: the store does not know this id
	expires time.Time
}

func newKeyCache(keys detour.KeyStore, clock detour.Clock, ttl time.Duration) *keyCache {
	return &keyCache{keys: keys, clock: clock, ttl: ttl, negTTL: ttl / 5, entries: make(map[string]keyEntry)}
}

// authenticate returns the API key presented in r's Authorization header,
// errUnauthorized, or an error of the store.
func (c *keyCache) authenticate(ctx context.Context, r *http.Request) (*detour.APIKey, error) {
	token, ok := bearerToken(r.Header.Get("Authorization"))
	if !ok {
		return nil, errUnauthorized
	}
	id, hash, ok := detour.ParseAPIKey(token)
	if !ok {
		return nil, errUnauthorized
	}
	now := c.clock.Now()
	k, err := c.lookup(ctx, id, now)
	if err != nil {
		return nil, err
	}
	if k == nil || !k.Matches(hash) || (!k.RevokedAt.IsZero() && !k.RevokedAt.After(now)) {
		return nil, errUnauthorized
	}
	return k, nil
}

// lookup returns the key with the given id, nil if the store has none.
func (c *keyCache) lookup(ctx context.Context, id string, now time.Time) (*detour.APIKey, error) {
	c.mu.RLock()
	e, ok := c.entries[id]
	c.mu.RUnlock()
	if ok && now.Before(e.expires) {
		return e.key, nil
	}
	k, err := c.keys.APIKey(ctx, id)
	switch {
	case errors.Is(err, detour.ErrNotFound) || detour.ErrorCode(err) == detour.CodeNotFound:
		k = nil
	case err != nil:
		return nil, err
	}
	c.store(id, k, now)
	return k, nil
}

func (c *keyCache) store(id string, k *detour.APIKey, now time.Time) {
	ttl := c.ttl
	if k == nil {
		ttl = c.negTTL
	}
	if ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= maxCachedKeys {
		for id, e := range c.entries {
			if !now.Before(e.expires) {
				delete(c.entries, id)
			}
		}
		if len(c.entries) >= maxCachedKeys && k == nil {
			return
		}
	}
	c.entries[id] = keyEntry{key: k, expires: now.Add(ttl)}
}

// bearerToken returns the token of a "Bearer <token>" header value.
func bearerToken(h string) (string, bool) {
	const scheme = "bearer "
	if len(h) <= len(scheme) || !strings.EqualFold(h[:len(scheme)], scheme) {
		return "", false
	}
	t := strings.TrimSpace(h[len(scheme):])
	return t, t != ""
}
