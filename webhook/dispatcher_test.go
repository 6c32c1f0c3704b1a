package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/clocktest"
	"github.com/detourhq/detour/sqlite"
	"github.com/detourhq/detour/webhook"
)

var t0 = time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)

// world is a real store, a manual clock and a real receiver on loopback.
type world struct {
	t     *testing.T
	dir   string
	clock *clocktest.Clock
	store *sqlite.DB
	ids   *detour.IDSource
	ten   string
	recv  *receiver
}

func newWorld(t *testing.T) *world {
	t.Cleanup(func() { goleak.VerifyNone(t, goleak.IgnoreCurrent()) })
	w := &world{t: t, dir: t.TempDir(), clock: clocktest.New(t0), ids: detour.NewIDSource(time.Now, nil)}
	w.ten = w.ids.New("ten_")
	w.open()
	w.recv = newReceiver(t)
	return w
}

func (w *world) open() {
	s, err := sqlite.Open(context.Background(), w.dir, sqlite.Options{Now: w.clock.Now, Exclusive: true})
	if err != nil {
		w.t.Fatal(err)
	}
	w.store = s
	w.t.Cleanup(func() { s.Close() })
}

func (w *world) endpoint(url string, secrets ...detour.Secret) *detour.WebhookEndpoint {
	w.t.Helper()
	if len(secrets) == 0 {
		secrets = []detour.Secret{webhook.NewSecret()}
	}
	e := &detour.WebhookEndpoint{ID: w.ids.New("whe_"), TenantID: w.ten, Kind: detour.EndpointURL, URL: url,
		CreatedAt: w.clock.Now(), UpdatedAt: w.clock.Now()}
	for _, s := range secrets {
		e.Secrets = append(e.Secrets, detour.EndpointSecret{Secret: s, CreatedAt: w.clock.Now()})
	}
	if err := w.store.CreateEndpoint(context.Background(), e); err != nil {
		w.t.Fatal(err)
	}
	return e
}

// message stores a message and moves it through statuses, one event each.
func (w *world) message(statuses ...detour.Status) *detour.Message {
	w.t.Helper()
	now := w.clock.Now()
	m := &detour.Message{ID: w.ids.New("msg_"), TenantID: w.ten, To: "+447400123456", Content: detour.Content{Text: "hi"},
		Steps: []detour.Step{{Channel: "sms"}}, Priority: detour.PriorityNormal, Status: detour.StatusQueued,
		CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(time.Hour)}
	ctx := context.Background()
	if _, _, err := w.store.CreateMessage(ctx, m, nil); err != nil {
		w.t.Fatal(err)
	}
	for _, st := range statuses {
		if err := w.store.UpdateMessage(ctx, m.ID, func(m *detour.Message) error {
			m.SetStatus(st, w.clock.Now())
			return nil
		}); err != nil {
			w.t.Fatal(err)
		}
	}
	return m
}

func (w *world) dispatcher(cfg webhook.DispatcherConfig) *webhook.Dispatcher {
	w.t.Helper()
	cfg.Store, cfg.Clock, cfg.Queued = w.store, w.clock, w.store.DeliveriesQueued()
	if cfg.Client == nil {
		cfg.Client = webhook.NewClient(webhook.Config{AllowPrivateNetworks: true, Timeout: 2 * time.Second})
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 5 * time.Millisecond
	}
	d, err := webhook.NewDispatcher(cfg)
	if err != nil {
		w.t.Fatal(err)
	}
	if err := d.Start(context.Background()); err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { d.Stop(); cfg.Client.Close() })
	return d
}

// eventually polls cond for up to 10 s, advancing the clock by step each
// time (retries are minutes apart on the manual clock).
func (w *world) eventually(what string, step time.Duration, cond func() bool) {
	w.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			w.t.Fatalf("timed out waiting: %s", what)
		}
		w.clock.Advance(step)
		time.Sleep(2 * time.Millisecond)
	}
}

// receiver is a webhook receiver that verifies signatures with the secrets
// it is told and keeps what it accepted.
type receiver struct {
	srv     *httptest.Server
	mu      sync.Mutex
	secrets [][]byte
	status  atomic.Int32 // what to answer; 0 means 204
	got     []webhook.Body
	tries   atomic.Int64
	bad     atomic.Int64 // deliveries whose signature did not verify
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) trust(s detour.Secret) {
	k, err := webhook.ParseSecret(s.Reveal())
	if err != nil {
		panic(err)
	}
	r.mu.Lock()
	r.secrets = append(r.secrets, k)
	r.mu.Unlock()
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	r.tries.Add(1)
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	ok := len(r.secrets) == 0
	for _, k := range r.secrets {
		if webhook.Verify(k, req.Header, body, time.Now(), 100*365*24*time.Hour) == nil {
			ok = true
		}
	}
	if !ok {
		r.bad.Add(1)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if s := r.status.Load(); s != 0 {
		http.Error(w, "not now", int(s))
		return
	}
	var b webhook.Body
	if err := json.Unmarshal(body, &b); err != nil || req.Header.Get("webhook-id") != b.ID {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	r.got = append(r.got, b)
	w.WriteHeader(http.StatusNoContent)
}

func (r *receiver) received() []webhook.Body {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]webhook.Body(nil), r.got...)
}

