package storetest

import (
	"bytes"
	"testing"
	"time"

	"github.com/detourhq/detour"
)

func testAPIKeys(t *testing.T, e *env) {
	_, k1 := detour.NewAPIKey(e.ids, t0)
	k1.RateLimit = 12.5
	if err := e.s.CreateAPIKey(e.ctx, "acme", k1); err != nil {
		t.Fatal(err)
	}
	if k1.TenantID == "" || k1.TenantName != "acme" {
		t.Fatalf("CreateAPIKey set tenant %q named %q", k1.TenantID, k1.TenantName)
	}
	_, k2 := detour.NewAPIKey(e.ids, t0.Add(time.Second))
	k2.RevokedAt = t0.Add(time.Hour)
	if err := e.s.CreateAPIKey(e.ctx, "acme", k2); err != nil {
		t.Fatal(err)
	}
	if k2.TenantID != k1.TenantID {
		t.Fatalf("a second key of acme got tenant %s, want %s", k2.TenantID, k1.TenantID)
	}
	_, k3 := detour.NewAPIKey(e.ids, t0)
	if err := e.s.CreateAPIKey(e.ctx, "globex", k3); err != nil {
		t.Fatal(err)
	}
	if k3.TenantID == k1.TenantID || k3.TenantID == "" {
		t.Fatalf("globex got tenant %q, acme has %q", k3.TenantID, k1.TenantID)
	}
	for _, want := range []*detour.APIKey{k1, k2, k3} {
		got, err := e.s.APIKey(e.ctx, want.ID)
		if err != nil {
			t.Fatalf("APIKey(%s): %v", want.ID, err)
		}
		sameKey(t, want, got)
	}
	if _, err := e.s.APIKey(e.ctx, "key_00000000000000000000000000"); detour.ErrorCode(err) != detour.CodeNotFound {
		t.Fatalf("a missing key: err = %v, want not found", err)
	}
	dup := *k1
	if err := e.s.CreateAPIKey(e.ctx, "acme", &dup); err == nil {
		t.Fatal("storing a key id twice succeeded")
	}
}

func sameKey(t *testing.T, want, got *detour.APIKey) {
	t.Helper()
	if got.ID != want.ID || got.TenantID != want.TenantID || got.TenantName != want.TenantName ||
		!bytes.Equal(got.Hash, want.Hash) || got.RateLimit != want.RateLimit ||
		!sameTime(want.CreatedAt, got.CreatedAt) || !sameTime(want.RevokedAt, got.RevokedAt) {
		t.Fatalf("key read back as %+v, want %+v", got, want)
	}
	if !got.Matches(want.Hash) {
		t.Fatal("the stored key does not match its hash")
	}
}

func testPurgeIdempotency(t *testing.T, e *env) {
	ten := e.tenant()
	oldKey := &detour.Idempotency{Key: "old", RequestHash: []byte("h"), CreatedAt: t0}
	newKey := &detour.Idempotency{Key: "new", RequestHash: []byte("h"), CreatedAt: t0.Add(time.Hour)}
	for _, k := range []*detour.Idempotency{oldKey, newKey} {
		if _, _, err := e.s.CreateMessage(e.ctx, e.message(ten, k.CreatedAt), k); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := e.s.PurgeIdempotency(e.ctx, t0); err != nil || n != 0 {
		t.Fatalf("PurgeIdempotency(t0) = %d, %v; want 0 (the bound is exclusive)", n, err)
	}
	if n, err := e.s.PurgeIdempotency(e.ctx, t0.Add(30*time.Minute)); err != nil || n != 1 {
		t.Fatalf("PurgeIdempotency = %d, %v; want 1", n, err)
	}
	// The purged key is free again; the other still replays. Messages stay.
	if _, replayed, err := e.s.CreateMessage(e.ctx, e.message(ten, t0), oldKey); err != nil || replayed {
		t.Fatalf("a purged key: replayed=%v err=%v, want a new message", replayed, err)
	}
	if _, replayed, err := e.s.CreateMessage(e.ctx, e.message(ten, t0), newKey); err != nil || !replayed {
		t.Fatalf("a kept key: replayed=%v err=%v, want a replay", replayed, err)
	}
	if page, err := e.s.Messages(e.ctx, detour.MessageFilter{TenantID: ten}); err != nil || len(page.Messages) != 3 {
		t.Fatalf("%d messages after purging (err %v), want 3", len(page.Messages), err)
	}
}

func testDurability(t *testing.T, e *env) {
	ten := e.tenant()
	idem := &detour.Idempotency{Key: "durable", RequestHash: []byte("h"), CreatedAt: t0}
	m := e.message(ten, t0)
	if _, _, err := e.s.CreateMessage(e.ctx, m, idem); err != nil {
		t.Fatal(err)
	}
	claimed := e.claim(t, "node_a", t0.Add(time.Minute), 10)
	if len(claimed) != 1 {
		t.Fatalf("claimed %d, want 1", len(claimed))
	}
	a := e.attempt(m, t0.Add(time.Minute), "prov-d")
	e.update(t, m.ID, func(m *detour.Message) {
		m.Status = detour.StatusSending
		m.Attempts = append(m.Attempts, a)
	})
	want := e.get(t, ten, m.ID)
	_, k := detour.NewAPIKey(e.ids, t0)
	if err := e.s.CreateAPIKey(e.ctx, "acme", k); err != nil {
		t.Fatal(err)
	}
	orphan := detour.Receipt{Channel: "sms", Route: "op1", ProviderID: "later", Status: detour.AttemptDelivered, At: t0}
	if matched, err := e.s.ApplyReceipt(e.ctx, orphan, deliver(t0)); err != nil || matched {
		t.Fatalf("ApplyReceipt: matched=%v err=%v", matched, err)
	}

	e.reopen(t)

	if err := e.s.Ready(e.ctx); err != nil {
		t.Fatalf("Ready after reopening: %v", err)
	}
	sameMessage(t, want, e.get(t, ten, m.ID), true)
	if _, replayed, err := e.s.CreateMessage(e.ctx, e.message(ten, t0), idem); err != nil || !replayed {
		t.Fatalf("the idempotency key after reopening: replayed=%v err=%v", replayed, err)
	}
	got, err := e.s.APIKey(e.ctx, k.ID)
	if err != nil {
		t.Fatal(err)
	}
	sameKey(t, k, got)
	// The lease survived: not claimable until it ends.
	if got := e.claim(t, "node_b", t0.Add(time.Minute), 10); len(got) != 0 {
		t.Fatalf("claimed %v after reopening, want nothing: the lease is held", ids(got))
	}
	// The kept receipt survived.
	e.sent(t, ten, "later")
	n, err := e.s.RetryOrphans(e.ctx, keepOrphans(), func(*detour.Message, *detour.Attempt, detour.Receipt) error { return nil })
	if err != nil || n != 1 {
		t.Fatalf("RetryOrphans after reopening = %d, %v; want the kept receipt applied", n, err)
	}
}
