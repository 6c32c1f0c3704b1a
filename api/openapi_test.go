package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/health"
	"github.com/detourhq/detour/sqlite"
	"github.com/detourhq/detour/webhook"
)

const docURL = "https://detour.test/openapi.json"

// openAPI fetches the served document and compiles schemas from it.
type openAPI struct {
	t        *testing.T
	raw      map[string]any
	compiler *jsonschema.Compiler
	cache    map[string]*jsonschema.Schema
}

func fetchOpenAPI(t *testing.T, base string) *openAPI {
	t.Helper()
	res, err := http.Get(base + "/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("openapi.json: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	b, _ := io.ReadAll(res.Body)
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(docURL, doc); err != nil {
		t.Fatal(err)
	}
	o := &openAPI{t: t, compiler: c, cache: map[string]*jsonschema.Schema{}}
	if err := json.Unmarshal(b, &o.raw); err != nil {
		t.Fatal(err)
	}
	return o
}

// pointer escapes path segments into a JSON pointer.
func pointer(segs ...string) string {
	var b strings.Builder
	for _, s := range segs {
		s = strings.ReplaceAll(s, "~", "~0")
		s = strings.ReplaceAll(s, "/", "~1")
		b.WriteString("/" + s)
	}
	return b.String()
}

// schema compiles the schema at a JSON pointer of the document.
func (o *openAPI) schema(ptr string) *jsonschema.Schema {
	o.t.Helper()
	if s, ok := o.cache[ptr]; ok {
		return s
	}
	s, err := o.compiler.Compile(docURL + "#" + ptr)
	if err != nil {
		o.t.Fatalf("compiling %s: %v", ptr, err)
	}
	o.cache[ptr] = s
	return s
}

// has reports whether the document has a value at the path.
func (o *openAPI) has(segs ...string) bool {
	var v any = o.raw
	for _, s := range segs {
		m, ok := v.(map[string]any)
		if !ok {
			return false
		}
		if v, ok = m[s]; !ok {
			return false
		}
	}
	return true
}

// validate checks a body against a schema of the document.
func (o *openAPI) validate(ptr string, body []byte) {
	o.t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		o.t.Fatalf("body is not JSON: %v: %s", err, body)
	}
	if err := o.schema(ptr).Validate(inst); err != nil {
		o.t.Errorf("body does not match %s: %v\n%s", ptr, err, body)
	}
}

