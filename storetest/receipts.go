package storetest

import (
	"testing"
	"time"

	"github.com/detourhq/detour"
)

// Stores stamp orphan receipts with their own (real) clock, so the suite
// keeps or drops them with bounds an hour either side of now.
var (
	keepOrphans = func() time.Time { return time.Now().Add(-time.Hour) }
	dropOrphans = func() time.Time { return time.Now().Add(time.Hour) }
)

// sent creates a message with one sent attempt whose provider id is pid.
func (e *env) sent(t *testing.T, ten, pid string) (*detour.Message, *detour.Attempt) {
	t.Helper()
	m := e.create(t, e.message(ten, t0))
	a := e.attempt(m, t0, pid)
	a.Status, a.SentAt = detour.AttemptSent, t0.Add(time.Second)
	e.update(t, m.ID, func(m *detour.Message) {
		m.Status = detour.StatusSent
		m.Attempts = append(m.Attempts, a)
	})
	return e.get(t, ten, m.ID), a
}

// deliver is a receipt function that marks the attempt and the message
// delivered and drops the timer.
func deliver(at time.Time) func(*detour.Message, *detour.Attempt) error {
	return func(m *detour.Message, a *detour.Attempt) error {
		a.SetStatus(detour.AttemptDelivered, at)
		m.SetStatus(detour.StatusDelivered, at)
		m.Timer = nil
		return nil
	}
}

func testReceiptMatch(t *testing.T, e *env) {
	ten := e.tenant()
	m, a := e.sent(t, ten, "prov-1")
	at := t0.Add(time.Minute)
	r := detour.Receipt{Channel: "sms", Route: "op1", ProviderID: "prov-1", Status: detour.AttemptDelivered, At: at}
	called := 0
	matched, err := e.s.ApplyReceipt(e.ctx, r, func(mm *detour.Message, aa *detour.Attempt) error {
		called++
		if mm.ID != m.ID || aa == nil || aa.ID != a.ID || mm.Attempt(aa.ID) != aa {
			t.Errorf("fn got message %s attempt %+v; want %s and a pointer to its attempt %s", mm.ID, aa, m.ID, a.ID)
			return nil
		}
		return deliver(at)(mm, aa)
	})
	if err != nil || !matched || called != 1 {
		t.Fatalf("ApplyReceipt: matched=%v err=%v calls=%d", matched, err, called)
	}
	want := m.Clone()
	deliver(at)(want, want.Attempts[0])
	sameMessage(t, want, e.get(t, ten, m.ID), true)

	// Channel and route are part of the match.
	for _, r := range []detour.Receipt{
		{Channel: "sms", Route: "op2", ProviderID: "prov-1", Status: detour.AttemptRead},
		{Channel: "whatsapp", Route: "op1", ProviderID: "prov-1", Status: detour.AttemptRead},
		{Channel: "sms", Route: "op1", ProviderID: "prov-2", Status: detour.AttemptRead},
	} {
		matched, err := e.s.ApplyReceipt(e.ctx, r, func(*detour.Message, *detour.Attempt) error {
			t.Errorf("fn called for receipt %+v", r)
			return nil
		})
		if err != nil || matched {
			t.Fatalf("receipt %+v: matched=%v err=%v, want an orphan", r, matched, err)
		}
	}
	sameMessage(t, want, e.get(t, ten, m.ID), true)
}

