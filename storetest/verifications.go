package storetest

import (
	"encoding/json"
	"errors"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/detourhq/detour"
)

// verification returns a new pending verification of tenant to to,
// created at at and expiring ten minutes later, with one reserved send.
func (e *env) verification(tenant, to string, at time.Time) *detour.Verification {
	return &detour.Verification{
		ID: e.ids.New("ver_"), TenantID: tenant, To: to, Channels: []string{"whatsapp", "sms"},
		Locale: "es", Template: "auth_code", Brand: "Acmé", CodeLength: 6,
		CodeSeed: []byte("0123456789abcdef"), CodeHash: []byte("hash-of-the-code-32-bytes-long!!"),
		Status: detour.VerificationPending, Sends: []detour.VerificationSend{{Channel: "whatsapp", CreatedAt: at}},
		CreatedAt: at, UpdatedAt: at, ExpiresAt: at.Add(10 * time.Minute),
	}
}

func (e *env) createVerification(t *testing.T, v *detour.Verification, replace bool) (stored, ended *detour.Verification) {
	t.Helper()
	stored, ended, err := e.s.CreateVerification(e.ctx, v, replace)
	if err != nil {
		t.Fatalf("CreateVerification(%s): %v", v.ID, err)
	}
	return stored, ended
}

// sameVerification fails unless got is want as stored (times to the
// microsecond).
func sameVerification(t *testing.T, want, got *detour.Verification) {
	t.Helper()
	w, g := want.Clone(), got.Clone()
	for _, v := range []*detour.Verification{w, g} {
		v.CreatedAt, v.UpdatedAt, v.ExpiresAt = v.CreatedAt.Truncate(time.Microsecond), v.UpdatedAt.Truncate(time.Microsecond), v.ExpiresAt.Truncate(time.Microsecond)
		for i := range v.Sends {
			v.Sends[i].CreatedAt = v.Sends[i].CreatedAt.Truncate(time.Microsecond)
		}
	}
	if !sameTime(want.CreatedAt, got.CreatedAt) || !sameTime(want.ExpiresAt, got.ExpiresAt) || !sameTime(want.UpdatedAt, got.UpdatedAt) {
		t.Fatalf("times: got %v %v %v, want %v %v %v", got.CreatedAt, got.UpdatedAt, got.ExpiresAt, want.CreatedAt, want.UpdatedAt, want.ExpiresAt)
	}
	w.CreatedAt, w.UpdatedAt, w.ExpiresAt = g.CreatedAt, g.UpdatedAt, g.ExpiresAt
	if !reflect.DeepEqual(w, g) {
		t.Fatalf("verification differs from what was stored:\n got %+v\nwant %+v", g, w)
	}
}

// verificationEvents returns the tenant's verification.status events,
// oldest first.
func (e *env) verificationEvents(t *testing.T, tenant string) []detour.VerificationStatusData {
	t.Helper()
	page, err := e.s.Events(e.ctx, detour.EventFilter{TenantID: tenant, Type: detour.EventVerificationStatus})
	if err != nil {
		t.Fatal(err)
	}
	var out []detour.VerificationStatusData
	for i := len(page.Events) - 1; i >= 0; i-- {
		ev := page.Events[i]
		var d detour.VerificationStatusData
		if err := json.Unmarshal(ev.Data, &d); err != nil || ev.MessageID != "" || ev.TenantID != tenant {
			t.Fatalf("event %+v: %v", ev, err)
		}
		out = append(out, d)
	}
	return out
}

