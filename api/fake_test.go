package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/clocktest"
	"github.com/detourhq/detour/logtest"
)

// fakeService is an in-memory detour.MessageService with a little of the
// real validation, enough to produce each kind of error.
type fakeService struct {
	mu    sync.Mutex
	clock detour.Clock
	ids   *detour.IDSource
	msgs  map[string]*detour.Message
	order []string // ids, oldest first
	idem  map[string]idemEntry
	err   error // when set, every call returns it
	last  *detour.SendRequest
	lastF detour.MessageFilter
}

type idemEntry struct {
	hash []byte
	id   string
}

func newFakeService(clock detour.Clock) *fakeService {
	return &fakeService{clock: clock, ids: detour.NewIDSource(clock.Now, nil), msgs: map[string]*detour.Message{}, idem: map[string]idemEntry{}}
}

func (f *fakeService) SendMessage(ctx context.Context, tenantID string, req *detour.SendRequest, idem *detour.Idempotency) (*detour.Message, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, false, f.err
	}
	f.last = req
	if idem != nil {
		if e, ok := f.idem[tenantID+"/"+idem.Key]; ok {
			if !bytes.Equal(e.hash, idem.RequestHash) {
				return nil, false, detour.Errorf(detour.CodeIdempotencyConflict, "the Idempotency-Key was used with another request")
			}
			return f.msgs[e.id].Clone(), true, nil
		}
	}
	if _, _, err := detour.ParseE164(req.To); err != nil {
		return nil, false, err
	}
	if err := req.Content.Validate(); err != nil {
		return nil, false, err
	}
	steps := req.Channels
	if steps == nil {
		steps = []detour.Step{{Channel: "sandbox"}}
	}
	for i, s := range steps {
		if s.Channel != "sandbox" {
			return nil, false, detour.FieldErrorf(detour.CodeUnknownChannel, "channels["+string(rune('0'+i))+"].channel", "no such channel")
		}
	}
	prio := req.Priority
	if prio == "" {
		prio = detour.PriorityNormal
	}
	now := f.clock.Now()
	m := &detour.Message{
		ID: f.ids.New("msg_"), TenantID: tenantID, To: req.To, Content: req.Content, Steps: steps,
		Priority: prio, ClientRef: req.ClientRef, CallbackURL: req.CallbackURL, Metadata: req.Metadata,
		Status: detour.StatusQueued, CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(24 * time.Hour),
	}
	f.msgs[m.ID] = m
	f.order = append(f.order, m.ID)
	if idem != nil {
		f.idem[tenantID+"/"+idem.Key] = idemEntry{hash: idem.RequestHash, id: m.ID}
	}
	return m.Clone(), false, nil
}

func (f *fakeService) Message(ctx context.Context, tenantID, id string) (*detour.Message, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	m, ok := f.msgs[id]
	if !ok || m.TenantID != tenantID {
		return nil, detour.ErrNotFound
	}
	return m.Clone(), nil
}

func (f *fakeService) Messages(ctx context.Context, flt detour.MessageFilter) (detour.MessagePage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return detour.MessagePage{}, f.err
	}
	f.lastF = flt
	var page detour.MessagePage
	for i := len(f.order) - 1; i >= 0; i-- {
		m := f.msgs[f.order[i]]
		if m.TenantID != flt.TenantID || (flt.Status != "" && m.Status != flt.Status) || (flt.Before != "" && m.ID >= flt.Before) {
			continue
		}
		if len(page.Messages) == flt.Limit {
			page.More = true
			break
		}
		c := m.Clone()
		c.Attempts = nil
		page.Messages = append(page.Messages, c)
	}
	return page, nil
}