func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	e := newEnv(t, nil)
	ts := httptest.NewServer(e.srv)
	defer ts.Close()
	o := fetchOpenAPI(t, ts.URL)
	if o.raw["openapi"] != "3.1.0" {
		t.Errorf("openapi %v", o.raw["openapi"])
	}
	documented := map[string]bool{}
	for path, item := range o.raw["paths"].(map[string]any) {
		for method := range item.(map[string]any) {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	for _, op := range e.srv.ops {
		if !documented[op.pattern()] {
			t.Errorf("%s is registered but not documented", op.pattern())
		}
		delete(documented, op.pattern())
		// The route is really registered: the mux does not answer it.
		path := strings.ReplaceAll(op.path, "{id}", "msg_00000000000000000000000000")
		req, _ := http.NewRequest(op.method, ts.URL+path, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode == 405 || bytes.Contains(b, []byte("no such endpoint")) {
			t.Errorf("%s is documented but not served: %d", op.pattern(), res.StatusCode)
		}
		for _, key := range []string{"operationId", "summary", "description", "responses", "security"} {
			if !o.has("paths", op.path, strings.ToLower(op.method), key) {
				t.Errorf("%s has no %s", op.pattern(), key)
			}
		}
		for _, code := range op.allProblems() {
			if !o.has("paths", op.path, strings.ToLower(op.method), "responses", strconv.Itoa(statusOf(code))) {
				t.Errorf("%s: status %d of %s undocumented", op.pattern(), statusOf(code), code)
			}
		}
	}
	for extra := range documented {
		t.Errorf("%s is documented but not in the operations table", extra)
	}
	if !o.has("components", "securitySchemes", "apiKey") {
		t.Error("no security scheme")
	}
	// Every component schema compiles.
	for name := range o.raw["components"].(map[string]any)["schemas"].(map[string]any) {
		o.schema(pointer("components", "schemas", name))
	}
}

func TestOpenAPIRequestSchema(t *testing.T) {
	e := newEnv(t, nil)
	ts := httptest.NewServer(e.srv)
	defer ts.Close()
	o := fetchOpenAPI(t, ts.URL)
	ptr := pointer("components", "schemas", "SendRequest")
	for _, body := range []string{validBody, richBody,
		`{"to":"+447400123456","content":{"template":{"name":"otp","language":"en","params":["1"]}}}`,
		`{"to":"+447400123456","content":{"media":{"type":"image","url":"https://x.example/a.png","caption":"c"}}}`,
		`{"to":"+447400123456","content":{"interactive":{"type":"list","body":"b","list":{"button":"Go","sections":[{"rows":[{"id":"1","title":"One"}]}]}}}}`,
	} {
		o.validate(ptr, []byte(body))
		if _, err := decodeSendRequest([]byte(body)); err != nil {
			t.Errorf("the decoder refuses a body the schema accepts: %v", err)
		}
	}
	for _, body := range []string{`{"to":"+447400123456"}`, `{"to":"+1","content":{"text":"x"},"extra":1}`, `{"to":5,"content":{"text":"x"}}`} {
		inst, _ := jsonschema.UnmarshalJSON(strings.NewReader(body))
		if o.schema(ptr).Validate(inst) == nil {
			t.Errorf("schema accepts %s", body)
		}
	}
}

const richBody = `{"to":"+447400123456","content":{"text":"Your code is 123456"},
	"channels":[{"channel":"sandbox","fallback_after":"10s"},{"channel":"sandbox","route":"default"}],
	"validity":"10m","priority":"otp","client_ref":"order-42","callback_url":"https://example.com/cb","metadata":{"k":"v"}}`

// TestOpenAPIResponsesMatchSchemas serves real requests and validates each
// response against the schema the document gives for its operation,
// status and content type.
func TestOpenAPIResponsesMatchSchemas(t *testing.T) {
	hooks, err := sqlite.Open(context.Background(), t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer hooks.Close()
	e := newEnv(t, func(c *Config) {
		c.Events = fakeEvents{}
		c.Webhooks = hooks
		c.WebhookURL = func(raw string) error { return webhook.ValidateURL(raw, false) }
		mon, err := health.New(health.Config{})
		if err != nil {
			t.Fatal(err)
		}
		mon.Register(health.Key{Channel: "sms", Route: "op1"})
		mon.Register(health.Key{Channel: "sms", Route: "op2"})
		mon.Submitted(health.Key{Channel: "sms", Route: "op1"}, time.Now(), 3*time.Millisecond, health.OK)
		c.Health = mon
		c.Routes = func(context.Context) []Route {
			since := t0.Add(-time.Hour)
			return []Route{
				{Channel: "sandbox", Name: "default", State: "up"},
				{Channel: "sms", Name: "op1", State: "up", SubmitRate: 12.5, PausedUntil: &since, ThroughputLimit: 50,
					Selection: &RouteSelection{Prefixes: []string{"44"}, Countries: []string{}, Priority: 1, Weight: 2, Cost: 0.03}, Binds: []Bind{{
						Bind: 0, Mode: "transceiver", State: "bound", Since: since, Window: 100, InFlight: 3, Submitted: 42,
						Responses: map[string]uint64{"ESME_ROK": 40, "ESME_RTHROTTLED": 2}, Receipts: 39, DeliverSM: 40,
						LastError: "throttled", LastErrorAt: &since}}},
			}
		}
	})
	ts := httptest.NewServer(e.srv)
	defer ts.Close()
	o := fetchOpenAPI(t, ts.URL)

	ids := detour.NewIDSource(e.clock.Now, nil)
	slowKey, k := detour.NewAPIKey(ids, t0)
	k.RateLimit = 0.001
	_ = e.keys.CreateAPIKey(context.Background(), "slow", k)

	delivered := stored(e)
	final := e.send(validBody)
	e.do(request{method: "POST", path: "/v1/messages/" + final.ID + "/cancel", key: e.keyA})
	page := MessageList{}
	for i := 0; i < 3; i++ {
		e.send(richBody)
	}
	w := e.do(request{method: "GET", path: "/v1/messages?limit=2", key: e.keyA})
	_ = json.Unmarshal(w.Body.Bytes(), &page)
	if page.NextCursor == nil {
		t.Fatal("no second page")
	}
	bigText := strings.Repeat("x", DefaultMaxBodyBytes)
	keyA, _ := e.keys.APIKey(context.Background(), e.keyAID)
	ep := &detour.WebhookEndpoint{ID: ids.New("whe_"), TenantID: keyA.TenantID, Kind: detour.EndpointURL, URL: "https://93.184.215.14/hook",
		Secrets: []detour.EndpointSecret{{Secret: webhook.NewSecret(), CreatedAt: t0}}, CreatedAt: t0, UpdatedAt: t0}
	if err := hooks.CreateEndpoint(context.Background(), ep); err != nil {
		t.Fatal(err)
	}
	hookList, hookOne := "/v1/webhook-endpoints", "/v1/webhook-endpoints/{id}"
	hookPath := hookList + "/" + ep.ID
	unknownHook := hookList + "/whe_00000000000000000000000000"
	unknownEvent := "/v1/events/evt_00000000000000000000000000"

	type scenario struct {
		name, method, tmpl, path, body, key string
		header                              map[string]string
		status                              int
		before                              func()
	}
	msgs, one, cancel := "/v1/messages", "/v1/messages/{id}", "/v1/messages/{id}/cancel"
	unknownID := "msg_00000000000000000000000000"
	scenarios := []scenario{
		{name: "routes", method: "GET", tmpl: "/v1/routes", path: "/v1/routes", key: e.keyA, status: 200},
		{name: "events", method: "GET", tmpl: "/v1/events", path: "/v1/events?limit=1", key: e.keyA, status: 200},
		{name: "events bad cursor", method: "GET", tmpl: "/v1/events", path: "/v1/events?cursor=zz", key: e.keyA, status: 400},
		{name: "send", method: "POST", tmpl: msgs, path: msgs, body: richBody, key: e.keyA, status: 202},
		{name: "send replay", method: "POST", tmpl: msgs, path: msgs, body: validBody, key: e.keyA, header: map[string]string{"Idempotency-Key": "k"}, status: 202},
		{name: "send replay again", method: "POST", tmpl: msgs, path: msgs, body: validBody, key: e.keyA, header: map[string]string{"Idempotency-Key": "k"}, status: 202},
		{name: "conflict", method: "POST", tmpl: msgs, path: msgs, body: richBody, key: e.keyA, header: map[string]string{"Idempotency-Key": "k"}, status: 409},
		{name: "bad idempotency key", method: "POST", tmpl: msgs, path: msgs, body: validBody, key: e.keyA, header: map[string]string{"Idempotency-Key": strings.Repeat("k", 256)}, status: 400},
		{name: "malformed", method: "POST", tmpl: msgs, path: msgs, body: "{", key: e.keyA, status: 400},
		{name: "invalid type", method: "POST", tmpl: msgs, path: msgs, body: `{"to":5}`, key: e.keyA, status: 400},
		{name: "unknown field", method: "POST", tmpl: msgs, path: msgs, body: `{"x":5}`, key: e.keyA, status: 400},
		{name: "missing field", method: "POST", tmpl: msgs, path: msgs, body: `{"content":{"text":"x"}}`, key: e.keyA, status: 422},
		{name: "invalid recipient", method: "POST", tmpl: msgs, path: msgs, body: `{"to":"+1","content":{"text":"x"}}`, key: e.keyA, status: 422},
		{name: "unknown channel", method: "POST", tmpl: msgs, path: msgs, body: `{"to":"+447400123456","content":{"text":"x"},"channels":[{"channel":"fax"}]}`, key: e.keyA, status: 422},
		{name: "too large", method: "POST", tmpl: msgs, path: msgs, body: `{"to":"` + bigText + `"}`, key: e.keyA, status: 413},
		{name: "not json", method: "POST", tmpl: msgs, path: msgs, body: validBody, key: e.keyA, header: map[string]string{"Content-Type": "text/plain"}, status: 415},
		{name: "no key", method: "POST", tmpl: msgs, path: msgs, body: validBody, status: 401},
		{name: "rate limit ok", method: "GET", tmpl: msgs, path: msgs, key: slowKey, status: 200},
		{name: "rate limited", method: "GET", tmpl: msgs, path: msgs, key: slowKey, status: 429},
		{name: "list", method: "GET", tmpl: msgs, path: msgs + "?limit=2&status=queued", key: e.keyA, status: 200},
		{name: "list last page", method: "GET", tmpl: msgs, path: msgs + "?cursor=" + *page.NextCursor, key: e.keyA, status: 200},
		{name: "bad cursor", method: "GET", tmpl: msgs, path: msgs + "?cursor=x", key: e.keyA, status: 400},
		{name: "bad limit", method: "GET", tmpl: msgs, path: msgs + "?limit=x", key: e.keyA, status: 400},
		{name: "internal", method: "GET", tmpl: msgs, path: msgs, key: e.keyA, status: 500, before: func() { e.svc.err = errors.New("x") }},
		{name: "unavailable", method: "GET", tmpl: msgs, path: msgs, key: e.keyA, status: 503, before: func() { e.svc.err = detour.Errorf(detour.CodeUnavailable, "down") }},
		{name: "get delivered", method: "GET", tmpl: one, path: msgs + "/" + delivered.ID, key: e.keyA, status: 200, before: func() { e.svc.err = nil }},
		{name: "get canceled", method: "GET", tmpl: one, path: msgs + "/" + final.ID, key: e.keyA, status: 200},
		{name: "get other tenant", method: "GET", tmpl: one, path: msgs + "/" + delivered.ID, key: e.keyB, status: 404},
		{name: "get unknown", method: "GET", tmpl: one, path: msgs + "/" + unknownID, key: e.keyA, status: 404},
		{name: "cancel", method: "POST", tmpl: cancel, path: msgs + "/" + page.Data[0].ID + "/cancel", key: e.keyA, status: 200},
		{name: "cancel final", method: "POST", tmpl: cancel, path: msgs + "/" + delivered.ID + "/cancel", key: e.keyA, status: 409},
		{name: "cancel unknown", method: "POST", tmpl: cancel, path: msgs + "/" + unknownID + "/cancel", key: e.keyA, status: 404},
		{name: "create endpoint", method: "POST", tmpl: hookList, path: hookList, body: `{"url":"https://93.184.215.14/h","event_types":["message.status"],"description":"crm"}`, key: e.keyA, status: 201},
		{name: "create endpoint private", method: "POST", tmpl: hookList, path: hookList, body: `{"url":"http://127.0.0.1:9/"}`, key: e.keyA, status: 422},
		{name: "create endpoint no url", method: "POST", tmpl: hookList, path: hookList, body: `{}`, key: e.keyA, status: 422},
		{name: "create endpoint bad type", method: "POST", tmpl: hookList, path: hookList, body: `{"url":"https://93.184.215.14/","event_types":["nope"]}`, key: e.keyA, status: 400},
		{name: "list endpoints", method: "GET", tmpl: hookList, path: hookList, key: e.keyA, status: 200},
		{name: "get endpoint", method: "GET", tmpl: hookOne, path: hookPath, key: e.keyA, status: 200},
		{name: "get endpoint other tenant", method: "GET", tmpl: hookOne, path: hookPath, key: e.keyB, status: 404},
		{name: "disable endpoint", method: "PATCH", tmpl: hookOne, path: hookPath, body: `{"enabled":false}`, key: e.keyA, status: 200},
		{name: "endpoint to private", method: "PATCH", tmpl: hookOne, path: hookPath, body: `{"url":"http://10.0.0.1/"}`, key: e.keyA, status: 422},
		{name: "rotate", method: "POST", tmpl: hookOne + "/rotate-secret", path: hookPath + "/rotate-secret", body: `{"expire_previous_in":"1h"}`, key: e.keyA, status: 200},
		{name: "rotate too long", method: "POST", tmpl: hookOne + "/rotate-secret", path: hookPath + "/rotate-secret", body: `{"expire_previous_in":"999h"}`, key: e.keyA, status: 400},
		{name: "secret", method: "GET", tmpl: hookOne + "/secret", path: hookPath + "/secret", key: e.keyA, status: 200},
		{name: "deliveries", method: "GET", tmpl: hookOne + "/deliveries", path: hookPath + "/deliveries?status=pending", key: e.keyA, status: 200},
		{name: "deliveries bad status", method: "GET", tmpl: hookOne + "/deliveries", path: hookPath + "/deliveries?status=x", key: e.keyA, status: 400},
		{name: "deliveries unknown", method: "GET", tmpl: hookOne + "/deliveries", path: unknownHook + "/deliveries", key: e.keyA, status: 404},
		{name: "delete endpoint", method: "DELETE", tmpl: hookOne, path: hookPath, key: e.keyA, status: 204},
		{name: "delete endpoint again", method: "DELETE", tmpl: hookOne, path: hookPath, key: e.keyA, status: 404},
		{name: "channels", method: "GET", tmpl: "/v1/channels", path: "/v1/channels", key: e.keyA, status: 200},
		{name: "force down", method: "POST", tmpl: "/v1/channels/{channel}/routes/{route}/force", path: "/v1/channels/sms/routes/op2/force", body: `{"state":"down","note":"maintenance"}`, key: e.keyA, status: 200},
		{name: "channels with a forced route", method: "GET", tmpl: "/v1/channels", path: "/v1/channels", key: e.keyA, status: 200},
		{name: "force auto", method: "POST", tmpl: "/v1/channels/{channel}/routes/{route}/force", path: "/v1/channels/sms/routes/op2/force", body: `{"state":"auto"}`, key: e.keyA, status: 200},
		{name: "force bad state", method: "POST", tmpl: "/v1/channels/{channel}/routes/{route}/force", path: "/v1/channels/sms/routes/op2/force", body: `{"state":"degraded"}`, key: e.keyA, status: 400},
		{name: "force unknown route", method: "POST", tmpl: "/v1/channels/{channel}/routes/{route}/force", path: "/v1/channels/sms/routes/nope/force", body: `{"state":"down"}`, key: e.keyA, status: 404},
		{name: "get event unknown", method: "GET", tmpl: "/v1/events/{id}", path: unknownEvent, key: e.keyA, status: 404},
		{name: "replay unknown", method: "POST", tmpl: "/v1/events/{id}/replay", path: unknownEvent + "/replay", key: e.keyA, status: 404},
		{name: "healthz", method: "GET", tmpl: "/healthz", path: "/healthz", status: 200},
		{name: "readyz", method: "GET", tmpl: "/readyz", path: "/readyz", status: 200},
		{name: "not ready", method: "GET", tmpl: "/readyz", path: "/readyz", status: 503, before: func() { e.ready = errors.New("no") }},
		{name: "unknown path", method: "GET", path: "/v1/nope", status: 404},
		{name: "wrong method", method: "PUT", path: msgs, key: e.keyA, status: 405},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			o.t = t
			if sc.before != nil {
				sc.before()
			}
			var body io.Reader
			if sc.body != "" {
				body = strings.NewReader(sc.body)
			}
			req, _ := http.NewRequest(sc.method, ts.URL+sc.path, body)
			if sc.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			if sc.key != "" {
				req.Header.Set("Authorization", "Bearer "+sc.key)
			}
			for k, v := range sc.header {
				req.Header.Set(k, v)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != sc.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, sc.status, b)
			}
			ct := res.Header.Get("Content-Type")
			if sc.tmpl == "" {
				if ct != ctProblem {
					t.Fatalf("content type %q", ct)
				}
				o.validate(pointer("components", "schemas", "Problem"), b)
				return
			}
			resp := []string{"paths", sc.tmpl, strings.ToLower(sc.method), "responses", strconv.Itoa(sc.status)}
			if !o.has(resp...) {
				t.Fatalf("status %d undocumented for %s %s", sc.status, sc.method, sc.tmpl)
			}
			if sc.status == http.StatusNoContent {
				if len(b) != 0 {
					t.Fatalf("204 with a body: %s", b)
				}
				return
			}
			content := append(resp, "content", ct)
			if !o.has(content...) {
				t.Fatalf("content type %q undocumented for %v", ct, resp)
			}
			o.validate(pointer(append(content, "schema")...), b)
			if sc.status >= 400 {
				var p Problem
				_ = json.Unmarshal(b, &p)
				desc := o.raw["paths"].(map[string]any)[sc.tmpl].(map[string]any)[strings.ToLower(sc.method)].(map[string]any)["responses"].(map[string]any)[strconv.Itoa(sc.status)].(map[string]any)["description"].(string)
				if !strings.Contains(desc, "`"+p.Code+"`") {
					t.Errorf("code %s is not listed in %q", p.Code, desc)
				}
			}
		})
	}
}

