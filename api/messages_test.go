package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/detourhq/detour"
)

func TestSendMessage(t *testing.T) {
	e := newEnv(t, nil)
	w := e.do(request{method: "POST", path: "/v1/messages", key: e.keyA, body: `{
		"to": "+447400123456", "content": {"text": "Your code is 123456"},
		"channels": [{"channel": "sandbox", "fallback_after": "10s"}, {"channel": "sandbox", "route": "default"}],
		"validity": "10m", "priority": "otp", "client_ref": "order-42", "metadata": {"k": "v"}}`})
	if w.Code != http.StatusAccepted {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("content type %q", ct)
	}
	if w.Header().Get("Idempotent-Replayed") != "" {
		t.Error("a first request is not a replay")
	}
	var m Message
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	if w.Header().Get("Location") != "/v1/messages/"+m.ID {
		t.Errorf("location %q", w.Header().Get("Location"))
	}
	if m.Status != "queued" || m.To != "+447400123456" || m.Priority != "otp" || m.ClientRef != "order-42" ||
		len(m.Channels) != 2 || m.Channels[0].FallbackAfter.Std() != 10*time.Second || m.Metadata["k"] != "v" ||
		m.Attempts == nil || len(m.Attempts) != 0 || m.Error != nil || !m.CreatedAt.Equal(t0) {
		t.Errorf("message %+v", m)
	}
	if got := e.svc.last; got.Validity.Std() != 10*time.Minute || got.Priority != detour.PriorityOTP {
		t.Errorf("service got %+v", got)
	}
	if !strings.Contains(w.Body.String(), `"attempts":[]`) {
		t.Errorf("a single message carries its (empty) attempts: %s", w.Body)
	}
	if strings.Contains(w.Body.String(), "validity") {
		t.Errorf("validity is not part of the resource: %s", w.Body)
	}
}

func TestSendMessageBadInput(t *testing.T) {
	long := strings.Repeat("x", 70<<10)
	cases := []struct {
		name   string
		body   string
		ctype  string
		status int
		code   detour.Code
		field  string
	}{
		{"empty body", "", "application/json", 400, detour.CodeMalformedJSON, ""},
		{"not json", "hello", "", 400, detour.CodeMalformedJSON, ""},
		{"truncated", `{"to":"+447400123456"`, "", 400, detour.CodeMalformedJSON, ""},
		{"array", `[]`, "", 400, detour.CodeMalformedJSON, ""},
		{"null", `null`, "", 400, detour.CodeMalformedJSON, ""},
		{"trailing object", validBody + `{}`, "", 400, detour.CodeMalformedJSON, ""},
		{"trailing garbage", validBody + `x`, "", 400, detour.CodeMalformedJSON, ""},
		{"to is a number", `{"to":5,"content":{"text":"hi"}}`, "", 400, detour.CodeInvalidType, "to"},
		{"text is an object", `{"to":"+447400123456","content":{"text":{}}}`, "", 400, detour.CodeInvalidType, "content.text"},
		{"channels is an object", `{"to":"+447400123456","content":{"text":"hi"},"channels":{}}`, "", 400, detour.CodeInvalidType, "channels"},
		{"metadata value is a number", `{"to":"+447400123456","content":{"text":"hi"},"metadata":{"a":1}}`, "", 400, detour.CodeInvalidType, "metadata"},
		{"validity is a number", `{"to":"+447400123456","content":{"text":"hi"},"validity":10}`, "", 400, detour.CodeInvalidType, ""},
		{"validity is no duration", `{"to":"+447400123456","content":{"text":"hi"},"validity":"soon"}`, "", 400, detour.CodeInvalidRequest, "validity"},
		{"fallback_after is no duration", `{"to":"+447400123456","content":{"text":"hi"},"channels":[{"channel":"sandbox"},{"channel":"sandbox","fallback_after":"-5s"}]}`, "", 400, detour.CodeInvalidRequest, "channels[1].fallback_after"},
		{"negative fallback", `{"to":"+447400123456","content":{"text":"hi"},"channels":[{"channel":"sandbox","fallback_after":"-1s"}]}`, "", 400, detour.CodeInvalidRequest, "channels[0].fallback_after"},
		{"unknown field", `{"to":"+447400123456","content":{"text":"hi"},"sender":"x"}`, "", 400, detour.CodeUnknownField, "sender"},
		{"unknown nested field", `{"to":"+447400123456","content":{"txt":"hi"}}`, "", 400, detour.CodeUnknownField, "txt"},
		{"missing to", `{"content":{"text":"hi"}}`, "", 422, detour.CodeMissingField, "to"},
		{"bad number", `{"to":"447400123456","content":{"text":"hi"}}`, "", 422, detour.CodeInvalidRecipient, "to"},
		{"empty content", `{"to":"+447400123456","content":{}}`, "", 422, detour.CodeEmptyContent, "content"},
		{"two contents", `{"to":"+447400123456","content":{"text":"hi","media":{"type":"image","url":"https://x.example/a.png"}}}`, "", 400, detour.CodeInvalidRequest, "content"},
		{"unknown channel", `{"to":"+447400123456","content":{"text":"hi"},"channels":[{"channel":"pigeon"}]}`, "", 422, detour.CodeUnknownChannel, "channels[0].channel"},
		{"too large", `{"to":"+447400123456","content":{"text":"` + long + `"}}`, "", 413, detour.CodeBodyTooLarge, ""},
		{"no content type", validBody, "<none>", 415, detour.CodeUnsupportedMedia, ""},
		{"text content type", validBody, "text/plain", 415, detour.CodeUnsupportedMedia, ""},
		{"form content type", validBody, "application/x-www-form-urlencoded", 415, detour.CodeUnsupportedMedia, ""},
		{"latin-1 json", validBody, "application/json; charset=iso-8859-1", 415, detour.CodeUnsupportedMedia, ""},
		{"bad content type", validBody, "application/", 415, detour.CodeUnsupportedMedia, ""},
	}
	e := newEnv(t, nil)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := request{method: "POST", path: "/v1/messages", key: e.keyA, body: c.body}
			if c.ctype != "" {
				r.header = map[string]string{"Content-Type": c.ctype}
			}
			if c.body == "" {
				r.header = map[string]string{"Content-Type": "application/json"}
			}
			p := problemOf(t, e.do(r), c.status, c.code)
			if p.Field != c.field {
				t.Errorf("field %q, want %q", p.Field, c.field)
			}
			if p.Detail == "" {
				t.Error("no detail")
			}
		})
	}
}