func (f *fakeService) CancelMessage(ctx context.Context, tenantID, id string) (*detour.Message, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	m, ok := f.msgs[id]
	if !ok || m.TenantID != tenantID {
		return nil, detour.ErrNotFound
	}
	if m.Status.Final() {
		return nil, detour.Errorf(detour.CodeNotCancelable, "the message is already %s", m.Status)
	}
	m.Fail(detour.StatusCanceled, detour.ReasonCanceled, "canceled by the API caller", f.clock.Now())
	return m.Clone(), nil
}

// put stores m as is, for tests that need a message in some state.
func (f *fakeService) put(m *detour.Message) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.msgs[m.ID] = m
	f.order = append(f.order, m.ID)
	sort.Strings(f.order)
}

// fakeKeys is an in-memory detour.KeyStore that counts lookups.
type fakeKeys struct {
	mu      sync.Mutex
	keys    map[string]*detour.APIKey
	lookups int
	err     error
}

func (k *fakeKeys) CreateAPIKey(ctx context.Context, tenantName string, key *detour.APIKey) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.keys == nil {
		k.keys = map[string]*detour.APIKey{}
	}
	key.TenantID, key.TenantName = "ten_"+tenantName, tenantName
	c := *key
	k.keys[key.ID] = &c
	return nil
}

func (k *fakeKeys) APIKey(ctx context.Context, id string) (*detour.APIKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.lookups++
	if k.err != nil {
		return nil, k.err
	}
	key, ok := k.keys[id]
	if !ok {
		return nil, detour.ErrNotFound
	}
	c := *key
	return &c, nil
}

func (k *fakeKeys) revoke(id string, at time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.keys[id].RevokedAt = at
}

func (k *fakeKeys) count() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.lookups
}

