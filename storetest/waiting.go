package storetest

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/detourhq/detour"
)

// testWaitingOn: only messages whose current step was accepted on the
// channel (and route) and wait for a fallback deadline are listed.
func testWaitingOn(t *testing.T, e *env) {
	ten := e.tenant()
	wait := func(route string, kind detour.TimerKind, status detour.AttemptStatus) string {
		m := e.create(t, e.message(ten, t0))
		e.update(t, m.ID, func(m *detour.Message) {
			a := e.attempt(m, t0, "p-"+m.ID)
			a.Route = route
			a.SetStatus(status, t0)
			m.Attempts = append(m.Attempts, a)
			m.SetStatus(detour.StatusSent, t0)
			m.Timer = &detour.Timer{Kind: kind, Step: 0, RunAt: t0.Add(10 * time.Second)}
		})
		return m.ID
	}
	a := wait("op1", detour.TimerFallback, detour.AttemptSent)
	b := wait("op2", detour.TimerFallback, detour.AttemptSent)
	wait("op1", detour.TimerExpire, detour.AttemptSent)        // no fallback to move to
	wait("op1", detour.TimerFallback, detour.AttemptDelivered) // nothing to wait for
	got, err := e.s.WaitingOn(e.ctx, "sms", "op1")
	if err != nil || !slices.Equal(got, []string{a}) {
		t.Fatalf("WaitingOn(sms, op1) = %v, %v; want %s", got, err, a)
	}
	got, _ = e.s.WaitingOn(e.ctx, "sms", "")
	slices.Sort(got)
	want := []string{a, b}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("WaitingOn(sms) = %v, want %v", got, want)
	}
	if got, _ := e.s.WaitingOn(e.ctx, "whatsapp", ""); len(got) != 0 {
		t.Fatalf("WaitingOn(whatsapp) = %v", got)
	}
}

// testAddEvent: an event of its own is listed (a system one by every
// tenant) and queued for the endpoints that want it.
func testAddEvent(t *testing.T, e *env) {
	ten := e.tenant()
	ep := e.endpoint(ten, detour.EventChannelHealth)
	e.createEndpoint(t, ep)
	ev := &detour.Event{TenantID: detour.SystemTenant, Type: detour.EventChannelHealth, Data: json.RawMessage(`{"channel":"sms"}`), CreatedAt: t0}
	if err := e.s.AddEvent(e.ctx, ev); err != nil || !detour.ValidID("evt_", ev.ID) {
		t.Fatalf("AddEvent = %v (id %q)", err, ev.ID)
	}
	page, err := e.s.Events(e.ctx, detour.EventFilter{TenantID: ten, Type: detour.EventChannelHealth})
	if err != nil || len(page.Events) != 1 || page.Events[0].ID != ev.ID {
		t.Fatalf("Events = %+v, %v", page.Events, err)
	}
	if ds := e.dueHooks(t, t0); len(ds) != 1 || ds[0].EndpointID != ep.ID || ds[0].Event.ID != ev.ID {
		t.Fatalf("deliveries %+v", ds)
	}
	if err := e.s.AddEvent(e.ctx, &detour.Event{Type: detour.EventChannelHealth}); err == nil {
		t.Fatal("an event without data was written")
	}
}