func testVerificationCreateAndGet(t *testing.T, e *env) {
	ten := e.tenant()
	v := e.verification(ten, "+447400123456", t0)
	stored, ended := e.createVerification(t, v, false)
	if ended != nil {
		t.Fatalf("ended %v", ended.ID)
	}
	sameVerification(t, v, stored)
	e.reopen(t)
	got, err := e.s.Verification(e.ctx, ten, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	sameVerification(t, v, got)
	pending, err := e.s.PendingVerification(e.ctx, ten, v.To)
	if err != nil || pending.ID != v.ID {
		t.Fatalf("PendingVerification = %v, %v", pending, err)
	}
	for _, lookup := range []func() error{
		func() error { _, err := e.s.Verification(e.ctx, e.tenant(), v.ID); return err },
		func() error { _, err := e.s.Verification(e.ctx, ten, e.ids.New("ver_")); return err },
		func() error { _, err := e.s.PendingVerification(e.ctx, e.tenant(), v.To); return err },
		func() error { _, err := e.s.PendingVerification(e.ctx, ten, "+33612345678"); return err },
		func() error {
			_, err := e.s.UpdateVerification(e.ctx, e.tenant(), v.ID, func(*detour.Verification) error { return nil })
			return err
		},
	} {
		wantCode(t, lookup(), detour.CodeNotFound)
	}
	if evs := e.verificationEvents(t, ten); len(evs) != 0 {
		t.Fatalf("starting a verification is not an event: %+v", evs)
	}
}

// testVerificationOnePending: one pending verification per tenant and
// number; a start returns it, a replacing start cancels it, a start after
// its expiry expires it, each change with its event.
func testVerificationOnePending(t *testing.T, e *env) {
	ten, to := e.tenant(), "+447400123456"
	first, _ := e.createVerification(t, e.verification(ten, to, t0), false)

	again, ended := e.createVerification(t, e.verification(ten, to, t0.Add(time.Minute)), false)
	if again.ID != first.ID || ended != nil {
		t.Fatalf("a second start returned %s (ended %v), want the pending %s", again.ID, ended, first.ID)
	}
	other, _ := e.createVerification(t, e.verification(e.tenant(), to, t0), false)
	if other.ID == first.ID {
		t.Fatal("another tenant's start returned this tenant's verification")
	}
	e.createVerification(t, e.verification(ten, "+33612345678", t0), false) // another number

	replacing := e.verification(ten, to, t0.Add(2*time.Minute))
	stored, ended := e.createVerification(t, replacing, true)
	if stored.ID != replacing.ID || ended == nil || ended.ID != first.ID || ended.Status != detour.VerificationCanceled {
		t.Fatalf("replace: stored %s ended %+v", stored.ID, ended)
	}
	old, err := e.s.Verification(e.ctx, ten, first.ID)
	if err != nil || old.Status != detour.VerificationCanceled || !sameTime(t0.Add(2*time.Minute), old.UpdatedAt) {
		t.Fatalf("replaced verification: %+v %v", old, err)
	}

	late := e.verification(ten, to, replacing.ExpiresAt)
	stored, ended = e.createVerification(t, late, false)
	if stored.ID != late.ID || ended == nil || ended.ID != replacing.ID || ended.Status != detour.VerificationExpired {
		t.Fatalf("after the expiry: stored %s ended %+v", stored.ID, ended)
	}
	e.reopen(t)
	evs := e.verificationEvents(t, ten)
	want := []detour.VerificationStatusData{
		{VerificationID: first.ID, Status: detour.VerificationCanceled, Previous: detour.VerificationPending, To: to, Sends: 1},
		{VerificationID: replacing.ID, Status: detour.VerificationExpired, Previous: detour.VerificationPending, To: to, Sends: 1},
	}
	if !reflect.DeepEqual(evs, want) {
		t.Fatalf("events %+v, want %+v", evs, want)
	}
}

// testVerificationCreateRace: concurrent starts for one number store one
// verification and all return it.
func testVerificationCreateRace(t *testing.T, e *env) {
	ten := e.tenant()
	var wg sync.WaitGroup
	got := make([]string, 16)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, _, err := e.s.CreateVerification(e.ctx, e.verification(ten, "+447400123456", t0), false)
			if err != nil {
				t.Error(err)
				return
			}
			got[i] = v.ID
		}()
	}
	wg.Wait()
	for _, id := range got {
		if id != got[0] {
			t.Fatalf("racing starts stored several pending verifications: %v", got)
		}
	}
}

