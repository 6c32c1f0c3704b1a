// Package storetest is the one behavioural test suite that every
// detour.Store implementation passes unchanged: the SQLite store now,
// PostgreSQL later. A store's own test calls Run with a Harness that opens
// fresh, empty stores.
//
// The suite drives every time explicitly (creation times, claim times,
// leases) and uses the real clock only to make IDs, so it never sleeps.
package storetest

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/detourhq/detour"
)

// Harness opens stores for the suite.
type Harness struct {
	// Open returns a new, empty store using the real clock. The suite
	// closes it; closing it twice must be harmless.
	Open func(t *testing.T) detour.Store
	// Reopen closes s and opens the same database again, to prove that
	// what was committed survives.
	Reopen func(t *testing.T, s detour.Store) detour.Store
}

// Run runs the whole suite against the stores h opens. Each sub-test gets
// a fresh store.
func Run(t *testing.T, h Harness) {
	tests := []struct {
		name string
		fn   func(t *testing.T, e *env)
	}{
		{"Ready", testReady},
		{"CreateAndGet", testCreateAndGet},
		{"ContentKinds", testContentKinds},
		{"Microseconds", testMicroseconds},
		{"TenantIsolation", testTenantIsolation},
		{"ListFilters", testListFilters},
		{"ListPagination", testListPagination},
		{"ListLimits", testListLimits},
		{"IdempotencyReplay", testIdempotencyReplay},
		{"IdempotencyConflict", testIdempotencyConflict},
		{"IdempotencyRace", testIdempotencyRace},
		{"CreateCanceled", testCreateCanceled},
		{"ConcurrentCreates", testConcurrentCreates},
		{"UpdateMessage", testUpdateMessage},
		{"UpdateFnError", testUpdateFnError},
		{"UpdateNotFound", testUpdateNotFound},
		{"UpdateAttempts", testUpdateAttempts},
		{"UpdateTimer", testUpdateTimer},
		{"ClaimOrder", testClaimOrder},
		{"ClaimDueOnly", testClaimDueOnly},
		{"ClaimLease", testClaimLease},
		{"ClaimSavesChanges", testClaimSavesChanges},
		{"ClaimFnError", testClaimFnError},
		{"ClaimConcurrent", testClaimConcurrent},
		{"ReceiptMatch", testReceiptMatch},
		{"ReceiptOrphan", testReceiptOrphan},
		{"ReceiptMultipart", testReceiptMultipart},
		{"ReceiptNewestOfReusedIDs", testReceiptNewestOfReusedIDs},
		{"ReceiptOrphanDropped", testReceiptOrphanDropped},
		{"NextDueAndDue", testNextDueAndDue},
		{"PurgeIdempotency", testPurgeIdempotency},
		{"APIKeys", testAPIKeys},
		{"Durability", testDurability},
		{"Events", testEvents},
		{"Inbound", testInbound},
		{"InboundRedeliveryRace", testInboundRedeliveryRace},
		{"Endpoints", testEndpoints},
		{"Outbox", testOutbox},
		{"DeliveryOrder", testDeliveryOrder},
		{"EndpointDisable", testEndpointDisable},
		{"Replay", testReplay},
		{"InboundEvents", testInboundEvents},
		{"WaitingOn", testWaitingOn},
		{"AddEvent", testAddEvent},
		{"VerificationCreateAndGet", testVerificationCreateAndGet},
		{"VerificationOnePending", testVerificationOnePending},
		{"VerificationCreateRace", testVerificationCreateRace},
		{"VerificationUpdate", testVerificationUpdate},
		{"VerificationChecksRace", testVerificationChecksRace},
		{"VerificationExpire", testVerificationExpire},
		{"VerificationEventDelivered", testVerificationEventDelivered},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &env{h: h, ids: detour.NewIDSource(time.Now, nil), ctx: context.Background()}
			e.s = h.Open(t)
			t.Cleanup(func() { e.s.Close() })
			tt.fn(t, e)
		})
	}
}