// TestOpenAPIDocumentsEveryProblemCode checks the Problem schema's code
// enum against the status table.
func TestOpenAPIDocumentsEveryProblemCode(t *testing.T) {
	var codes []string
	for c := range problemTypes {
		codes = append(codes, string(c))
	}
	sort.Strings(codes)
	got := componentSchemas()["Problem"].(map[string]any)["properties"].(map[string]any)["code"].(map[string]any)["enum"].([]string)
	if strings.Join(got, ",") != strings.Join(codes, ",") {
		t.Errorf("enum %v, want %v", got, codes)
	}
}

// fakeEvents serves one page of one event, with more after it.
type fakeEvents struct{}

func (fakeEvents) Events(_ context.Context, f detour.EventFilter) (detour.EventPage, error) {
	id := "msg_01ARZ3NDEKTSV4RRFFQ69G5FAV"
	return detour.EventPage{More: true, Events: []*detour.Event{{ID: "evt_01ARZ3NDEKTSV4RRFFQ69G5FAV", TenantID: f.TenantID,
		Type: detour.EventMessageStatus, MessageID: id, CreatedAt: t0,
		Data: []byte(`{"message_id":"` + id + `","status":"delivered","previous_status":"sent","to":"+447400123456","channel":"sms","route":"op1"}`)}}}, nil
}

func (fakeEvents) Event(context.Context, string, string) (*detour.Event, error) {
	return nil, detour.ErrNotFound
}

func (fakeEvents) AddEvent(context.Context, *detour.Event) error { return nil }