func TestSendMessageContentTypes(t *testing.T) {
	e := newEnv(t, nil)
	for _, ct := range []string{"application/json", "application/json; charset=utf-8", "Application/JSON;charset=UTF-8"} {
		w := e.do(request{method: "POST", path: "/v1/messages", key: e.keyA, body: validBody, header: map[string]string{"Content-Type": ct}})
		if w.Code != http.StatusAccepted {
			t.Errorf("%s: %d %s", ct, w.Code, w.Body)
		}
	}
}

func TestAnswersAreJSONWhateverTheAccept(t *testing.T) {
	e := newEnv(t, nil)
	for _, accept := range []string{"", "*/*", "application/json", "text/html"} {
		h := map[string]string{"Accept": accept}
		w := e.do(request{method: "POST", path: "/v1/messages", key: e.keyA, body: validBody, header: h})
		if w.Code != 202 || w.Header().Get("Content-Type") != "application/json" || !json.Valid(w.Body.Bytes()) {
			t.Errorf("Accept %q: %d %s", accept, w.Code, w.Header().Get("Content-Type"))
		}
		problemOf(t, e.do(request{method: "POST", path: "/v1/messages", key: e.keyA, body: "{", header: h}), 400, detour.CodeMalformedJSON)
	}
}

func TestIdempotency(t *testing.T) {
	e := newEnv(t, nil)
	post := func(key, body, idem string) *httptestRecorder {
		return e.do(request{method: "POST", path: "/v1/messages", key: key, body: body, header: map[string]string{"Idempotency-Key": idem}})
	}
	first := post(e.keyA, validBody, "order-42")
	if first.Code != 202 || first.Header().Get("Idempotent-Replayed") != "" {
		t.Fatalf("first: %d %v", first.Code, first.Header())
	}
	// The same request, spaced and ordered differently, is a replay.
	e.clock.Advance(time.Minute)
	again := post(e.keyA, `{ "content": {"text": "Your code is 123456"}, "to": "+447400123456" }`, "order-42")
	if again.Code != 202 || again.Header().Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d %v %s", again.Code, again.Header(), again.Body)
	}
	if !bytes.Equal(first.Body.Bytes(), again.Body.Bytes()) {
		t.Errorf("a replay returns the same message:\n%s\n%s", first.Body, again.Body)
	}
	// Another body with the same key conflicts.
	problemOf(t, post(e.keyA, `{"to":"+447400123457","content":{"text":"hi"}}`, "order-42"), 409, detour.CodeIdempotencyConflict)
	// Keys are per tenant.
	if w := post(e.keyB, validBody, "order-42"); w.Code != 202 || w.Header().Get("Idempotent-Replayed") != "" {
		t.Errorf("tenant b: %d %v", w.Code, w.Header())
	}
	// Bad keys.
	for _, bad := range []string{"", strings.Repeat("k", 256), "tab\there", "é"} {
		p := problemOf(t, post(e.keyA, validBody, bad), 400, detour.CodeInvalidRequest)
		if p.Field != "Idempotency-Key" {
			t.Errorf("field %q", p.Field)
		}
	}
	if w := post(e.keyA, validBody, strings.Repeat("k", 255)); w.Code != 202 {
		t.Errorf("255 characters: %d", w.Code)
	}
	// Two headers are refused.
	req := newRequest("POST", "/v1/messages", validBody, e.keyA)
	req.Header.Add("Idempotency-Key", "a")
	req.Header.Add("Idempotency-Key", "b")
	problemOf(t, serve(e, req), 400, detour.CodeInvalidRequest)
}