func statusOf(t *testing.T, b webhook.Body) detour.Status {
	var d detour.MessageStatusData
	if err := json.Unmarshal(b.Data, &d); err != nil {
		t.Fatal(err)
	}
	return d.Status
}

// TestReceiverDownThenBack: while the receiver answers 503 nothing is lost;
// once it is back every event arrives, each message's in order, each once.
func TestReceiverDownThenBack(t *testing.T) {
	w := newWorld(t)
	ep := w.endpoint(w.recv.srv.URL)
	w.recv.trust(ep.Secrets[0].Secret)
	w.recv.status.Store(http.StatusServiceUnavailable)
	var msgs []*detour.Message
	for range 20 {
		msgs = append(msgs, w.message(detour.StatusSent, detour.StatusDelivered, detour.StatusRead))
	}
	w.dispatcher(webhook.DispatcherConfig{})
	w.eventually("a few failed tries", 0, func() bool { return w.recv.tries.Load() >= 20 })
	w.clock.Advance(3 * time.Hour) // down for hours
	w.eventually("more failed tries", 0, func() bool { return w.recv.tries.Load() >= 40 })
	w.recv.status.Store(0)
	w.eventually("every event delivered", 10*time.Minute, func() bool { return len(w.recv.received()) >= 60 })
	time.Sleep(50 * time.Millisecond) // anything extra would show now
	got := w.recv.received()
	if len(got) != 60 {
		t.Fatalf("received %d, want 60 (no duplicates)", len(got))
	}
	order := map[string][]detour.Status{}
	for _, b := range got {
		order[b.MessageID] = append(order[b.MessageID], statusOf(t, b))
	}
	for _, m := range msgs {
		if fmt.Sprint(order[m.ID]) != "[sent delivered read]" {
			t.Fatalf("message %s events arrived as %v", m.ID, order[m.ID])
		}
	}
	if w.recv.bad.Load() != 0 {
		t.Fatalf("%d deliveries failed verification", w.recv.bad.Load())
	}
	page, err := w.store.Deliveries(context.Background(), detour.DeliveryFilter{TenantID: w.ten, EndpointID: ep.ID, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	failedFirst := 0
	for _, d := range page.Deliveries {
		log := page.Attempts[d.ID]
		if d.Status != detour.DeliveryDelivered || len(log) == 0 || log[len(log)-1].Status != 204 {
			t.Fatalf("delivery %+v log %+v", d, log)
		}
		if log[0].Status == 503 {
			failedFirst++
		}
	}
	// Each message's first event was tried while the receiver was down;
	// the later ones waited behind it.
	if failedFirst != 20 {
		t.Fatalf("%d deliveries were tried while down, want the 20 first events", failedFirst)
	}
}

// TestCrashBetweenCommitAndDelivery: events committed while no dispatcher
// ran, and a delivery leased by a dispatcher that died, all go out after a
// restart.
func TestCrashBetweenCommitAndDelivery(t *testing.T) {
	w := newWorld(t)
	w.endpoint(w.recv.srv.URL)
	w.message(detour.StatusSent)
	// A dispatcher leased one and died before sending it.
	if ds, _, err := w.store.DueDeliveries(context.Background(), w.clock.Now(), time.Minute, 10); err != nil || len(ds) != 1 {
		t.Fatalf("lease: %d %v", len(ds), err)
	}
	w.message(detour.StatusSent)
	w.store.Close() // the process dies with both in the outbox
	w.open()
	w.dispatcher(webhook.DispatcherConfig{})
	w.eventually("the unleased one", 0, func() bool { return len(w.recv.received()) == 1 })
	w.eventually("the leased one, once its lease ended", 10*time.Second, func() bool { return len(w.recv.received()) == 2 })
}

// TestGoneDisablesEndpoint: 410 fails the delivery, disables the endpoint
// with an event to the tenant's other endpoints, and later events are not
// sent to it.
func TestGoneDisablesEndpoint(t *testing.T) {
	w := newWorld(t)
	gone := newReceiver(t)
	gone.status.Store(http.StatusGone)
	ep := w.endpoint(gone.srv.URL)
	watcher := &detour.WebhookEndpoint{ID: w.ids.New("whe_"), TenantID: w.ten, Kind: detour.EndpointURL, URL: w.recv.srv.URL,
		EventTypes: []string{detour.EventEndpointDisabled},
		Secrets:    []detour.EndpointSecret{{Secret: webhook.NewSecret(), CreatedAt: t0}}, CreatedAt: t0, UpdatedAt: t0}
	if err := w.store.CreateEndpoint(context.Background(), watcher); err != nil {
		t.Fatal(err)
	}
	w.message(detour.StatusSent)
	w.dispatcher(webhook.DispatcherConfig{})
	w.eventually("the disabled event", 0, func() bool { return len(w.recv.received()) == 1 })
	got, _ := w.store.Endpoint(context.Background(), w.ten, ep.ID)
	if !got.Disabled || got.DisabledReason != "gone" {
		t.Fatalf("endpoint %+v", got)
	}
	var data detour.EndpointDisabledData
	if b := w.recv.received()[0]; b.Type != detour.EventEndpointDisabled || json.Unmarshal(b.Data, &data) != nil || data.EndpointID != ep.ID {
		t.Fatalf("event %+v", b)
	}
	w.message(detour.StatusSent)
	time.Sleep(50 * time.Millisecond)
	if n := gone.tries.Load(); n != 1 {
		t.Fatalf("the gone endpoint was tried %d times", n)
	}
}

// TestKeepsFailingDisables: an endpoint failing every try for longer than
// DisableAfter is disabled; deliveries past the retry window fail.
func TestKeepsFailingDisables(t *testing.T) {
	w := newWorld(t)
	w.recv.status.Store(http.StatusInternalServerError)
	ep := w.endpoint(w.recv.srv.URL)
	w.message(detour.StatusSent)
	w.dispatcher(webhook.DispatcherConfig{DisableAfter: 2 * time.Hour, DisableFailures: 3, RetryWindow: 30 * time.Hour})
	w.eventually("disabled", 10*time.Minute, func() bool {
		got, _ := w.store.Endpoint(context.Background(), w.ten, ep.ID)
		return got.Disabled
	})
	got, _ := w.store.Endpoint(context.Background(), w.ten, ep.ID)
	if got.DisabledReason != "failing" || got.Failures < 3 || w.clock.Now().Sub(got.FailingSince) < 2*time.Hour {
		t.Fatalf("endpoint %+v", got)
	}
}

func TestRetryWindowEnds(t *testing.T) {
	w := newWorld(t)
	w.recv.status.Store(http.StatusTooManyRequests)
	ep := w.endpoint(w.recv.srv.URL)
	w.message(detour.StatusSent)
	w.dispatcher(webhook.DispatcherConfig{RetryWindow: time.Hour})
	w.eventually("failed", 5*time.Minute, func() bool {
		page, _ := w.store.Deliveries(context.Background(), detour.DeliveryFilter{TenantID: w.ten, EndpointID: ep.ID})
		return len(page.Deliveries) == 1 && page.Deliveries[0].Status == detour.DeliveryFailed
	})
	page, _ := w.store.Deliveries(context.Background(), detour.DeliveryFilter{TenantID: w.ten, EndpointID: ep.ID})
	log := page.Attempts[page.Deliveries[0].ID]
	if last := log[len(log)-1]; last.Outcome != "failed" || last.Status != 429 || len(log) < 3 {
		t.Fatalf("log %+v", log)
	}
}

// TestRotation: during a rotation each delivery carries a signature for the
// new and the old secret; a receiver holding either accepts it.
func TestRotation(t *testing.T) {
	w := newWorld(t)
	oldS, newS := webhook.NewSecret(), webhook.NewSecret()
	w.endpoint(w.recv.srv.URL, newS, oldS)
	for _, trusted := range []detour.Secret{oldS, newS} {
		r := newReceiver(t)
		r.trust(trusted)
		w.endpoint(r.srv.URL, newS, oldS)
		defer func() {
			if len(r.received()) != 1 || r.bad.Load() != 0 {
				t.Errorf("receiver holding one secret: %d received, %d refused", len(r.received()), r.bad.Load())
			}
		}()
	}
	w.message(detour.StatusSent)
	w.dispatcher(webhook.DispatcherConfig{})
	w.eventually("delivered", 0, func() bool { return len(w.recv.received()) == 1 })
	time.Sleep(50 * time.Millisecond)
}

// TestPrivateAddressRefused: without webhooks.allow_private_networks a
// loopback receiver is never reached; the try is logged as refused.
func TestPrivateAddressRefused(t *testing.T) {
	w := newWorld(t)
	ep := w.endpoint(w.recv.srv.URL)
	w.message(detour.StatusSent)
	w.dispatcher(webhook.DispatcherConfig{Client: webhook.NewClient(webhook.Config{})})
	w.eventually("a refused try", 0, func() bool {
		page, _ := w.store.Deliveries(context.Background(), detour.DeliveryFilter{TenantID: w.ten, EndpointID: ep.ID})
		return len(page.Deliveries) == 1 && page.Deliveries[0].Tries == 1
	})
	page, _ := w.store.Deliveries(context.Background(), detour.DeliveryFilter{TenantID: w.ten, EndpointID: ep.ID})
	if w.recv.tries.Load() != 0 || page.Deliveries[0].Status != detour.DeliveryPending || page.Deliveries[0].LastError == "" {
		t.Fatalf("tries %d, delivery %+v", w.recv.tries.Load(), page.Deliveries[0])
	}
}