// t0 is the suite's base time. It has nanoseconds, so that stores prove
// they keep microseconds and drop the rest.
var t0 = time.Date(2031, 3, 4, 5, 6, 7, 891234567, time.UTC)

// env is one sub-test's store and helpers.
type env struct {
	h   Harness
	s   detour.Store
	ids *detour.IDSource
	ctx context.Context
}

// reopen closes the store and opens it again.
func (e *env) reopen(t *testing.T) {
	t.Helper()
	e.s = e.h.Reopen(t, e.s)
	t.Cleanup(func() { e.s.Close() })
}

func (e *env) tenant() string { return e.ids.New("ten_") }

// message returns a realistic new message of tenant created at at, with a
// send timer due at at.
func (e *env) message(tenant string, at time.Time) *detour.Message {
	return &detour.Message{
		ID:       e.ids.New("msg_"),
		TenantID: tenant,
		To:       "+447400123456",
		Content:  detour.Content{Text: "Your code is 123456"},
		Steps: []detour.Step{
			{Channel: "sms", Route: "op1", FallbackAfter: detour.Duration(10 * time.Second)},
			{Channel: "whatsapp"},
		},
		Priority:    detour.PriorityNormal,
		ClientRef:   "order-42",
		CallbackURL: "https://example.com/hook",
		Metadata:    map[string]string{"order": "42", "ü": "ß"},
		Status:      detour.StatusQueued,
		CreatedAt:   at,
		UpdatedAt:   at,
		ExpiresAt:   at.Add(24 * time.Hour),
		Timer:       &detour.Timer{Kind: detour.TimerSend, RunAt: at},
	}
}

// create stores m and fails the test on error.
func (e *env) create(t *testing.T, m *detour.Message) *detour.Message {
	t.Helper()
	stored, replayed, err := e.s.CreateMessage(e.ctx, m, nil)
	if err != nil {
		t.Fatalf("CreateMessage(%s): %v", m.ID, err)
	}
	if replayed {
		t.Fatalf("CreateMessage(%s) without a key: replayed", m.ID)
	}
	return stored
}

// get reads a message and fails the test on error.
func (e *env) get(t *testing.T, tenant, id string) *detour.Message {
	t.Helper()
	m, err := e.s.Message(e.ctx, tenant, id)
	if err != nil {
		t.Fatalf("Message(%s): %v", id, err)
	}
	return m
}

// update runs UpdateMessage and fails the test on error.
func (e *env) update(t *testing.T, id string, fn func(*detour.Message)) {
	t.Helper()
	err := e.s.UpdateMessage(e.ctx, id, func(m *detour.Message) error { fn(m); return nil })
	if err != nil {
		t.Fatalf("UpdateMessage(%s): %v", id, err)
	}
}

// attempt returns a new pending attempt of m on step 0.
func (e *env) attempt(m *detour.Message, at time.Time, providerID string) *detour.Attempt {
	return &detour.Attempt{
		ID: e.ids.New("att_"), MessageID: m.ID, Step: 0, Channel: "sms", Route: "op1",
		ProviderID: providerID, Status: detour.AttemptPending, CreatedAt: at, UpdatedAt: at,
	}
}

func wantCode(t *testing.T, err error, code detour.Code) {
	t.Helper()
	if got := detour.ErrorCode(err); got != code {
		t.Fatalf("error = %v (code %q), want code %q", err, got, code)
	}
}

// sameMessage fails the test unless got equals want as stored: times to
// the microsecond, nil and empty collections alike. With attempts it also
// compares attempts and their order.
func sameMessage(t *testing.T, want, got *detour.Message, attempts bool) {
	t.Helper()
	if d := diffMessage(want, got, attempts); len(d) > 0 {
		t.Fatalf("message %s differs from what was stored:\n  %s", want.ID, strings.Join(d, "\n  "))
	}
}