func testReceiptOrphan(t *testing.T, e *env) {
	ten := e.tenant()
	at := t0.Add(time.Minute)
	rs := []detour.Receipt{
		{Channel: "sms", Route: "op1", ProviderID: "early", Status: detour.AttemptDelivered, At: at.Add(time.Nanosecond)},
		{Channel: "sms", Route: "op1", ProviderID: "early", Status: detour.AttemptRead, At: at.Add(time.Second), Reason: "r", Detail: "d"},
	}
	for _, r := range rs {
		matched, err := e.s.ApplyReceipt(e.ctx, r, func(*detour.Message, *detour.Attempt) error {
			t.Error("fn called for a receipt without its attempt")
			return nil
		})
		if err != nil || matched {
			t.Fatalf("early receipt: matched=%v err=%v, want kept as an orphan", matched, err)
		}
	}
	noop := func(*detour.Message, *detour.Attempt, detour.Receipt) error {
		t.Error("fn called before the attempt exists")
		return nil
	}
	if n, err := e.s.RetryOrphans(e.ctx, keepOrphans(), noop); err != nil || n != 0 {
		t.Fatalf("RetryOrphans before the attempt exists = %d, %v", n, err)
	}

	m, _ := e.sent(t, ten, "early")
	var got []detour.Receipt
	n, err := e.s.RetryOrphans(e.ctx, keepOrphans(), func(mm *detour.Message, a *detour.Attempt, r detour.Receipt) error {
		if mm.ID != m.ID || a == nil || mm.Attempt(a.ID) != a {
			t.Errorf("fn got message %s attempt %+v", mm.ID, a)
			return nil
		}
		got = append(got, r)
		a.SetStatus(r.Status, r.At)
		mm.SetStatus(detour.StatusDelivered, r.At)
		return nil
	})
	if err != nil || n != 2 {
		t.Fatalf("RetryOrphans after the attempt appeared = %d, %v; want 2", n, err)
	}
	if len(got) != 2 {
		t.Fatalf("fn saw %d receipts, want 2", len(got))
	}
	for i, r := range got {
		w := rs[i]
		if r.Channel != w.Channel || r.Route != w.Route || r.ProviderID != w.ProviderID || r.Status != w.Status ||
			r.Reason != w.Reason || r.Detail != w.Detail || !sameTime(w.At, r.At) {
			t.Errorf("receipt %d read back as %+v, want %+v (oldest first)", i, r, w)
		}
	}
	stored := e.get(t, ten, m.ID)
	if a := stored.Attempts[0]; a.Status != detour.AttemptRead || !sameTime(rs[0].At, a.DeliveredAt) || !sameTime(rs[1].At, a.ReadAt) {
		t.Fatalf("attempt after the kept receipts: %+v", a)
	}
	if stored.Status != detour.StatusDelivered {
		t.Fatalf("message status %s, want delivered", stored.Status)
	}
	if n, err := e.s.RetryOrphans(e.ctx, keepOrphans(), noop); err != nil || n != 0 {
		t.Fatalf("RetryOrphans again = %d, %v; applied receipts must be gone", n, err)
	}
}

func testReceiptOrphanDropped(t *testing.T, e *env) {
	ten := e.tenant()
	r := detour.Receipt{Channel: "sms", Route: "op1", ProviderID: "lost", Status: detour.AttemptDelivered, At: t0}
	if matched, err := e.s.ApplyReceipt(e.ctx, r, deliver(t0)); err != nil || matched {
		t.Fatalf("ApplyReceipt: matched=%v err=%v", matched, err)
	}
	noop := func(*detour.Message, *detour.Attempt, detour.Receipt) error {
		t.Error("fn called for a dropped receipt")
		return nil
	}
	if n, err := e.s.RetryOrphans(e.ctx, dropOrphans(), noop); err != nil || n != 0 {
		t.Fatalf("RetryOrphans dropping = %d, %v", n, err)
	}
	e.sent(t, ten, "lost")
	if n, err := e.s.RetryOrphans(e.ctx, keepOrphans(), noop); err != nil || n != 0 {
		t.Fatalf("RetryOrphans after the drop = %d, %v; the receipt should be gone", n, err)
	}
}

