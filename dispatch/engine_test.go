package dispatch_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/clocktest"
	"github.com/detourhq/detour/dispatch"
	"github.com/detourhq/detour/sqlite"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// script is a channel at the edge of the tests: it answers sends from a
// list of outcomes (Accepted once the list is empty) and records them.
type script struct {
	name     string
	mu       sync.Mutex
	outcomes []detour.Outcome
	sends    []*detour.Send
	block    chan struct{} // if set, Send waits for it (or ctx)
	onSend   func(*detour.Send)
	kinds    []detour.ContentKind
}

func (s *script) Name() string { return s.name }
func (s *script) Carries(k detour.ContentKind) bool {
	if s.kinds == nil {
		return true
	}
	for _, x := range s.kinds {
		if x == k {
			return true
		}
	}
	return false
}
func (s *script) Routes() []string { return []string{"r1", "r2"} }

func (s *script) Send(ctx context.Context, m *detour.Send) detour.Outcome {
	s.mu.Lock()
	s.sends = append(s.sends, m)
	var out detour.Outcome
	if len(s.outcomes) > 0 {
		out, s.outcomes = s.outcomes[0], s.outcomes[1:]
	} else {
		out = detour.AcceptedOutcome(m.Route, "p-"+m.AttemptID)
	}
	block, onSend := s.block, s.onSend
	s.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return detour.RetryableOutcome(m.Route, detour.ReasonTimeout, "timed out")
		}
	}
	if onSend != nil {
		onSend(m)
	}
	return out
}

func (s *script) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sends)
}

func (s *script) last() *detour.Send {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sends[len(s.sends)-1]
}

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

type world struct {
	t      *testing.T
	clock  *clocktest.Clock
	store  *sqlite.DB
	engine *dispatch.Engine
	a, b   *script
}