// env is a Server over fakes, with a manual clock, a key per tenant and a
// log buffer.
type env struct {
	t       testing.TB
	clock   *clocktest.Clock
	svc     *fakeService
	keys    *fakeKeys
	reg     *prometheus.Registry
	srv     *Server
	logs    *logtest.Buffer
	keyA    string // tenant a
	keyB    string // tenant b
	keyAID  string
	ready   error
	handler http.Handler
}

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func newEnv(t testing.TB, mod func(*Config)) *env {
	t.Helper()
	e := &env{t: t, clock: clocktest.New(t0), keys: &fakeKeys{}, reg: prometheus.NewRegistry(), logs: &logtest.Buffer{}}
	e.svc = newFakeService(e.clock)
	ids := detour.NewIDSource(e.clock.Now, nil)
	var ka, kb *detour.APIKey
	e.keyA, ka = detour.NewAPIKey(ids, t0)
	e.keyB, kb = detour.NewAPIKey(ids, t0)
	e.keyAID = ka.ID
	_ = e.keys.CreateAPIKey(context.Background(), "a", ka)
	_ = e.keys.CreateAPIKey(context.Background(), "b", kb)
	cfg := Config{
		Messages: e.svc, Keys: e.keys, Registry: e.reg, Clock: e.clock,
		Logger: slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Ready:  func(context.Context) error { return e.ready },
	}
	if mod != nil {
		mod(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.srv, e.handler = srv, srv
	return e
}

// request describes one test request.
type request struct {
	method, path, body string
	key                string            // API key; "" for none
	header             map[string]string // extra headers
}

// do serves one request and returns the recorded response.
func (e *env) do(r request) *httptest.ResponseRecorder {
	e.t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	req := httptest.NewRequest(r.method, r.path, body)
	if r.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.key != "" {
		req.Header.Set("Authorization", "Bearer "+r.key)
	}
	for k, v := range r.header {
		if v == "<none>" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	w := httptest.NewRecorder()
	e.handler.ServeHTTP(w, req)
	return w
}

// send posts a valid message for tenant a and returns it.
func (e *env) send(body string) Message {
	e.t.Helper()
	w := e.do(request{method: "POST", path: "/v1/messages", key: e.keyA, body: body})
	if w.Code != http.StatusAccepted {
		e.t.Fatalf("send: %d %s", w.Code, w.Body)
	}
	var m Message
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		e.t.Fatal(err)
	}
	return m
}

// problem decodes a problem response and checks its status, code and
// content type.
func problemOf(t *testing.T, w *httptest.ResponseRecorder, status int, code detour.Code) Problem {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d: %s", w.Code, status, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != ctProblem {
		t.Fatalf("content type %q, want %q", ct, ctProblem)
	}
	var p Problem
	dec := json.NewDecoder(w.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("problem body: %v", err)
	}
	if p.Code != string(code) || p.Status != status || p.Type != ProblemTypePrefix+string(code) || p.Title == "" {
		t.Fatalf("problem %+v, want code %s status %d", p, code, status)
	}
	return p
}

const validBody = `{"to":"+447400123456","content":{"text":"Your code is 123456"}}`

// hashOf returns the normalized hash the API computes for a body.
func hashOf(t *testing.T, body string) []byte {
	req, err := decodeSendRequest([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(req)
	s := sha256.Sum256(b)
	return s[:]
}

type httptestRecorder = httptest.ResponseRecorder

// newRequest builds a JSON request with an API key.
func newRequest(method, path, body, key string) *http.Request {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	return req
}

// serve serves req on e's handler.
func serve(e *env, req *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	e.handler.ServeHTTP(w, req)
	return w
}

// spyService records the Idempotency passed to SendMessage.
type spyService struct {
	*fakeService
	idem **detour.Idempotency
}

func (s *spyService) SendMessage(ctx context.Context, tenantID string, req *detour.SendRequest, idem *detour.Idempotency) (*detour.Message, bool, error) {
	*s.idem = idem
	return s.fakeService.SendMessage(ctx, tenantID, req, idem)
}

// panicService panics on listing.
type panicService struct{ *fakeService }

func (panicService) Messages(context.Context, detour.MessageFilter) (detour.MessagePage, error) {
	panic("boom")
}

type errString string

func (e errString) Error() string { return string(e) }

// stored puts a delivered message of tenant a with two attempts (a
// throttled one, then a delivered one) into e's service.
func stored(e *env) *detour.Message {
	ids := detour.NewIDSource(e.clock.Now, nil)
	at := t0.Add(500 * time.Millisecond)
	m := &detour.Message{
		ID: ids.New("msg_"), TenantID: "ten_a", To: "+447400123456", Content: detour.Content{Text: "hi"},
		Steps:    []detour.Step{{Channel: "sandbox", FallbackAfter: detour.Duration(10 * time.Second)}, {Channel: "sandbox", Route: "r2"}},
		Priority: detour.PriorityOTP, Status: detour.StatusDelivered, Step: 1,
		CreatedAt: at, UpdatedAt: at.Add(3 * time.Second), ExpiresAt: at.Add(time.Hour),
	}
	a1 := &detour.Attempt{ID: ids.New("att_"), MessageID: m.ID, Step: 0, Channel: "sandbox", Route: "r1", Status: detour.AttemptPending, CreatedAt: at}
	a1.SetStatus(detour.AttemptFailed, at.Add(time.Second))
	a1.ErrorCode, a1.ErrorDetail = detour.ReasonThrottled, "slow down"
	a2 := &detour.Attempt{ID: ids.New("att_"), MessageID: m.ID, Step: 1, Channel: "sandbox", Route: "r2", Status: detour.AttemptPending,
		ProviderID: "p-2", Segments: 2, CreatedAt: at.Add(time.Second),
		Parts: []detour.Part{{ProviderID: "p-2", Status: detour.AttemptDelivered}, {ProviderID: "p-3", Status: detour.AttemptDelivered}}}
	a2.SetStatus(detour.AttemptSent, at.Add(2*time.Second))
	a2.SetStatus(detour.AttemptDelivered, at.Add(3*time.Second))
	m.Attempts = []*detour.Attempt{a1, a2}
	e.svc.put(m)
	return m
}
