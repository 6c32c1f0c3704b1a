package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/clocktest"
	"github.com/detourhq/detour/dispatch"
	"github.com/detourhq/detour/sqlite"
	"github.com/detourhq/detour/verify"
)

// handset is a channel that keeps what it was handed.
type handset struct {
	name string
	mu   sync.Mutex
	got  []detour.Content
}

func (h *handset) Name() string                    { return h.name }
func (h *handset) Carries(detour.ContentKind) bool { return true }
func (h *handset) Send(_ context.Context, s *detour.Send) detour.Outcome {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.got = append(h.got, *s.Content)
	return detour.AcceptedOutcome("", "p-"+s.AttemptID)
}

func (h *handset) lastCode(t *testing.T) string {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.got) == 0 {
		t.Fatal("nothing was sent")
	}
	return h.got[len(h.got)-1].Template.Params[0]
}

// verifyServer is the API over the real verification service, dispatcher
// and SQLite store, on a manual clock.
type verifyServer struct {
	clock      *clocktest.Clock
	engine     *dispatch.Engine
	wa         *handset
	ts         *httptest.Server
	keyA, keyB string
}

func newVerifyServer(t *testing.T, limits verify.Limits) *verifyServer {
	t.Helper()
	v := &verifyServer{clock: clocktest.New(t0), wa: &handset{name: "whatsapp"}}
	store, err := sqlite.Open(context.Background(), t.TempDir(), sqlite.Options{Now: v.clock.Now, Exclusive: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	const secret = detour.Secret("an API test secret of thirty-two bytes or more")
	r, err := verify.NewRenderer(verify.RendererConfig{Store: store, Secret: secret, Clock: v.clock, TemplateChannels: []string{"whatsapp"}})
	if err != nil {
		t.Fatal(err)
	}
	v.engine, err = dispatch.New(dispatch.Config{Store: store, Clock: v.clock, Rand: rand.New(rand.NewPCG(1, 2)),
		Channels: []detour.Channel{r.Wrap(v.wa), r.Wrap(&handset{name: "sms"})}, DefaultPolicy: []detour.Step{{Channel: "sms"}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.engine.Stop)
	svc, err := verify.New(verify.Config{Messages: v.engine, Store: store, Secret: secret, Clock: v.clock,
		Channels: []string{"whatsapp", "sms"}, Known: []string{"whatsapp", "sms"}, Limits: limits})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{Messages: v.engine, Keys: store, Events: store, Verifications: svc, Clock: v.clock})
	if err != nil {
		t.Fatal(err)
	}
	ids := detour.NewIDSource(v.clock.Now, nil)
	var ka, kb *detour.APIKey
	v.keyA, ka = detour.NewAPIKey(ids, t0)
	v.keyB, kb = detour.NewAPIKey(ids, t0)
	for name, k := range map[string]*detour.APIKey{"a": ka, "b": kb} {
		if err := store.CreateAPIKey(context.Background(), name, k); err != nil {
			t.Fatal(err)
		}
	}
	v.ts = httptest.NewServer(srv)
	t.Cleanup(v.ts.Close)
	return v
}

// run sends what is due.
func (v *verifyServer) run(t *testing.T) {
	t.Helper()
	if _, err := v.engine.RunOnce(context.Background(), 100); err != nil {
		t.Fatal(err)
	}
	v.engine.Wait()
}

type answer struct {
	status int
	header http.Header
	body   []byte
	v      Verification
	p      Problem
}

func (v *verifyServer) do(t *testing.T, method, path, key, body string) answer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, v.ts.URL+path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	a := answer{status: res.StatusCode, header: res.Header, body: b}
	if res.StatusCode < 300 {
		_ = json.Unmarshal(b, &a.v)
	} else {
		_ = json.Unmarshal(b, &a.p)
	}
	return a
}

// TestVerificationsOverHTTP drives every verification endpoint through
// its answers, validating each against the OpenAPI document.
func TestVerificationsOverHTTP(t *testing.T) {
	vs := newVerifyServer(t, verify.Limits{
		PerNumber: verify.Limit{Max: 5, Window: 10 * time.Minute},
		PerTenant: verify.Limit{Max: 40, Window: time.Hour},
		Prefix:    verify.PrefixLimit{Digits: 8, MaxNumbers: 5, Window: time.Hour},
		Countries: []string{"GB", "ES"},
	})
	o := fetchOpenAPI(t, vs.ts.URL)
	const start = "/v1/verifications"
	one := func(id string) string { return start + "/" + id }
	var ids []string
	step := func(name, method, tmpl, path, key, body string, status int, code string) answer {
		t.Helper()
		a := vs.do(t, method, path, key, body)
		if a.status != status {
			t.Fatalf("%s: status %d, want %d: %s", name, a.status, status, a.body)
		}
		ct := a.header.Get("Content-Type")
		resp := []string{"paths", tmpl, strings.ToLower(method), "responses", strconv.Itoa(status)}
		if !o.has(append(resp, "content", ct)...) {
			t.Fatalf("%s: %d %s undocumented for %s %s", name, status, ct, method, tmpl)
		}
		o.validate(pointer(append(resp, "content", ct, "schema")...), a.body)
		if status >= 400 && a.p.Code != code {
			t.Fatalf("%s: code %s, want %s", name, a.p.Code, code)
		}
		if status == http.StatusTooManyRequests {
			if s, err := strconv.Atoi(a.header.Get("Retry-After")); err != nil || s < 1 {
				t.Fatalf("%s: Retry-After %q", name, a.header.Get("Retry-After"))
			}
		}
		if a.v.ID != "" {
			ids = append(ids, a.v.ID)
		}
		return a
	}
	a := step("start", "POST", start, start, vs.keyA, `{"to":"+447400123456","locale":"es","brand":"Acme"}`, 201, "")
	id := a.v.ID
	if a.header.Get("Location") != one(id) || a.v.Status != "pending" || a.v.ChecksLeft != 5 || a.v.SendsLeft != 4 ||
		len(a.v.Attempts) != 1 || a.v.Locale != "es" || a.v.CodeLength != 6 {
		t.Fatalf("start: %s %s", a.header.Get("Location"), a.body)
	}
	if again := step("start again", "POST", start, start, vs.keyA, `{"to":"+447400123456"}`, 200, ""); again.v.ID != id {
		t.Fatalf("a second start returned %s, want the pending %s", again.v.ID, id)
	}
	vs.run(t)
	code := vs.wa.lastCode(t)
	step("get", "GET", start+"/{id}", one(id), vs.keyA, "", 200, "")
	if a := step("check wrong", "POST", one("{id}")+"/check", one(id)+"/check", vs.keyA, `{"code":"000000x"}`, 200, ""); a.v.ChecksLeft != 4 {
		t.Fatalf("checks left %d", a.v.ChecksLeft)
	}
	check := start + "/{id}/check"
	step("check malformed", "POST", check, one(id)+"/check", vs.keyA, `{"code":`, 400, "malformed_json")
	step("check wrong type", "POST", check, one(id)+"/check", vs.keyA, `{"code":123456}`, 400, "invalid_type")
	step("check unknown field", "POST", check, one(id)+"/check", vs.keyA, `{"code":"1","x":1}`, 400, "unknown_field")
	step("check no code", "POST", check, one(id)+"/check", vs.keyA, `{}`, 422, "missing_field")
	resend := start + "/{id}/resend"
	if a := step("resend without a body", "POST", resend, one(id)+"/resend", vs.keyA, "", 200, ""); len(a.v.Attempts) != 2 || a.v.Attempts[1].Channel != "sms" {
		t.Fatalf("resend: %s", a.body)
	}
	step("resend unknown channel", "POST", resend, one(id)+"/resend", vs.keyA, `{"channel":"fax"}`, 422, "unknown_channel")
	step("resend on whatsapp", "POST", resend, one(id)+"/resend", vs.keyA, `{"channel":"whatsapp"}`, 200, "")
	if a := step("check right", "POST", check, one(id)+"/check", vs.keyA, fmt.Sprintf(`{"code":%q}`, code), 200, ""); a.v.Status != "approved" {
		t.Fatalf("check: %s", a.body)
	}
	step("check approved", "POST", check, one(id)+"/check", vs.keyA, fmt.Sprintf(`{"code":%q}`, code), 409, "verification_not_pending")
	step("resend approved", "POST", resend, one(id)+"/resend", vs.keyA, `{}`, 409, "verification_not_pending")

	b := step("start b", "POST", start, start, vs.keyA, `{"to":"+447400123457","channels":["sms"],"code_length":8,"expiry":"5m"}`, 201, "")
	cancel := start + "/{id}/cancel"
	step("cancel", "POST", cancel, one(b.v.ID)+"/cancel", vs.keyA, "", 200, "")
	step("cancel again", "POST", cancel, one(b.v.ID)+"/cancel", vs.keyA, "", 409, "verification_not_pending")
	step("check canceled", "POST", check, one(b.v.ID)+"/check", vs.keyA, `{"code":"12345678"}`, 200, "")
	step("get other tenant", "GET", start+"/{id}", one(b.v.ID), vs.keyB, "", 404, "not_found")
	step("get unknown", "GET", start+"/{id}", one("ver_00000000000000000000000000"), vs.keyA, "", 404, "not_found")
	step("check garbage id", "POST", check, one("nope")+"/check", vs.keyA, `{"code":"1"}`, 404, "not_found")
	step("cancel unknown", "POST", cancel, one("ver_00000000000000000000000000")+"/cancel", vs.keyA, "", 404, "not_found")

	for _, bad := range []struct{ body, code string }{
		{`{"to":"+1"}`, "invalid_recipient"},
		{`{}`, "missing_field"},
		{`{"to":"+447400123458","expiry":"soon"}`, "invalid_request"},
		{`{"to":"+447400123458","expiry":600}`, "invalid_type"},
		{`{"to":"+447400123458","code_length":3}`, "invalid_request"},
		{`{"to":"+447400123458","channels":["fax"]}`, "unknown_channel"},
		{`{"to":"+33612345678"}`, "verify_country_blocked"},
	} {
		status := 422
		switch bad.code {
		case "invalid_request", "invalid_type":
			status = 400
		case "verify_country_blocked":
			status = 429
		}
		a := step("bad start "+bad.body, "POST", start, start, vs.keyA, bad.body, status, bad.code)
		if status == 400 && a.p.Field == "" {
			t.Errorf("%s: no field named", bad.body)
		}
	}

	// Five messages per verification, then 429 verify_max_sends.
	c := step("start c", "POST", start, start, vs.keyA, `{"to":"+447400123459"}`, 201, "")
	for i := range 4 {
		step(fmt.Sprintf("resend %d", i), "POST", resend, one(c.v.ID)+"/resend", vs.keyA, "", 200, "")
	}
	step("resend past five", "POST", resend, one(c.v.ID)+"/resend", vs.keyA, "", 429, "verify_max_sends")
	// Five messages to one number in ten minutes, then 429
	// verify_rate_limited.
	step("new start past five per number", "POST", start, start, vs.keyA, `{"to":"+447400123459","new":true}`, 429, "verify_rate_limited")
	// Distinct numbers in +44740012…: three so far, two more, then 429
	// verify_prefix_velocity.
	for _, n := range []string{"+447400123460", "+447400123461"} {
		step("start "+n, "POST", start, start, vs.keyA, `{"to":"`+n+`"}`, 201, "")
	}
	step("pumping the prefix", "POST", start, start, vs.keyA, `{"to":"+447400123462"}`, 429, "verify_prefix_velocity")
	// Numbers of other prefixes until the tenant's hourly limit.
	for i := 0; ; i++ {
		a := vs.do(t, "POST", start, vs.keyA, fmt.Sprintf(`{"to":"+4474%02d123456"}`, 50+i))
		if a.status == 201 {
			continue
		}
		step("tenant limit", "POST", start, start, vs.keyA, fmt.Sprintf(`{"to":"+4474%02d123456"}`, 50+i), 429, "verify_tenant_rate_limited")
		break
	}

	// Events: the approval and the cancel, with no code in them.
	ev := vs.do(t, "GET", "/v1/events?type=verification.status", vs.keyA, "")
	if ev.status != 200 {
		t.Fatalf("events: %d %s", ev.status, ev.body)
	}
	o.validate(pointer("paths", "/v1/events", "get", "responses", "200", "content", ctJSON, "schema"), ev.body)
	var list EventList
	_ = json.Unmarshal(ev.body, &list)
	if len(list.Data) != 2 || list.Data[0].Type != detour.EventVerificationStatus || !strings.Contains(string(list.Data[1].Data), `"approved"`) {
		t.Fatalf("events: %s", ev.body)
	}
	if strings.Contains(string(ev.body), code) {
		t.Fatal("an event carries the code")
	}
}
