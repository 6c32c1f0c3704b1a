package storetest

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/detourhq/detour"
)

// endpoint returns a new URL endpoint of tenant wanting types.
func (e *env) endpoint(tenant string, types ...string) *detour.WebhookEndpoint {
	return &detour.WebhookEndpoint{
		ID: e.ids.New("whe_"), TenantID: tenant, Kind: detour.EndpointURL, URL: "https://hooks.example.com/" + tenant,
		Description: "orders", EventTypes: types,
		Secrets:   []detour.EndpointSecret{{Secret: detour.NewWebhookSecret(), CreatedAt: t0}},
		CreatedAt: t0, UpdatedAt: t0,
	}
}

func (e *env) createEndpoint(t *testing.T, ep *detour.WebhookEndpoint) {
	t.Helper()
	if err := e.s.CreateEndpoint(e.ctx, ep); err != nil {
		t.Fatalf("CreateEndpoint: %v", err)
	}
}

// dueHooks leases every due delivery at at and fails the test on error.
func (e *env) dueHooks(t *testing.T, at time.Time) []*detour.WebhookDelivery {
	t.Helper()
	ds, _, err := e.s.DueDeliveries(e.ctx, at, time.Minute, 1000)
	if err != nil {
		t.Fatalf("DueDeliveries: %v", err)
	}
	return ds
}

// markSent moves m to sent at at.
func (e *env) markSent(t *testing.T, m *detour.Message, at time.Time) {
	t.Helper()
	e.update(t, m.ID, func(m *detour.Message) { m.SetStatus(detour.StatusSent, at) })
}

func result(d *detour.WebhookDelivery, at time.Time, status int, next time.Time) detour.DeliveryResult {
	r := detour.DeliveryResult{
		Attempt: detour.DeliveryAttempt{DeliveryID: d.ID, EndpointID: d.EndpointID, EventID: d.EventID, N: d.Tries + 1,
			At: at, Status: status, Latency: 3 * time.Millisecond},
		Status: detour.DeliveryPending, NextAt: next,
	}
	switch {
	case status >= 200 && status < 300:
		r.Status, r.Succeeded, r.Attempt.Outcome = detour.DeliveryDelivered, true, "delivered"
	default:
		r.Attempt.Outcome, r.Attempt.Error = "retry", "the receiver answered 500"
	}
	return r
}

