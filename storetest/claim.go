package storetest

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/detourhq/detour"
)

const lease = 30 * time.Second

// due creates a message of priority p whose timer is due at at.
func (e *env) due(t *testing.T, ten string, p detour.Priority, at time.Time) *detour.Message {
	t.Helper()
	m := e.message(ten, t0)
	m.Priority = p
	m.Timer.RunAt = at
	return e.create(t, m)
}

// claim claims with a function that changes nothing.
func (e *env) claim(t *testing.T, owner string, now time.Time, limit int) []*detour.Message {
	t.Helper()
	ms, err := e.s.Claim(e.ctx, detour.ClaimRequest{Owner: owner, Now: now, Lease: lease, Limit: limit},
		func(*detour.Message) error { return nil })
	if err != nil {
		t.Fatalf("Claim: %v", err)
	}
	return ms
}

func testClaimOrder(t *testing.T, e *env) {
	ten := e.tenant()
	now := t0.Add(time.Hour)
	// Created in an order that is neither priority nor age order.
	bulkOld := e.due(t, ten, detour.PriorityBulk, t0)
	normal2 := e.due(t, ten, detour.PriorityNormal, t0.Add(2*time.Minute))
	otpNew := e.due(t, ten, detour.PriorityOTP, t0.Add(50*time.Minute))
	high := e.due(t, ten, detour.PriorityHigh, t0.Add(time.Minute))
	normal1 := e.due(t, ten, detour.PriorityNormal, t0.Add(time.Minute))
	otpOld := e.due(t, ten, detour.PriorityOTP, t0.Add(time.Minute))
	bulkNew := e.due(t, ten, detour.PriorityBulk, now) // due exactly now

	got := e.claim(t, "node_a", now, 3)
	if want := ids([]*detour.Message{otpOld, otpNew, high}); !slices.Equal(ids(got), want) {
		t.Fatalf("first claim of 3 got %v, want %v (otp oldest first, then high)", ids(got), want)
	}
	got = e.claim(t, "node_a", now, 100)
	if want := ids([]*detour.Message{normal1, normal2, bulkOld, bulkNew}); !slices.Equal(ids(got), want) {
		t.Fatalf("second claim got %v, want %v", ids(got), want)
	}
	if got := e.claim(t, "node_a", now, 100); len(got) != 0 {
		t.Fatalf("third claim got %v, want nothing: all are leased", ids(got))
	}
	if got, err := e.s.Claim(e.ctx, detour.ClaimRequest{Owner: "x", Now: now.Add(time.Hour), Lease: lease, Limit: 0},
		func(*detour.Message) error { return nil }); err != nil || len(got) != 0 {
		t.Fatalf("a claim with limit 0 got %v, %v", ids(got), err)
	}
}

func testClaimDueOnly(t *testing.T, e *env) {
	ten := e.tenant()
	now := t0.Add(time.Hour)
	dueNow := e.due(t, ten, detour.PriorityBulk, now.Add(-time.Second))
	var future []*detour.Message
	for _, p := range detour.Priorities {
		future = append(future, e.due(t, ten, p, now.Add(time.Microsecond)), e.due(t, ten, p, now.Add(24*time.Hour)))
	}
	got := e.claim(t, "node_a", now, 100)
	if !slices.Equal(ids(got), []string{dueNow.ID}) {
		t.Fatalf("claimed %v, want only %s", ids(got), dueNow.ID)
	}
	for _, m := range future {
		sameMessage(t, m, e.get(t, ten, m.ID), true) // untouched
	}
}