func newWorld(t *testing.T, tune func(*dispatch.Config)) *world {
	t.Helper()
	clock := clocktest.New(t0)
	store, err := sqlite.Open(context.Background(), t.TempDir(), sqlite.Options{Now: clock.Now, Exclusive: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	w := &world{t: t, clock: clock, store: store, a: &script{name: "a"}, b: &script{name: "b"}}
	cfg := dispatch.Config{
		Store: store, Channels: []detour.Channel{w.a, w.b}, Clock: clock, Owner: "node-1",
		Rand: rand.New(rand.NewPCG(1, 2)), DefaultPolicy: []detour.Step{{Channel: "a"}},
	}
	if tune != nil {
		tune(&cfg)
	}
	w.engine, err = dispatch.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.engine.Stop)
	return w
}

func (w *world) send(req *detour.SendRequest) *detour.Message {
	w.t.Helper()
	if req.To == "" {
		req.To = "+447400123456"
	}
	if req.Content.Kind() == "" {
		req.Content.Text = "hello"
	}
	m, _, err := w.engine.SendMessage(context.Background(), "ten_1", req, nil)
	if err != nil {
		w.t.Fatal(err)
	}
	return m
}

// run claims what is due now and waits for the sends it started.
func (w *world) run() int {
	w.t.Helper()
	n, err := w.engine.RunOnce(context.Background(), 100)
	if err != nil {
		w.t.Fatal(err)
	}
	w.engine.Wait()
	return n
}

func (w *world) get(id string) *detour.Message {
	w.t.Helper()
	m, err := w.store.Message(context.Background(), "ten_1", id)
	if err != nil {
		w.t.Fatal(err)
	}
	return m
}

func (w *world) receipt(ch *script, attempt *detour.Attempt, st detour.AttemptStatus) {
	w.t.Helper()
	if err := w.engine.Receipt(context.Background(), detour.Receipt{
		Channel: ch.name, Route: attempt.Route, ProviderID: attempt.ProviderID, Status: st}); err != nil {
		w.t.Fatal(err)
	}
}

func expectStatus(t *testing.T, m *detour.Message, want detour.Status) {
	t.Helper()
	if m.Status != want {
		t.Fatalf("message status %s, want %s (attempts %s)", m.Status, want, trail(m))
	}
}

func trail(m *detour.Message) string {
	s := ""
	for _, a := range m.Attempts {
		s += fmt.Sprintf("[%s step %d %s %s] ", a.Channel, a.Step, a.Status, a.ErrorCode)
	}
	return s
}

func TestSendThenDeliveredReceipt(t *testing.T) {
	w := newWorld(t, nil)
	m := w.send(&detour.SendRequest{})
	expectStatus(t, m, detour.StatusQueued)
	if n := w.run(); n != 1 {
		t.Fatalf("claimed %d, want 1", n)
	}
	m = w.get(m.ID)
	expectStatus(t, m, detour.StatusSent)
	if len(m.Attempts) != 1 || m.Attempts[0].ProviderID == "" || m.Attempts[0].Status != detour.AttemptSent {
		t.Fatalf("attempts: %s", trail(m))
	}
	if m.Timer == nil || m.Timer.Kind != detour.TimerExpire || !m.Timer.RunAt.Equal(m.ExpiresAt) {
		t.Fatalf("after an accepted last step the message waits until its validity ends: %+v", m.Timer)
	}
	w.clock.Advance(time.Second)
	w.receipt(w.a, m.Attempts[0], detour.AttemptDelivered)
	m = w.get(m.ID)
	expectStatus(t, m, detour.StatusDelivered)
	if m.Timer != nil {
		t.Fatalf("a delivered message has nothing left to do: %+v", m.Timer)
	}
	h := m.Attempts[0].History()
	if len(h) != 3 || h[2].Status != detour.AttemptDelivered || !h[2].At.Equal(t0.Add(time.Second)) {
		t.Fatalf("history: %+v", h)
	}
}

// A receipt whose done date is before the send (an SMSC's minute
// precision, or its local time) is recorded at the send, never before it.
func TestReceiptDatedBeforeTheSend(t *testing.T) {
	w := newWorld(t, nil)
	m := w.send(&detour.SendRequest{})
	w.run()
	m = w.get(m.ID)
	a := m.Attempts[0]
	w.clock.Advance(time.Second)
	if err := w.engine.Receipt(context.Background(), detour.Receipt{Channel: w.a.name, Route: a.Route,
		ProviderID: a.ProviderID, Status: detour.AttemptDelivered, At: a.SentAt.Add(-40 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	m = w.get(m.ID)
	expectStatus(t, m, detour.StatusDelivered)
	if got := m.Attempts[0].DeliveredAt; !got.Equal(a.SentAt) {
		t.Fatalf("delivered at %v, sent at %v", got, a.SentAt)
	}
}

func TestRetryWithBackoffInsideTheStep(t *testing.T) {
	reg := prometheus.NewRegistry()
	w := newWorld(t, func(c *dispatch.Config) { c.Metrics = dispatch.NewMetrics(reg) })
	w.a.outcomes = []detour.Outcome{
		detour.RetryableOutcome("", detour.ReasonProviderError, "503"),
		detour.RetryableOutcome("", detour.ReasonThrottled, "slow down"),
	}
	w.a.outcomes[1].RetryAfter = 5 * time.Second
	m := w.send(&detour.SendRequest{})
	w.run()
	m = w.get(m.ID)
	expectStatus(t, m, detour.StatusSending)
	first := m.Timer.RunAt.Sub(t0)
	if first < 800*time.Millisecond || first > 1200*time.Millisecond {
		t.Fatalf("first retry after %s, want 1s ±20%%", first)
	}
	if w.run() != 0 {
		t.Fatal("a retry must not run before its time")
	}
	w.clock.Advance(first)
	w.run()
	m = w.get(m.ID)
	if got := m.Timer.RunAt.Sub(w.clock.Now()); got < 5*time.Second {
		t.Fatalf("the provider's Retry-After hint (5s) must be honoured, retry in %s", got)
	}
	w.clock.Set(m.Timer.RunAt)
	w.run()
	m = w.get(m.ID)
	expectStatus(t, m, detour.StatusSent)
	if len(m.Attempts) != 3 || m.Attempts[0].ErrorCode != detour.ReasonProviderError || m.Attempts[1].ErrorCode != detour.ReasonThrottled {
		t.Fatalf("attempts: %s", trail(m))
	}
	if n := counter(t, reg, "detour_send_errors_total"); n != 2 {
		t.Fatalf("send errors counted %v, want 2 (they feed channel health)", n)
	}
}

func TestRetryBudgetRunsOutThenNextStep(t *testing.T) {
	w := newWorld(t, func(c *dispatch.Config) { c.MaxTriesPerStep = 3 })
	for i := 0; i < 3; i++ {
		w.a.outcomes = append(w.a.outcomes, detour.RetryableOutcome("", detour.ReasonUnreachable, "refused"))
	}
	m := w.send(&detour.SendRequest{Channels: []detour.Step{{Channel: "a"}, {Channel: "b"}}})
	for i := 0; i < 3; i++ {
		w.run()
		if mm := w.get(m.ID); mm.Timer.RunAt.After(w.clock.Now()) {
			w.clock.Set(mm.Timer.RunAt)
		}
	}
	w.run()
	m = w.get(m.ID)
	if w.a.count() != 3 || w.b.count() != 1 {
		t.Fatalf("sends a=%d b=%d, want 3 then 1 (%s)", w.a.count(), w.b.count(), trail(m))
	}
	expectStatus(t, m, detour.StatusSent)
	if m.Step != 1 {
		t.Fatalf("step %d, want 1", m.Step)
	}
}

func TestRetriesStopAtTheStepDeadline(t *testing.T) {
	w := newWorld(t, func(c *dispatch.Config) { c.MaxTriesPerStep = 100; c.BackoffBase = 4 * time.Second })
	for i := 0; i < 100; i++ {
		w.a.outcomes = append(w.a.outcomes, detour.RetryableOutcome("", detour.ReasonTimeout, "slow"))
	}
	m := w.send(&detour.SendRequest{Channels: []detour.Step{{Channel: "a", FallbackAfter: detour.Duration(10 * time.Second)}, {Channel: "b"}}})
	for i := 0; i < 10 && w.b.count() == 0; i++ {
		w.run()
		if mm := w.get(m.ID); w.b.count() == 0 && mm.Timer != nil && mm.Timer.RunAt.After(w.clock.Now()) {
			w.clock.Set(mm.Timer.RunAt)
		}
	}
	if w.b.count() != 1 {
		t.Fatalf("step b never tried: %s", trail(w.get(m.ID)))
	}
	if el := w.clock.Now().Sub(t0); el > 10*time.Second {
		t.Fatalf("moved to the next step after %s, past the step's 10s deadline", el)
	}
}

func TestPermanentFailureFallsBackAtOnce(t *testing.T) {
	w := newWorld(t, nil)
	w.a.outcomes = []detour.Outcome{detour.PermanentOutcome("", detour.ReasonOutsideWindow, "131047")}
	m := w.send(&detour.SendRequest{Channels: []detour.Step{{Channel: "a", FallbackAfter: detour.Duration(10 * time.Second)}, {Channel: "b"}}})
	w.run()
	w.run() // the next step is due at once, no clock movement
	m = w.get(m.ID)
	if w.b.count() != 1 || m.Step != 1 {
		t.Fatalf("no immediate fallback: %s", trail(m))
	}
	if m.Attempts[0].ErrorCode != detour.ReasonOutsideWindow {
		t.Fatalf("first attempt's reason: %s", m.Attempts[0].ErrorCode)
	}
}

func TestEveryStepFailingFailsTheMessage(t *testing.T) {
	w := newWorld(t, nil)
	w.a.outcomes = []detour.Outcome{detour.PermanentOutcome("", detour.ReasonInvalidRecipient, "not on a")}
	w.b.outcomes = []detour.Outcome{detour.PermanentOutcome("", detour.ReasonRejected, "no")}
	m := w.send(&detour.SendRequest{Channels: []detour.Step{{Channel: "a"}, {Channel: "b"}}})
	w.run()
	w.run()
	m = w.get(m.ID)
	expectStatus(t, m, detour.StatusFailed)
	if m.ErrorCode != detour.ReasonRejected || m.Timer != nil {
		t.Fatalf("failed message: code %s timer %+v", m.ErrorCode, m.Timer)
	}
}

func TestFallbackAfterWithoutReceiptAndLateDelivery(t *testing.T) {
	reg := prometheus.NewRegistry()
	w := newWorld(t, func(c *dispatch.Config) { c.Metrics = dispatch.NewMetrics(reg) })
	m := w.send(&detour.SendRequest{Channels: []detour.Step{{Channel: "a", FallbackAfter: detour.Duration(10 * time.Second)}, {Channel: "b"}}})
	w.run()
	m = w.get(m.ID)
	if m.Timer.Kind != detour.TimerFallback || !m.Timer.RunAt.Equal(t0.Add(10*time.Second)) {
		t.Fatalf("fallback timer: %+v", m.Timer)
	}
	w.clock.Advance(9 * time.Second)
	if w.run() != 0 || w.b.count() != 0 {
		t.Fatal("fell back before fallback_after")
	}
	w.clock.Advance(time.Second)
	w.run()
	m = w.get(m.ID)
	if w.b.count() != 1 || m.Step != 1 || len(m.Attempts) != 2 {
		t.Fatalf("no fallback at 10s: %s", trail(m))
	}
	w.receipt(w.b, m.Attempts[1], detour.AttemptDelivered)
	w.clock.Advance(time.Second)
	w.receipt(w.a, m.Attempts[0], detour.AttemptDelivered) // the outage ends: a late delivery
	m = w.get(m.ID)
	expectStatus(t, m, detour.StatusDelivered)
	if m.DeliveredBy().Channel != "b" {
		t.Fatalf("delivered first by %s, want b", m.DeliveredBy().Channel)
	}
	if m.Attempts[0].Status != detour.AttemptDelivered || m.Attempts[1].Status != detour.AttemptDelivered {
		t.Fatalf("both deliveries are recorded: %s", trail(m))
	}
	w.receipt(w.a, m.Attempts[0], detour.AttemptDelivered) // a duplicate receipt
	w.receipt(w.a, m.Attempts[0], detour.AttemptRead)
	if n := counter(t, reg, "detour_double_deliveries_total"); n != 1 {
		t.Fatalf("double deliveries counted %v, want 1", n)
	}
}

func counter(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			sum := 0.0
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
			return sum
		}
	}
	return 0
}

func TestDeliveryCancelsThePendingFallback(t *testing.T) {
	w := newWorld(t, nil)
	m := w.send(&detour.SendRequest{Channels: []detour.Step{{Channel: "a", FallbackAfter: detour.Duration(10 * time.Second)}, {Channel: "b"}}})
	w.run()
	m = w.get(m.ID)
	w.clock.Advance(2 * time.Second)
	w.receipt(w.a, m.Attempts[0], detour.AttemptDelivered)
	w.clock.Advance(time.Minute)
	w.run()
	if w.b.count() != 0 {
		t.Fatal("a delivered message fell back anyway")
	}
	expectStatus(t, w.get(m.ID), detour.StatusDelivered)
}

func TestNegativeReceiptFallsBackBeforeTheDeadline(t *testing.T) {
	w := newWorld(t, nil)
	m := w.send(&detour.SendRequest{Channels: []detour.Step{{Channel: "a", FallbackAfter: detour.Duration(30 * time.Second)}, {Channel: "b"}}})
	w.run()
	m = w.get(m.ID)
	w.clock.Advance(time.Second)
	w.receipt(w.a, m.Attempts[0], detour.AttemptFailed)
	w.run()
	m = w.get(m.ID)
	if w.b.count() != 1 {
		t.Fatalf("an undeliverable receipt must move on at once: %s", trail(m))
	}
	if m.Attempts[0].ErrorCode != detour.ReasonUndeliverable {
		t.Fatalf("reason %s", m.Attempts[0].ErrorCode)
	}
}

func TestValidityExpiresThenLateDeliveryWins(t *testing.T) {
	w := newWorld(t, nil)
	m := w.send(&detour.SendRequest{Validity: detour.Duration(time.Minute)})
	w.run()
	w.clock.Advance(time.Minute)
	w.run()
	m = w.get(m.ID)
	expectStatus(t, m, detour.StatusExpired)
	if m.ErrorCode != detour.ReasonExpired || m.Timer != nil {
		t.Fatalf("expired: %s %+v", m.ErrorCode, m.Timer)
	}
	w.receipt(w.a, m.Attempts[0], detour.AttemptDelivered)
	expectStatus(t, w.get(m.ID), detour.StatusDelivered)
}

func TestQueuedMessageExpiresUnsent(t *testing.T) {
	w := newWorld(t, nil)
	m := w.send(&detour.SendRequest{Validity: detour.Duration(time.Second)})
	w.clock.Advance(2 * time.Second)
	w.run()
	m = w.get(m.ID)
	expectStatus(t, m, detour.StatusExpired)
	if w.a.count() != 0 {
		t.Fatal("an expired message was sent")
	}
}

func TestStatusesAreMonotonicAndReceiptsIdempotent(t *testing.T) {
	w := newWorld(t, nil)
	m := w.send(&detour.SendRequest{})
	w.run()
	a := w.get(m.ID).Attempts[0]
	w.receipt(w.a, a, detour.AttemptRead) // read without delivered
	w.receipt(w.a, a, detour.AttemptDelivered)
	w.receipt(w.a, a, detour.AttemptSent) // late sent
	w.receipt(w.a, a, detour.AttemptFailed)
	w.receipt(w.a, a, detour.AttemptRead) // duplicate
	m = w.get(m.ID)
	expectStatus(t, m, detour.StatusRead)
	if m.Attempts[0].Status != detour.AttemptRead || m.Attempts[0].DeliveredAt.IsZero() {
		t.Fatalf("attempt: %+v", m.Attempts[0])
	}
}

func TestReceiptBeforeTheSendIsRecorded(t *testing.T) {
	w := newWorld(t, nil)
	// The provider reports delivery before its answer to the send reaches us.
	w.a.onSend = func(s *detour.Send) {
		if err := w.engine.Receipt(context.Background(), detour.Receipt{
			Channel: "a", Route: s.Route, ProviderID: "p-" + s.AttemptID, Status: detour.AttemptDelivered}); err != nil {
			t.Error(err)
		}
	}
	m := w.send(&detour.SendRequest{})
	w.run()
	expectStatus(t, w.get(m.ID), detour.StatusSent)
	if n, err := w.engine.RetryOrphans(context.Background()); err != nil || n != 1 {
		t.Fatalf("RetryOrphans = %d, %v; want 1 applied", n, err)
	}
	expectStatus(t, w.get(m.ID), detour.StatusDelivered)
}

func TestWorkOfADeadWorkerIsReclaimedAfterTheLease(t *testing.T) {
	w := newWorld(t, func(c *dispatch.Config) { c.Lease = 30 * time.Second })
	w.a.block = make(chan struct{})
	m := w.send(&detour.SendRequest{})
	if _, err := w.engine.RunOnce(context.Background(), 10); err != nil { // node-1 takes it and hangs
		t.Fatal(err)
	}
	// A second node on the same store.
	other, err := dispatch.New(dispatch.Config{Store: w.store, Channels: []detour.Channel{&script{name: "a"}, w.b},
		Clock: w.clock, Owner: "node-2", DefaultPolicy: []detour.Step{{Channel: "a"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Stop()
	if n, _ := other.RunOnce(context.Background(), 10); n != 0 {
		t.Fatal("a leased timer was claimed twice")
	}
	w.clock.Advance(31 * time.Second)
	if n, _ := other.RunOnce(context.Background(), 10); n != 1 {
		t.Fatal("the expired lease was not reclaimed")
	}
	other.Wait()
	m = w.get(m.ID)
	if len(m.Attempts) != 2 || m.Attempts[0].Status != detour.AttemptUnknown || m.Attempts[0].ErrorCode != detour.ReasonLost || m.Attempts[1].Status != detour.AttemptSent {
		t.Fatalf("attempts after reclaim: %s", trail(m))
	}
	close(w.a.block) // the first node wakes up late
	w.engine.Wait()
	m = w.get(m.ID)
	if m.Timer == nil || m.Timer.Kind != detour.TimerExpire {
		t.Fatalf("the late node must not touch the new owner's timer: %+v", m.Timer)
	}
}

func TestCancel(t *testing.T) {
	w := newWorld(t, nil)
	m := w.send(&detour.SendRequest{})
	c, err := w.engine.CancelMessage(context.Background(), "ten_1", m.ID)
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, c, detour.StatusCanceled)
	if _, err := w.engine.CancelMessage(context.Background(), "ten_1", m.ID); detour.ErrorCode(err) != detour.CodeNotCancelable {
		t.Fatalf("second cancel: %v", err)
	}
	if _, err := w.engine.CancelMessage(context.Background(), "ten_2", m.ID); detour.ErrorCode(err) != detour.CodeNotFound {
		t.Fatalf("another tenant's cancel: %v", err)
	}
	w.run()
	if w.a.count() != 0 {
		t.Fatal("a canceled message was sent")
	}
}

func TestUrgentPrioritiesGoFirst(t *testing.T) {
	w := newWorld(t, nil)
	bulk := w.send(&detour.SendRequest{Priority: detour.PriorityBulk})
	otp := w.send(&detour.SendRequest{Priority: detour.PriorityOTP})
	if _, err := w.engine.RunOnce(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	w.engine.Wait()
	if w.a.count() != 1 || w.a.last().MessageID != otp.ID {
		t.Fatalf("the OTP must go before the older bulk message %s", bulk.ID)
	}
}

func TestBadRequestsAreRefusedWithTheirCode(t *testing.T) {
	w := newWorld(t, nil)
	w.b.kinds = []detour.ContentKind{detour.KindText}
	tpl := detour.Content{Template: &detour.Template{Name: "otp", Language: "en"}}
	for name, tc := range map[string]struct {
		req  detour.SendRequest
		code detour.Code
	}{
		"missing to":        {detour.SendRequest{Content: detour.Content{Text: "x"}}, detour.CodeMissingField},
		"not e164":          {detour.SendRequest{To: "07400123456", Content: detour.Content{Text: "x"}}, detour.CodeInvalidRecipient},
		"drama range":       {detour.SendRequest{To: "+447700900123", Content: detour.Content{Text: "x"}}, detour.CodeInvalidRecipient},
		"empty content":     {detour.SendRequest{To: "+447400123456"}, detour.CodeEmptyContent},
		"unknown channel":   {detour.SendRequest{To: "+447400123456", Content: detour.Content{Text: "x"}, Channels: []detour.Step{{Channel: "pigeon"}}}, detour.CodeUnknownChannel},
		"unknown route":     {detour.SendRequest{To: "+447400123456", Content: detour.Content{Text: "x"}, Channels: []detour.Step{{Channel: "a", Route: "r9"}}}, detour.CodeUnknownRoute},
		"cannot carry":      {detour.SendRequest{To: "+447400123456", Content: tpl, Channels: []detour.Step{{Channel: "b"}}}, detour.CodeContentNotSupported},
		"validity too long": {detour.SendRequest{To: "+447400123456", Content: detour.Content{Text: "x"}, Validity: detour.Duration(100 * time.Hour)}, detour.CodeInvalidRequest},
		"bad priority":      {detour.SendRequest{To: "+447400123456", Content: detour.Content{Text: "x"}, Priority: "urgent"}, detour.CodeInvalidRequest},
		"bad callback":      {detour.SendRequest{To: "+447400123456", Content: detour.Content{Text: "x"}, CallbackURL: "ftp://x"}, detour.CodeInvalidRequest},
		"empty policy":      {detour.SendRequest{To: "+447400123456", Content: detour.Content{Text: "x"}, Channels: []detour.Step{}}, detour.CodeInvalidRequest},
	} {
		_, _, err := w.engine.SendMessage(context.Background(), "ten_1", &tc.req, nil)
		if detour.ErrorCode(err) != tc.code {
			t.Errorf("%s: got %v, want code %s", name, err, tc.code)
		}
	}
	page, err := w.store.Messages(context.Background(), detour.MessageFilter{TenantID: "ten_1"})
	if err != nil || len(page.Messages) != 0 {
		t.Fatalf("refused requests stored %d messages (%v)", len(page.Messages), err)
	}
}

func TestStartStopDrainsAndLeaksNothing(t *testing.T) {
	w := newWorld(t, func(c *dispatch.Config) { c.PollInterval = time.Hour })
	if err := w.engine.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := w.engine.Start(context.Background()); err == nil {
		t.Fatal("a second Start must fail")
	}
	m := w.send(&detour.SendRequest{})
	deadline := time.Now().Add(10 * time.Second)
	for w.get(m.ID).Status != detour.StatusSent {
		if time.Now().After(deadline) {
			t.Fatalf("the loop did not send a notified message: %s", w.get(m.ID).Status)
		}
		time.Sleep(5 * time.Millisecond)
	}
	w.engine.Stop()
	w.engine.Stop()
}

func TestMultipartIsDeliveredWhenAllPartsAre(t *testing.T) {
	w := newWorld(t, nil)
	w.a.outcomes = []detour.Outcome{{Result: detour.Accepted, Route: "r1", Parts: []string{"p1", "p2", "p3"}, Segments: 3}}
	m := w.send(&detour.SendRequest{})
	w.run()
	m = w.get(m.ID)
	a := m.Attempts[0]
	if a.ProviderID != "p1" || a.Segments != 3 || len(a.Parts) != 3 {
		t.Fatalf("attempt %+v", a)
	}
	for i, pid := range []string{"p3", "p1"} {
		if err := w.engine.Receipt(context.Background(), detour.Receipt{Channel: "a", Route: "r1", ProviderID: pid, Status: detour.AttemptDelivered}); err != nil {
			t.Fatal(err)
		}
		if st := w.get(m.ID).Status; st != detour.StatusSent {
			t.Fatalf("after %d of 3 parts the message is %s, want sent", i+1, st)
		}
	}
	if err := w.engine.Receipt(context.Background(), detour.Receipt{Channel: "a", Route: "r1", ProviderID: "p2", Status: detour.AttemptDelivered}); err != nil {
		t.Fatal(err)
	}
	expectStatus(t, w.get(m.ID), detour.StatusDelivered)
}

func TestAnOrphanReceiptIsRetriedWithoutWaitingForTheTick(t *testing.T) {
	w := newWorld(t, func(c *dispatch.Config) { c.PollInterval = time.Hour })
	w.a.onSend = func(s *detour.Send) {
		if err := w.engine.Receipt(context.Background(), detour.Receipt{
			Channel: "a", Route: s.Route, ProviderID: "p-" + s.AttemptID, Status: detour.AttemptDelivered}); err != nil {
			t.Error(err)
		}
	}
	if err := w.engine.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	m := w.send(&detour.SendRequest{})
	// The manual clock never moves: only the wake-up can apply the orphan.
	deadline := time.Now().Add(10 * time.Second)
	for w.get(m.ID).Status != detour.StatusDelivered {
		if time.Now().After(deadline) {
			t.Fatalf("the orphan receipt was not applied: %s", w.get(m.ID).Status)
		}
		time.Sleep(5 * time.Millisecond)
	}
	w.engine.Stop()
}