func testVerificationUpdate(t *testing.T, e *env) {
	ten := e.tenant()
	v, _ := e.createVerification(t, e.verification(ten, "+447400123456", t0), false)
	at := t0.Add(time.Minute)
	got, err := e.s.UpdateVerification(e.ctx, ten, v.ID, func(v *detour.Verification) error {
		v.Checks++
		v.Sends[0].MessageID = "msg_1"
		v.Sends = append(v.Sends, detour.VerificationSend{Channel: "sms", CreatedAt: at})
		v.UpdatedAt = at
		return nil
	})
	if err != nil || got.Checks != 1 || len(got.Sends) != 2 || got.Sends[0].MessageID != "msg_1" || got.Status != detour.VerificationPending {
		t.Fatalf("update: %+v %v", got, err)
	}
	failed := errors.New("no")
	_, err = e.s.UpdateVerification(e.ctx, ten, v.ID, func(v *detour.Verification) error {
		v.Checks = 5
		v.SetStatus(detour.VerificationMaxAttempts, at)
		return failed
	})
	if !errors.Is(err, failed) {
		t.Fatalf("fn error: %v", err)
	}
	_, err = e.s.UpdateVerification(e.ctx, ten, v.ID, func(v *detour.Verification) error {
		v.Checks++
		v.SetStatus(detour.VerificationApproved, at.Add(time.Second))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// A final verification never changes its status again.
	_, err = e.s.UpdateVerification(e.ctx, ten, v.ID, func(v *detour.Verification) error {
		v.Status = detour.VerificationCanceled
		return nil
	})
	if err == nil {
		t.Fatal("an approved verification became canceled")
	}
	e.reopen(t)
	final, err := e.s.Verification(e.ctx, ten, v.ID)
	if err != nil || final.Status != detour.VerificationApproved || final.Checks != 2 || !sameTime(at.Add(time.Second), final.UpdatedAt) ||
		len(final.Sends) != 2 || final.Sends[1].Channel != "sms" || !sameTime(at, final.Sends[1].CreatedAt) {
		t.Fatalf("after reopen: %+v %v", final, err)
	}
	if _, err := e.s.PendingVerification(e.ctx, ten, v.To); detour.ErrorCode(err) != detour.CodeNotFound {
		t.Fatalf("an approved verification is still pending: %v", err)
	}
	evs := e.verificationEvents(t, ten)
	want := []detour.VerificationStatusData{{VerificationID: v.ID, Status: detour.VerificationApproved,
		Previous: detour.VerificationPending, To: v.To, Checks: 2, Sends: 2}}
	if !reflect.DeepEqual(evs, want) {
		t.Fatalf("events %+v, want %+v (none for a change that did not commit)", evs, want)
	}
}

// testVerificationChecksRace: many concurrent updates that each take one
// of five checks: exactly five get one, whatever the interleaving.
func testVerificationChecksRace(t *testing.T, e *env) {
	ten := e.tenant()
	v, _ := e.createVerification(t, e.verification(ten, "+447400123456", t0), false)
	noneLeft := errors.New("no checks left")
	var took atomic.Int32
	var wg sync.WaitGroup
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.s.UpdateVerification(e.ctx, ten, v.ID, func(v *detour.Verification) error {
				if v.Checks >= detour.MaxVerificationChecks {
					return noneLeft
				}
				v.Checks++
				return nil
			})
			switch {
			case err == nil:
				took.Add(1)
			case !errors.Is(err, noneLeft):
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got, err := e.s.Verification(e.ctx, ten, v.ID)
	if err != nil || got.Checks != detour.MaxVerificationChecks || took.Load() != detour.MaxVerificationChecks {
		t.Fatalf("%d updates took a check, %d checks stored (%v), want %d", took.Load(), got.Checks, err, detour.MaxVerificationChecks)
	}
}

func testVerificationExpire(t *testing.T, e *env) {
	ten := e.tenant()
	due := e.verification(ten, "+447400123456", t0)
	later := e.verification(ten, "+447400123457", t0.Add(5*time.Minute))
	done := e.verification(ten, "+447400123458", t0)
	for _, v := range []*detour.Verification{due, later, done} {
		e.createVerification(t, v, false)
	}
	if _, err := e.s.UpdateVerification(e.ctx, ten, done.ID, func(v *detour.Verification) error {
		v.SetStatus(detour.VerificationApproved, t0.Add(time.Second))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	now := due.ExpiresAt
	n, err := e.s.ExpireVerifications(e.ctx, now, 10)
	if err != nil || n != 1 {
		t.Fatalf("ExpireVerifications = %d, %v; want 1", n, err)
	}
	if n, err := e.s.ExpireVerifications(e.ctx, now, 10); err != nil || n != 0 {
		t.Fatalf("again: %d, %v", n, err)
	}
	got, _ := e.s.Verification(e.ctx, ten, due.ID)
	if got.Status != detour.VerificationExpired || !sameTime(now, got.UpdatedAt) {
		t.Fatalf("due: %s at %v", got.Status, got.UpdatedAt)
	}
	if got, _ := e.s.Verification(e.ctx, ten, later.ID); got.Status != detour.VerificationPending {
		t.Fatalf("not due yet: %s", got.Status)
	}
	evs := e.verificationEvents(t, ten)
	if len(evs) != 2 || evs[1].VerificationID != due.ID || evs[1].Status != detour.VerificationExpired {
		t.Fatalf("events %+v", evs)
	}
}

// testVerificationEventDelivered: a verification's end is queued for the
// endpoints that want verification.status, with the change.
func testVerificationEventDelivered(t *testing.T, e *env) {
	ten := e.tenant()
	ep := e.endpoint(ten, detour.EventVerificationStatus)
	e.createEndpoint(t, ep)
	v, _ := e.createVerification(t, e.verification(ten, "+447400123456", t0), false)
	if _, err := e.s.UpdateVerification(e.ctx, ten, v.ID, func(v *detour.Verification) error {
		v.SetStatus(detour.VerificationApproved, t0.Add(time.Second))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	ds := e.dueHooks(t, t0.Add(time.Minute))
	if len(ds) != 1 || ds[0].EndpointID != ep.ID || ds[0].Event.Type != detour.EventVerificationStatus {
		t.Fatalf("deliveries %+v", ds)
	}
}
