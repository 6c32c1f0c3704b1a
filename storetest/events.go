package storetest

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/detourhq/detour"
)

// testEvents: every status change writes a message.status event in the
// same transaction (accepting a message is not a change: the API answered
// with it); a change that does not commit writes none.
func testEvents(t *testing.T, e *env) {
	ten := e.tenant()
	m := e.create(t, e.message(ten, t0))
	e.update(t, m.ID, func(m *detour.Message) { m.SetStatus(detour.StatusSent, t0.Add(time.Second)) })
	e.update(t, m.ID, func(m *detour.Message) { m.Metadata = nil }) // no status change: no event
	failed := errors.New("no")
	if err := e.s.UpdateMessage(e.ctx, m.ID, func(m *detour.Message) error {
		m.SetStatus(detour.StatusDelivered, t0.Add(2*time.Second))
		return failed
	}); !errors.Is(err, failed) {
		t.Fatalf("UpdateMessage = %v", err)
	}
	e.update(t, m.ID, func(m *detour.Message) {
		m.SetStatus(detour.StatusDelivered, t0.Add(3*time.Second))
		m.Timer = nil
	})
	e.create(t, e.message(e.tenant(), t0)) // another tenant's
	e.reopen(t)
	page, err := e.s.Events(e.ctx, detour.EventFilter{TenantID: ten})
	if err != nil {
		t.Fatal(err)
	}
	var got []detour.Status
	for _, ev := range page.Events {
		if ev.Type != detour.EventMessageStatus || ev.MessageID != m.ID || ev.TenantID != ten {
			t.Fatalf("event %+v", ev)
		}
		var d detour.MessageStatusData
		if err := json.Unmarshal(ev.Data, &d); err != nil || d.MessageID != m.ID || d.To != m.To {
			t.Fatalf("event data %s: %v", ev.Data, err)
		}
		got = append(got, d.Status)
	}
	want := []detour.Status{detour.StatusDelivered, detour.StatusSent} // newest first
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("events %v, want %v", got, want)
	}
	if !page.Events[0].CreatedAt.Equal(t0.Add(3 * time.Second).Truncate(time.Microsecond)) {
		t.Fatalf("event time %v", page.Events[0].CreatedAt)
	}
	one, err := e.s.Events(e.ctx, detour.EventFilter{TenantID: ten, MessageID: m.ID, Limit: 1})
	if err != nil || len(one.Events) != 1 || !one.More {
		t.Fatalf("limit 1: %d %v %v", len(one.Events), one.More, err)
	}
	rest, err := e.s.Events(e.ctx, detour.EventFilter{TenantID: ten, Before: one.Events[0].ID})
	if err != nil || len(rest.Events) != 1 || rest.More {
		t.Fatalf("cursor: %d %v %v", len(rest.Events), rest.More, err)
	}
	none, _ := e.s.Events(e.ctx, detour.EventFilter{TenantID: ten, Type: "verification.approved"})
	if len(none.Events) != 0 {
		t.Fatal("type filter")
	}
}