func TestIdempotencyPassesNormalizedHash(t *testing.T) {
	e := newEnv(t, nil)
	var got *detour.Idempotency
	e.srv.cfg.Messages = &spyService{fakeService: e.svc, idem: &got}
	e.clock.Advance(time.Second)
	e.do(request{method: "POST", path: "/v1/messages", key: e.keyA, body: validBody, header: map[string]string{"Idempotency-Key": "k1"}})
	if got == nil || got.Key != "k1" || !bytes.Equal(got.RequestHash, hashOf(t, validBody)) || !got.CreatedAt.Equal(t0.Add(time.Second)) {
		t.Fatalf("idempotency %+v", got)
	}
}

func TestGetMessage(t *testing.T) {
	e := newEnv(t, nil)
	m := stored(e)
	w := e.do(request{method: "GET", path: "/v1/messages/" + m.ID, key: e.keyA})
	if w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	var got Message
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Status != "delivered" || got.Channel != "sandbox" || len(got.Attempts) != 2 || got.Error != nil {
		t.Fatalf("%+v", got)
	}
	a := got.Attempts[0]
	if a.Status != "failed" || a.Error == nil || a.Error.Code != "throttled" || len(a.History) != 2 || a.History[1].Status != "failed" {
		t.Errorf("first attempt %+v", a)
	}
	b := got.Attempts[1]
	if b.ProviderMessageID != "p-2" || b.Route != "r2" || b.Segments != 2 || len(b.Parts) != 2 || b.Parts[1].ProviderMessageID != "p-3" || len(b.History) != 3 || b.History[2].Status != "delivered" {
		t.Errorf("second attempt %+v", b)
	}
	if !strings.Contains(w.Body.String(), `"created_at":"2025-03-01T12:00:00.5Z"`) {
		t.Errorf("times are UTC RFC 3339 with fractions: %s", w.Body)
	}

	// Tenant isolation, unknown and malformed ids.
	problemOf(t, e.do(request{method: "GET", path: "/v1/messages/" + m.ID, key: e.keyB}), 404, detour.CodeNotFound)
	problemOf(t, e.do(request{method: "GET", path: "/v1/messages/msg_00000000000000000000000000", key: e.keyA}), 404, detour.CodeNotFound)
	problemOf(t, e.do(request{method: "GET", path: "/v1/messages/nope", key: e.keyA}), 404, detour.CodeNotFound)
}

func TestCancelMessage(t *testing.T) {
	e := newEnv(t, nil)
	m := e.send(validBody)
	path := "/v1/messages/" + m.ID + "/cancel"
	problemOf(t, e.do(request{method: "POST", path: path, key: e.keyB}), 404, detour.CodeNotFound)
	w := e.do(request{method: "POST", path: path, key: e.keyA})
	if w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	var got Message
	_ = json.Unmarshal(w.Body.Bytes(), &got)
	if got.Status != "canceled" || got.Error == nil || got.Error.Code != "canceled" || got.Attempts == nil {
		t.Errorf("%+v", got)
	}
	problemOf(t, e.do(request{method: "POST", path: path, key: e.keyA}), 409, detour.CodeNotCancelable)
	problemOf(t, e.do(request{method: "POST", path: "/v1/messages/x/cancel", key: e.keyA}), 404, detour.CodeNotFound)
}

func TestServiceErrors(t *testing.T) {
	e := newEnv(t, nil)
	e.svc.err = detour.Errorf(detour.CodeUnavailable, "the store is shutting down")
	problemOf(t, e.do(request{method: "POST", path: "/v1/messages", key: e.keyA, body: validBody}), 503, detour.CodeUnavailable)

	// An error that is not a *detour.Error is logged, never shown.
	e.svc.err = errString("sqlite: disk I/O error at /secret/path")
	p := problemOf(t, e.do(request{method: "GET", path: "/v1/messages", key: e.keyA}), 500, detour.CodeInternal)
	if strings.Contains(p.Detail, "sqlite") || p.Detail != genericInternal {
		t.Errorf("detail %q", p.Detail)
	}
	if !strings.Contains(e.logs.String(), "disk I/O error") {
		t.Error("the real error is logged")
	}
	// So is an unknown code.
	e.svc.err = detour.Errorf("mystery", "?")
	problemOf(t, e.do(request{method: "GET", path: "/v1/messages", key: e.keyA}), 500, detour.CodeInternal)
}

func TestPanicIsInternal(t *testing.T) {
	e := newEnv(t, nil)
	e.srv.cfg.Messages = panicService{e.svc}
	p := problemOf(t, e.do(request{method: "GET", path: "/v1/messages", key: e.keyA}), 500, detour.CodeInternal)
	if p.Detail != genericInternal || !strings.Contains(e.logs.String(), "boom") {
		t.Errorf("%+v", p)
	}
}