func diffMessage(want, got *detour.Message, attempts bool) []string {
	if got == nil {
		return []string{"got nil"}
	}
	var d []string
	eq := func(field string, w, g any) {
		if !reflect.DeepEqual(w, g) {
			d = append(d, fmt.Sprintf("%s: got %#v, want %#v", field, g, w))
		}
	}
	tm := func(field string, w, g time.Time) {
		if !sameTime(w, g) {
			d = append(d, fmt.Sprintf("%s: got %v, want %v", field, g, w.Truncate(time.Microsecond)))
		}
	}
	eq("ID", want.ID, got.ID)
	eq("TenantID", want.TenantID, got.TenantID)
	eq("To", want.To, got.To)
	eq("Content", want.Content, got.Content)
	if len(want.Steps)+len(got.Steps) > 0 {
		eq("Steps", want.Steps, got.Steps)
	}
	eq("Priority", want.Priority, got.Priority)
	eq("ClientRef", want.ClientRef, got.ClientRef)
	eq("CallbackURL", want.CallbackURL, got.CallbackURL)
	if len(want.Metadata)+len(got.Metadata) > 0 {
		eq("Metadata", want.Metadata, got.Metadata)
	}
	eq("Status", want.Status, got.Status)
	eq("Step", want.Step, got.Step)
	tm("StepStartedAt", want.StepStartedAt, got.StepStartedAt)
	eq("ErrorCode", want.ErrorCode, got.ErrorCode)
	eq("ErrorDetail", want.ErrorDetail, got.ErrorDetail)
	tm("CreatedAt", want.CreatedAt, got.CreatedAt)
	tm("UpdatedAt", want.UpdatedAt, got.UpdatedAt)
	tm("ExpiresAt", want.ExpiresAt, got.ExpiresAt)
	switch {
	case (want.Timer == nil) != (got.Timer == nil):
		d = append(d, fmt.Sprintf("Timer: got %+v, want %+v", got.Timer, want.Timer))
	case want.Timer != nil:
		w, g := *want.Timer, *got.Timer
		eq("Timer.Kind", w.Kind, g.Kind)
		eq("Timer.Step", w.Step, g.Step)
		tm("Timer.RunAt", w.RunAt, g.RunAt)
		eq("Timer.Owner", w.Owner, g.Owner)
		eq("Timer.Lease", w.Lease, g.Lease)
	}
	if !attempts {
		return d
	}
	if len(want.Attempts) != len(got.Attempts) {
		return append(d, fmt.Sprintf("Attempts: got %d, want %d", len(got.Attempts), len(want.Attempts)))
	}
	for i, w := range want.Attempts {
		g := got.Attempts[i]
		p := fmt.Sprintf("Attempts[%d].", i)
		eq(p+"ID", w.ID, g.ID)
		eq(p+"MessageID", want.ID, g.MessageID)
		eq(p+"Step", w.Step, g.Step)
		eq(p+"Channel", w.Channel, g.Channel)
		eq(p+"Route", w.Route, g.Route)
		eq(p+"ProviderID", w.ProviderID, g.ProviderID)
		eq(p+"Status", w.Status, g.Status)
		eq(p+"Segments", w.Segments, g.Segments)
		eq(p+"ErrorCode", w.ErrorCode, g.ErrorCode)
		eq(p+"ErrorDetail", w.ErrorDetail, g.ErrorDetail)
		tm(p+"CreatedAt", w.CreatedAt, g.CreatedAt)
		tm(p+"SentAt", w.SentAt, g.SentAt)
		tm(p+"DeliveredAt", w.DeliveredAt, g.DeliveredAt)
		tm(p+"ReadAt", w.ReadAt, g.ReadAt)
		tm(p+"EndedAt", w.EndedAt, g.EndedAt)
		tm(p+"UpdatedAt", w.UpdatedAt, g.UpdatedAt)
	}
	return d
}

// sameTime reports whether a stored time g is w to the microsecond. The
// zero time must stay zero.
func sameTime(w, g time.Time) bool {
	if w.IsZero() || g.IsZero() {
		return w.IsZero() && g.IsZero()
	}
	return w.Truncate(time.Microsecond).Equal(g)
}

func ids(ms []*detour.Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}
