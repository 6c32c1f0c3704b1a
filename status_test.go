package detour_test

import (
	"testing"
	"time"

	"github.com/detourhq/detour"
)

func TestMessageStatusesOnlyMoveForward(t *testing.T) {
	allowed := map[[2]detour.Status]bool{}
	for _, p := range [][2]detour.Status{
		{"queued", "sending"}, {"queued", "sent"}, {"queued", "failed"}, {"queued", "expired"}, {"queued", "canceled"}, {"queued", "delivered"}, {"queued", "read"},
		{"sending", "sent"}, {"sending", "failed"}, {"sending", "expired"}, {"sending", "canceled"}, {"sending", "delivered"}, {"sending", "read"},
		{"sent", "failed"}, {"sent", "expired"}, {"sent", "canceled"}, {"sent", "delivered"}, {"sent", "read"},
		{"failed", "delivered"}, {"failed", "read"}, {"expired", "delivered"}, {"expired", "read"}, {"canceled", "delivered"}, {"canceled", "read"},
		{"delivered", "read"},
	} {
		allowed[p] = true
	}
	for _, from := range detour.Statuses {
		for _, to := range detour.Statuses {
			if got := detour.CanTransition(from, to); got != allowed[[2]detour.Status{from, to}] {
				t.Errorf("CanTransition(%s, %s) = %v", from, to, got)
			}
		}
	}
	if detour.CanTransition("queued", "bogus") || detour.CanTransition("bogus", "sent") {
		t.Error("unknown statuses never transition")
	}
}

func TestAttemptReceiptsInAnyOrderEndTheSame(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	receipts := []struct {
		st detour.AttemptStatus
		at time.Duration
	}{{detour.AttemptSent, 1}, {detour.AttemptDelivered, 2}, {detour.AttemptRead, 3}}
	orders := [][]int{{0, 1, 2}, {2, 1, 0}, {1, 0, 2}, {2, 0, 1}, {0, 2, 1}, {1, 2, 0}, {0, 0, 1, 1, 2, 2}}
	for _, order := range orders {
		a := &detour.Attempt{Status: detour.AttemptPending, CreatedAt: t0}
		for _, i := range order {
			a.SetStatus(receipts[i].st, t0.Add(receipts[i].at*time.Second))
		}
		h := a.History()
		if a.Status != detour.AttemptRead || len(h) != 4 {
			t.Fatalf("order %v: status %s history %+v", order, a.Status, h)
		}
		for i, want := range []detour.AttemptStatus{"pending", "sent", "delivered", "read"} {
			if h[i].Status != want || !h[i].At.Equal(t0.Add(time.Duration(i)*time.Second)) {
				t.Fatalf("order %v: history %+v", order, h)
			}
		}
	}
}

func TestAttemptFailureDoesNotOverwriteDelivery(t *testing.T) {
	a := &detour.Attempt{Status: detour.AttemptSent}
	a.SetStatus(detour.AttemptDelivered, time.Now())
	if a.SetStatus(detour.AttemptFailed, time.Now()) || a.Status != detour.AttemptDelivered || !a.EndedAt.IsZero() {
		t.Fatalf("a failure after delivery changed the attempt: %+v", a)
	}
	b := &detour.Attempt{Status: detour.AttemptSent}
	b.SetStatus(detour.AttemptFailed, time.Now())
	if !b.SetStatus(detour.AttemptDelivered, time.Now()) {
		t.Fatal("delivery evidence must win over an earlier failure report")
	}
}

func TestMessageFailIsFinalButDeliveryWins(t *testing.T) {
	now := time.Now()
	m := &detour.Message{Status: detour.StatusSent, Timer: &detour.Timer{Kind: detour.TimerExpire}}
	if !m.Fail(detour.StatusExpired, detour.ReasonExpired, "", now) || m.Timer != nil || m.ErrorCode != detour.ReasonExpired {
		t.Fatalf("Fail: %+v", m)
	}
	if m.Fail(detour.StatusCanceled, detour.ReasonCanceled, "", now) {
		t.Fatal("one final failure never replaces another")
	}
	if !m.SetStatus(detour.StatusDelivered, now) {
		t.Fatal("a late delivery must win")
	}
}