func testReceiptMultipart(t *testing.T, e *env) {
	ten := e.tenant()
	m := e.create(t, e.message(ten, t0))
	a := e.attempt(m, t0, "part-1")
	a.Status, a.SentAt, a.Segments = detour.AttemptSent, t0.Add(time.Second), 3
	a.Parts = []detour.Part{{ProviderID: "part-1", Status: detour.AttemptSent},
		{ProviderID: "part-2", Status: detour.AttemptSent}, {ProviderID: "part-3", Status: detour.AttemptSent}}
	e.update(t, m.ID, func(m *detour.Message) { m.Attempts = append(m.Attempts, a) })
	e.reopen(t)
	got := e.get(t, ten, m.ID)
	if len(got.Attempts) != 1 || len(got.Attempts[0].Parts) != 3 || got.Attempts[0].Parts[2].ProviderID != "part-3" {
		t.Fatalf("parts did not survive: %+v", got.Attempts)
	}
	// A receipt about any part finds the attempt; the function sees which.
	for _, pid := range []string{"part-3", "part-1", "part-2"} {
		r := detour.Receipt{Channel: "sms", Route: "op1", ProviderID: pid, Status: detour.AttemptDelivered}
		matched, err := e.s.ApplyReceipt(e.ctx, r, func(mm *detour.Message, aa *detour.Attempt) error {
			if aa == nil || aa.ID != a.ID {
				t.Errorf("receipt for %s found attempt %+v", pid, aa)
				return nil
			}
			aa.PartReceipt(pid, detour.AttemptDelivered)
			return nil
		})
		if err != nil || !matched {
			t.Fatalf("receipt for %s: matched=%v err=%v", pid, matched, err)
		}
	}
	for _, p := range e.get(t, ten, m.ID).Attempts[0].Parts {
		if p.Status != detour.AttemptDelivered {
			t.Fatalf("part statuses were not saved: %+v", e.get(t, ten, m.ID).Attempts[0].Parts)
		}
	}
	r := detour.Receipt{Channel: "sms", Route: "op2", ProviderID: "part-2", Status: detour.AttemptDelivered}
	if matched, err := e.s.ApplyReceipt(e.ctx, r, func(*detour.Message, *detour.Attempt) error { return nil }); err != nil || matched {
		t.Fatalf("a part id on another route must not match: %v %v", matched, err)
	}
}

// testReceiptNewestOfReusedIDs: when an SMSC reuses ids, a receipt belongs
// to the newest attempt with that id, whether the id is an attempt's own
// or a later part's.
func testReceiptNewestOfReusedIDs(t *testing.T, e *env) {
	ten := e.tenant()
	multipart := func(ids ...string) *detour.Attempt {
		m := e.create(t, e.message(ten, t0))
		a := e.attempt(m, t0, ids[0])
		a.Status, a.SentAt, a.Segments = detour.AttemptSent, t0.Add(time.Second), len(ids)
		for _, id := range ids {
			a.Parts = append(a.Parts, detour.Part{ProviderID: id, Status: detour.AttemptSent})
		}
		e.update(t, m.ID, func(m *detour.Message) { m.Attempts = append(m.Attempts, a) })
		return a
	}
	found := func(pid string) string {
		var got string
		r := detour.Receipt{Channel: "sms", Route: "op1", ProviderID: pid, Status: detour.AttemptDelivered}
		if matched, err := e.s.ApplyReceipt(e.ctx, r, func(_ *detour.Message, a *detour.Attempt) error {
			got = a.ID
			return nil
		}); err != nil || !matched {
			t.Fatalf("receipt for %s: matched=%v err=%v", pid, matched, err)
		}
		return got
	}
	// An old single-part attempt, then a new message's second part.
	e.sent(t, ten, "reused-2")
	if newer := multipart("reused-1", "reused-2"); found("reused-2") != newer.ID {
		t.Fatalf("a receipt for reused-2 went to the older single-part attempt, not the newer part")
	}
	// An old second part, then a new single-part attempt.
	multipart("reused-3", "reused-4")
	if _, newer := e.sent(t, ten, "reused-4"); found("reused-4") != newer.ID {
		t.Fatalf("a receipt for reused-4 went to the older part, not the newer attempt")
	}
}