// testEndpoints: create, read, list, update and delete, per tenant; the
// secrets come back as stored.
func testEndpoints(t *testing.T, e *env) {
	ten, other := e.tenant(), e.tenant()
	a, b := e.endpoint(ten, detour.EventMessageStatus), e.endpoint(ten)
	e.createEndpoint(t, a)
	e.createEndpoint(t, b)
	e.createEndpoint(t, e.endpoint(other))
	e.reopen(t)
	got, err := e.s.Endpoint(e.ctx, ten, a.ID)
	if err != nil || got.URL != a.URL || got.Secrets[0].Secret.Reveal() != a.Secrets[0].Secret.Reveal() ||
		len(got.EventTypes) != 1 || got.Disabled || !sameTime(a.CreatedAt, got.CreatedAt) {
		t.Fatalf("Endpoint = %+v, %v", got, err)
	}
	if _, err := e.s.Endpoint(e.ctx, other, a.ID); !errors.Is(err, detour.ErrNotFound) {
		t.Fatalf("another tenant's endpoint: %v", err)
	}
	list, err := e.s.Endpoints(e.ctx, ten)
	if err != nil || len(list) != 2 || list[0].ID != a.ID || list[1].ID != b.ID {
		t.Fatalf("Endpoints = %d, %v", len(list), err)
	}
	upd, err := e.s.UpdateEndpoint(e.ctx, ten, a.ID, func(ep *detour.WebhookEndpoint) error {
		ep.URL, ep.EventTypes = "https://hooks.example.com/v2", nil
		ep.Secrets = append([]detour.EndpointSecret{{Secret: detour.NewWebhookSecret(), CreatedAt: t0.Add(time.Hour)}}, ep.Secrets...)
		ep.Secrets[1].ExpiresAt = t0.Add(25 * time.Hour)
		return nil
	})
	if err != nil || upd.URL != "https://hooks.example.com/v2" {
		t.Fatalf("UpdateEndpoint = %+v, %v", upd, err)
	}
	got, _ = e.s.Endpoint(e.ctx, ten, a.ID)
	if len(got.Secrets) != 2 || len(got.ActiveSecrets(t0.Add(24*time.Hour))) != 2 || len(got.ActiveSecrets(t0.Add(26*time.Hour))) != 1 {
		t.Fatalf("rotated secrets: %+v", got.Secrets)
	}
	failed := errors.New("no")
	if _, err := e.s.UpdateEndpoint(e.ctx, ten, a.ID, func(ep *detour.WebhookEndpoint) error { ep.URL = "x"; return failed }); !errors.Is(err, failed) {
		t.Fatalf("failing update: %v", err)
	}
	if _, err := e.s.UpdateEndpoint(e.ctx, other, a.ID, func(*detour.WebhookEndpoint) error { return nil }); !errors.Is(err, detour.ErrNotFound) {
		t.Fatalf("another tenant's update: %v", err)
	}
	if err := e.s.DeleteEndpoint(e.ctx, ten, b.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.s.DeleteEndpoint(e.ctx, ten, b.ID); !errors.Is(err, detour.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if list, _ := e.s.Endpoints(e.ctx, ten); len(list) != 1 || list[0].URL != "https://hooks.example.com/v2" {
		t.Fatalf("after delete: %+v", list)
	}
}

// testOutbox: a status change writes a delivery for each enabled endpoint
// that wants it, and one to the message's callback_url, in its own
// transaction; the deliveries survive a restart.
func testOutbox(t *testing.T, e *env) {
	ten := e.tenant()
	all, statusOnly, inboundOnly, off := e.endpoint(ten), e.endpoint(ten, detour.EventMessageStatus),
		e.endpoint(ten, detour.EventMessageInbound), e.endpoint(ten)
	off.Disabled, off.DisabledAt, off.DisabledReason = true, t0, "manual"
	for _, ep := range []*detour.WebhookEndpoint{all, statusOnly, inboundOnly, off} {
		e.createEndpoint(t, ep)
	}
	e.createEndpoint(t, e.endpoint(e.tenant())) // another tenant's
	m := e.create(t, e.message(ten, t0))
	if ds := e.dueHooks(t, t0.Add(time.Hour)); len(ds) != 0 {
		t.Fatalf("accepting is not an event, yet %d deliveries", len(ds))
	}
	failed := errors.New("no")
	if err := e.s.UpdateMessage(e.ctx, m.ID, func(m *detour.Message) error {
		m.SetStatus(detour.StatusSent, t0)
		return failed
	}); !errors.Is(err, failed) {
		t.Fatal(err)
	}
	e.markSent(t, m, t0.Add(time.Second))
	e.reopen(t) // crash between commit and delivery: the outbox is on disk
	ds := e.dueHooks(t, t0.Add(time.Second))
	byEndpoint := map[string]*detour.WebhookDelivery{}
	for _, d := range ds {
		byEndpoint[d.EndpointID] = d
		if d.Event == nil || d.Event.Type != detour.EventMessageStatus || d.Event.MessageID != m.ID || d.TenantID != ten ||
			d.Status != detour.DeliveryPending || d.Tries != 0 {
			t.Fatalf("delivery %+v (event %+v)", d, d.Event)
		}
	}
	if len(ds) != 3 || byEndpoint[all.ID] == nil || byEndpoint[statusOnly.ID] == nil {
		t.Fatalf("%d deliveries %v, want all, status-only and the callback", len(ds), byEndpoint)
	}
	eps, _ := e.s.Endpoints(e.ctx, ten)
	var callback *detour.WebhookEndpoint
	for _, ep := range eps {
		if ep.Kind == detour.EndpointCallback {
			callback = ep
		}
	}
	if callback == nil || len(callback.Secrets) != 1 || byEndpoint[callback.ID] == nil ||
		byEndpoint[callback.ID].URL != "https://example.com/hook" {
		t.Fatalf("callback endpoint %+v", callback)
	}
	// Leased: not due again until the lease ends.
	if again := e.dueHooks(t, t0.Add(2*time.Second)); len(again) != 0 {
		t.Fatalf("leased deliveries due again: %d", len(again))
	}
	if again := e.dueHooks(t, t0.Add(2*time.Minute)); len(again) != 3 {
		t.Fatalf("deliveries after the lease: %d", len(again))
	}
}

// testDeliveryOrder: the deliveries of one message to one endpoint go one
// at a time, in order; another message's are not held up.
func testDeliveryOrder(t *testing.T, e *env) {
	ten := e.tenant()
	ep := e.endpoint(ten)
	e.createEndpoint(t, ep)
	m1, m2 := e.message(ten, t0), e.message(ten, t0)
	m1.CallbackURL, m2.CallbackURL = "", ""
	e.create(t, m1)
	e.create(t, m2)
	e.markSent(t, m1, t0)
	e.update(t, m1.ID, func(m *detour.Message) { m.SetStatus(detour.StatusDelivered, t0.Add(time.Second)) })
	e.markSent(t, m2, t0)
	ds := e.dueHooks(t, t0.Add(time.Second))
	if len(ds) != 2 {
		t.Fatalf("due %d, want the first of each message", len(ds))
	}
	first, other := ds[0], ds[1]
	if first.Event.MessageID != m1.ID {
		first, other = other, first
	}
	if err := e.s.RecordDeliveries(e.ctx, []detour.DeliveryResult{result(other, t0.Add(time.Second), 200, time.Time{})}); err != nil {
		t.Fatal(err)
	}
	var d struct{ Status detour.Status }
	if err := json.Unmarshal(first.Event.Data, &d); err != nil || d.Status != detour.StatusSent {
		t.Fatalf("first delivery of m1 is %s", first.Event.Data)
	}
	// It fails: the next try is later, and the second event waits for it.
	retry := t0.Add(10 * time.Second)
	if err := e.s.RecordDeliveries(e.ctx, []detour.DeliveryResult{result(first, t0.Add(2*time.Second), 500, retry)}); err != nil {
		t.Fatal(err)
	}
	if got := e.dueHooks(t, retry.Add(-time.Millisecond)); len(got) != 0 {
		t.Fatalf("before the retry time: %d due", len(got))
	}
	got := e.dueHooks(t, retry)
	if len(got) != 1 || got[0].ID != first.ID || got[0].Tries != 1 || got[0].LastStatus != 500 {
		t.Fatalf("at the retry time: %+v due, want only the first", got)
	}
	first = got[0]
	next, ok, err := e.s.NextDelivery(e.ctx)
	if err != nil || !ok {
		t.Fatalf("NextDelivery = %v %v", ok, err)
	}
	again := e.dueHooks(t, next)
	if len(again) != 0 {
		t.Fatalf("due while leased: %d", len(again))
	}
	if err := e.s.RecordDeliveries(e.ctx, []detour.DeliveryResult{result(first, retry.Add(time.Second), 204, time.Time{})}); err != nil {
		t.Fatal(err)
	}
	second := e.dueHooks(t, retry.Add(time.Second))
	if len(second) != 1 || second[0].Event.MessageID != m1.ID {
		t.Fatalf("after the first was delivered: %+v", second)
	}
	if err := json.Unmarshal(second[0].Event.Data, &d); err != nil || d.Status != detour.StatusDelivered {
		t.Fatalf("second delivery is %s", second[0].Event.Data)
	}
	page, err := e.s.Deliveries(e.ctx, detour.DeliveryFilter{TenantID: ten, EndpointID: ep.ID, EventID: first.EventID})
	if err != nil || len(page.Deliveries) != 1 {
		t.Fatalf("Deliveries = %+v, %v", page, err)
	}
	log := page.Attempts[first.ID]
	if got := page.Deliveries[0]; got.Status != detour.DeliveryDelivered || got.Tries != 2 || got.LastStatus != 204 || len(log) != 2 ||
		log[0].Status != 500 || log[0].Outcome != "retry" || log[1].Status != 204 || log[1].Latency != 3*time.Millisecond {
		t.Fatalf("delivery %+v, log %+v", got, log)
	}
	if other, _ := e.s.Deliveries(e.ctx, detour.DeliveryFilter{TenantID: e.tenant(), EndpointID: ep.ID}); len(other.Deliveries) != 0 {
		t.Fatal("another tenant lists the deliveries")
	}
}

// testEndpointDisable: failures grow a streak, a success resets it;
// disabling writes an event and holds deliveries; re-enabling resumes them.
func testEndpointDisable(t *testing.T, e *env) {
	ten := e.tenant()
	ep, watcher := e.endpoint(ten, detour.EventMessageStatus), e.endpoint(ten, detour.EventEndpointDisabled)
	e.createEndpoint(t, ep)
	e.createEndpoint(t, watcher)
	m := e.message(ten, t0)
	m.CallbackURL = ""
	e.create(t, m)
	e.markSent(t, m, t0)
	d := e.dueHooks(t, t0)[0]
	r := result(d, t0.Add(time.Second), 500, t0.Add(time.Hour))
	r.Disable = "failing"
	if err := e.s.RecordDeliveries(e.ctx, []detour.DeliveryResult{r}); err != nil {
		t.Fatal(err)
	}
	got, _ := e.s.Endpoint(e.ctx, ten, ep.ID)
	if !got.Disabled || got.DisabledReason != "failing" || got.Failures != 1 || !sameTime(t0.Add(time.Second), got.FailingSince) {
		t.Fatalf("endpoint %+v", got)
	}
	ds := e.dueHooks(t, t0.Add(2*time.Hour))
	if len(ds) != 1 || ds[0].EndpointID != watcher.ID || ds[0].Event.Type != detour.EventEndpointDisabled {
		t.Fatalf("due %+v, want only the disabled event to the watcher", ds)
	}
	var data detour.EndpointDisabledData
	if err := json.Unmarshal(ds[0].Event.Data, &data); err != nil || data.EndpointID != ep.ID || data.Reason != "failing" {
		t.Fatalf("event %s", ds[0].Event.Data)
	}
	if err := e.s.RecordDeliveries(e.ctx, []detour.DeliveryResult{result(ds[0], t0.Add(2*time.Hour), 200, time.Time{})}); err != nil {
		t.Fatal(err)
	}
	now := t0.Add(3 * time.Hour)
	if _, err := e.s.UpdateEndpoint(e.ctx, ten, ep.ID, func(ep *detour.WebhookEndpoint) error {
		ep.Disabled, ep.DisabledAt, ep.DisabledReason, ep.UpdatedAt = false, time.Time{}, "", now
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	resumed := e.dueHooks(t, now)
	if len(resumed) != 1 || resumed[0].ID != d.ID || resumed[0].Tries != 1 {
		t.Fatalf("after re-enabling: %+v", resumed)
	}
	if err := e.s.RecordDeliveries(e.ctx, []detour.DeliveryResult{result(resumed[0], now, 200, time.Time{})}); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.s.Endpoint(e.ctx, ten, ep.ID); got.Failures != 0 || !got.FailingSince.IsZero() {
		t.Fatalf("a success keeps the streak: %+v", got)
	}
}

// testReplay: an event is delivered again to every endpoint that wants it,
// or to one; unknown events and endpoints are not found.
func testReplay(t *testing.T, e *env) {
	ten := e.tenant()
	a, b := e.endpoint(ten), e.endpoint(ten, detour.EventMessageInbound)
	e.createEndpoint(t, a)
	e.createEndpoint(t, b)
	m := e.create(t, e.message(ten, t0))
	e.markSent(t, m, t0)
	for _, d := range e.dueHooks(t, t0) {
		if err := e.s.RecordDeliveries(e.ctx, []detour.DeliveryResult{result(d, t0, 200, time.Time{})}); err != nil {
			t.Fatal(err)
		}
	}
	page, _ := e.s.Events(e.ctx, detour.EventFilter{TenantID: ten})
	ev := page.Events[0]
	ds, err := e.s.Replay(e.ctx, ten, ev.ID, "", t0.Add(time.Hour))
	if err != nil || len(ds) != 2 { // a and the callback
		t.Fatalf("Replay = %d, %v", len(ds), err)
	}
	if ds, err := e.s.Replay(e.ctx, ten, ev.ID, b.ID, t0.Add(time.Hour)); err != nil || len(ds) != 1 || ds[0].EndpointID != b.ID {
		t.Fatalf("Replay to one endpoint = %+v, %v", ds, err)
	}
	if due := e.dueHooks(t, t0.Add(time.Hour)); len(due) != 3 {
		t.Fatalf("replayed deliveries due: %d", len(due))
	}
	if _, err := e.s.Replay(e.ctx, e.tenant(), ev.ID, "", t0); !errors.Is(err, detour.ErrNotFound) {
		t.Fatalf("another tenant's event: %v", err)
	}
	if _, err := e.s.Replay(e.ctx, ten, ev.ID, e.ids.New("whe_"), t0); !errors.Is(err, detour.ErrNotFound) {
		t.Fatalf("unknown endpoint: %v", err)
	}
	if _, err := e.s.UpdateEndpoint(e.ctx, ten, b.ID, func(ep *detour.WebhookEndpoint) error {
		ep.Disabled, ep.DisabledAt, ep.DisabledReason = true, t0, "manual"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.Replay(e.ctx, ten, ev.ID, b.ID, t0); detour.ErrorCode(err) != detour.CodeInvalidRequest {
		t.Fatalf("replay to a disabled endpoint: %v", err)
	}
}

// testInboundEvents: an inbound message is a system event: every tenant
// lists it and every endpoint that wants it gets a delivery.
func testInboundEvents(t *testing.T, e *env) {
	t1, t2 := e.tenant(), e.tenant()
	a, b, c := e.endpoint(t1, detour.EventMessageInbound), e.endpoint(t2), e.endpoint(t2, detour.EventMessageStatus)
	for _, ep := range []*detour.WebhookEndpoint{a, b, c} {
		e.createEndpoint(t, ep)
	}
	if _, _, err := e.s.SaveInbound(e.ctx, e.inbound("+447400123456", "mo-1")); err != nil {
		t.Fatal(err)
	}
	ds := e.dueHooks(t, t0)
	if len(ds) != 2 || ds[0].Event.Type != detour.EventMessageInbound {
		t.Fatalf("deliveries %d", len(ds))
	}
	for _, ten := range []string{t1, t2} {
		page, err := e.s.Events(e.ctx, detour.EventFilter{TenantID: ten})
		if err != nil || len(page.Events) != 1 || page.Events[0].Type != detour.EventMessageInbound {
			t.Fatalf("tenant's events: %+v, %v", page.Events, err)
		}
		var d detour.InboundData
		if err := json.Unmarshal(page.Events[0].Data, &d); err != nil || d.From != "+447400123456" {
			t.Fatalf("inbound event %s", page.Events[0].Data)
		}
		if got, err := e.s.Event(e.ctx, ten, page.Events[0].ID); err != nil || got.ID != page.Events[0].ID {
			t.Fatalf("Event = %v", err)
		}
	}
	// An answer to a tenant's message is that tenant's alone: the one
	// that wrote to the number last.
	e.create(t, e.message(t2, t0))
	e.create(t, e.message(t1, t0.Add(time.Second)))
	if _, _, err := e.s.SaveInbound(e.ctx, e.inbound("+447400123456", "mo-2")); err != nil {
		t.Fatal(err)
	}
	p1, _ := e.s.Events(e.ctx, detour.EventFilter{TenantID: t1, Type: detour.EventMessageInbound})
	p2, _ := e.s.Events(e.ctx, detour.EventFilter{TenantID: t2, Type: detour.EventMessageInbound})
	if len(p1.Events) != 2 || p1.Events[0].TenantID != t1 || len(p2.Events) != 1 {
		t.Fatalf("after the tenant's message: %d events for it, %d for the other", len(p1.Events), len(p2.Events))
	}
}