func testClaimLease(t *testing.T, e *env) {
	ten := e.tenant()
	m := e.due(t, ten, detour.PriorityNormal, t0)
	now := t0.Add(time.Minute)

	got := e.claim(t, "node_a", now, 10)
	if len(got) != 1 {
		t.Fatalf("claimed %d, want 1", len(got))
	}
	wantTimer := detour.Timer{Kind: detour.TimerSend, RunAt: now.Add(lease), Owner: "node_a", Lease: 1}
	want := *m
	want.Timer = &wantTimer
	sameMessage(t, &want, got[0], true)
	sameMessage(t, &want, e.get(t, ten, m.ID), true)

	// Leased: not claimable by anyone until the lease ends.
	if got := e.claim(t, "node_b", now.Add(lease-time.Microsecond), 10); len(got) != 0 {
		t.Fatalf("node_b claimed a leased timer before its lease ended: %v", ids(got))
	}
	// The lease ran out (node_a died): node_b takes it with the next lease.
	later := now.Add(lease)
	got = e.claim(t, "node_b", later, 10)
	if len(got) != 1 || got[0].Timer.Owner != "node_b" || got[0].Timer.Lease != 2 || !sameTime(later.Add(lease), got[0].Timer.RunAt) {
		t.Fatalf("reclaim got %+v, want node_b's lease 2 until %v", timers(got), later.Add(lease))
	}
	got = e.claim(t, "node_a", later.Add(lease), 10)
	if len(got) != 1 || got[0].Timer.Lease != 3 {
		t.Fatalf("third claim got %+v, want lease 3", timers(got))
	}
	if stored := e.get(t, ten, m.ID); stored.Timer.Lease != 3 || stored.Timer.Owner != "node_a" {
		t.Fatalf("stored timer %+v, want node_a's lease 3", stored.Timer)
	}
}

func timers(ms []*detour.Message) []detour.Timer {
	var out []detour.Timer
	for _, m := range ms {
		if m.Timer != nil {
			out = append(out, *m.Timer)
		}
	}
	return out
}

func testClaimSavesChanges(t *testing.T, e *env) {
	ten := e.tenant()
	a := e.due(t, ten, detour.PriorityOTP, t0)
	b := e.due(t, ten, detour.PriorityNormal, t0)
	now := t0.Add(time.Minute)
	var att *detour.Attempt
	got, err := e.s.Claim(e.ctx, detour.ClaimRequest{Owner: "node_a", Now: now, Lease: lease, Limit: 10}, func(m *detour.Message) error {
		if m.Timer == nil || m.Timer.Owner != "node_a" || m.Timer.Lease != 1 || !sameTime(now.Add(lease), m.Timer.RunAt) {
			t.Errorf("fn saw timer %+v, want it leased to node_a", m.Timer)
		}
		switch m.ID {
		case a.ID: // start a send
			m.Status, m.StepStartedAt, m.UpdatedAt = detour.StatusSending, now, now
			att = e.attempt(m, now, "")
			m.Attempts = append(m.Attempts, att)
		case b.ID: // expire it: no timer left
			m.Fail(detour.StatusExpired, detour.ReasonExpired, "validity ended", now)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(got), []string{a.ID, b.ID}) {
		t.Fatalf("claimed %v, want [%s %s]", ids(got), a.ID, b.ID)
	}
	wantA := *a
	wantA.Status, wantA.StepStartedAt, wantA.UpdatedAt = detour.StatusSending, now, now
	wantA.Timer = &detour.Timer{Kind: detour.TimerSend, RunAt: now.Add(lease), Owner: "node_a", Lease: 1}
	wantA.Attempts = []*detour.Attempt{att}
	sameMessage(t, &wantA, got[0], true)
	sameMessage(t, &wantA, e.get(t, ten, a.ID), true)
	wantB := *b
	wantB.Status, wantB.ErrorCode, wantB.ErrorDetail, wantB.UpdatedAt, wantB.Timer = detour.StatusExpired, detour.ReasonExpired, "validity ended", now, nil
	sameMessage(t, &wantB, e.get(t, ten, b.ID), true)
	if n, err := e.s.Due(e.ctx, now.Add(24*time.Hour)); err != nil || n != 1 {
		t.Fatalf("Due = %d, %v; want 1 (b has no timer left)", n, err)
	}
}

func testClaimFnError(t *testing.T, e *env) {
	ten := e.tenant()
	bad := e.due(t, ten, detour.PriorityOTP, t0)
	good := e.due(t, ten, detour.PriorityNormal, t0)
	now := t0.Add(time.Minute)
	got, err := e.s.Claim(e.ctx, detour.ClaimRequest{Owner: "node_a", Now: now, Lease: lease, Limit: 10}, func(m *detour.Message) error {
		m.Status = detour.StatusSending
		if m.ID == bad.ID {
			return errors.New("cannot handle this one")
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Claim: %v (one message's failure must not fail the claim)", err)
	}
	if !slices.Equal(ids(got), []string{good.ID}) {
		t.Fatalf("claimed %v, want only %s", ids(got), good.ID)
	}
	sameMessage(t, bad, e.get(t, ten, bad.ID), true) // unchanged and unleased
	if got := e.claim(t, "node_b", now, 10); !slices.Equal(ids(got), []string{bad.ID}) {
		t.Fatalf("the skipped message is not claimable again: claimed %v", ids(got))
	}
}

func testClaimConcurrent(t *testing.T, e *env) {
	ten := e.tenant()
	const n, claimers = 200, 8
	var wg sync.WaitGroup
	for i := range n {
		m := e.message(ten, t0)
		m.Priority = detour.Priorities[i%len(detour.Priorities)]
		m.Timer.RunAt = t0.Add(time.Duration(i) * time.Millisecond)
		wg.Go(func() {
			if _, _, err := e.s.CreateMessage(e.ctx, m, nil); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	now := t0.Add(time.Hour)
	var mu sync.Mutex
	owners := map[string]string{}
	for c := range claimers {
		owner := "node_" + string(rune('a'+c))
		wg.Go(func() {
			for {
				got, err := e.s.Claim(e.ctx, detour.ClaimRequest{Owner: owner, Now: now, Lease: lease, Limit: 7},
					func(*detour.Message) error { return nil })
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, m := range got {
					if prev, dup := owners[m.ID]; dup {
						t.Errorf("%s claimed by %s and %s in the same lease window", m.ID, prev, owner)
					}
					owners[m.ID] = owner
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(owners) != n {
		t.Fatalf("%d of %d messages claimed", len(owners), n)
	}
	for id, owner := range owners {
		if m := e.get(t, ten, id); m.Timer == nil || m.Timer.Owner != owner || m.Timer.Lease != 1 {
			t.Fatalf("%s: stored timer %+v, want lease 1 of %s", id, m.Timer, owner)
		}
	}
}

func testNextDueAndDue(t *testing.T, e *env) {
	if _, ok, err := e.s.NextDue(e.ctx); err != nil || ok {
		t.Fatalf("NextDue on an empty store: ok=%v err=%v", ok, err)
	}
	if n, err := e.s.Due(e.ctx, t0); err != nil || n != 0 {
		t.Fatalf("Due on an empty store = %d, %v", n, err)
	}
	ten := e.tenant()
	e.due(t, ten, detour.PriorityBulk, t0.Add(3*time.Minute))
	e.due(t, ten, detour.PriorityOTP, t0.Add(5*time.Minute))
	e.due(t, ten, detour.PriorityNormal, t0.Add(time.Minute))
	e.due(t, ten, detour.PriorityHigh, t0.Add(time.Hour))
	noTimer := e.message(ten, t0)
	noTimer.Timer = nil
	e.create(t, noTimer)

	at, ok, err := e.s.NextDue(e.ctx)
	if err != nil || !ok || !sameTime(t0.Add(time.Minute), at) {
		t.Fatalf("NextDue = %v, %v, %v; want %v", at, ok, err, t0.Add(time.Minute))
	}
	for _, c := range []struct {
		now  time.Time
		want int
	}{
		{t0, 0},
		{t0.Add(time.Minute - time.Microsecond), 0},
		{t0.Add(time.Minute), 1}, // inclusive
		{t0.Add(3 * time.Minute), 2},
		{t0.Add(10 * time.Minute), 3},
		{t0.Add(24 * time.Hour), 4},
	} {
		if n, err := e.s.Due(e.ctx, c.now); err != nil || n != c.want {
			t.Errorf("Due(%v) = %d, %v; want %d", c.now, n, err, c.want)
		}
	}
}
