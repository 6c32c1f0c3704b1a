package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/detourhq/detour"
)

// TestExtras serves endpoints added through Config.Extras with the API's
// own authentication, body rules and problems, and keeps them out of the
// OpenAPI document.
func TestExtras(t *testing.T) {
	type modeBody struct {
		Mode string `json:"mode"`
	}
	e := newEnv(t, func(c *Config) {
		c.Extras = []Extra{
			{Method: http.MethodGet, Path: "/v1/toys/{name}", Handle: func(r *http.Request, _ func(any) error) (any, error) {
				if r.PathValue("name") == "broken" {
					return nil, errors.New("the toy fell apart at 0xdeadbeef")
				}
				return map[string]string{"name": r.PathValue("name")}, nil
			}},
			{Method: http.MethodPost, Path: "/v1/toys/{name}", Handle: func(r *http.Request, decode func(any) error) (any, error) {
				var b modeBody
				if err := decode(&b); err != nil {
					return nil, err
				}
				if b.Mode != "on" && b.Mode != "off" {
					return nil, detour.FieldErrorf(detour.CodeInvalidRequest, "mode", "mode must be on or off")
				}
				return b, nil
			}},
		}
	})
	w := e.do(request{method: "GET", path: "/v1/toys/robot", key: e.keyA})
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != ctJSON || strings.TrimSpace(w.Body.String()) != `{"name":"robot"}` {
		t.Fatalf("get: %d %s", w.Code, w.Body)
	}
	problemOf(t, e.do(request{method: "GET", path: "/v1/toys/robot"}), http.StatusUnauthorized, detour.CodeUnauthorized)
	problemOf(t, e.do(request{method: "GET", path: "/v1/toys/robot", key: "dtr_nope_nope"}), http.StatusUnauthorized, detour.CodeUnauthorized)
	if p := problemOf(t, e.do(request{method: "GET", path: "/v1/toys/broken", key: e.keyA}), http.StatusInternalServerError, detour.CodeInternal); strings.Contains(p.Detail, "deadbeef") {
		t.Fatalf("an internal error reached the caller: %+v", p)
	}
	if !strings.Contains(e.logs.String(), "deadbeef") {
		t.Fatal("an internal error was not logged")
	}

	w = e.do(request{method: "POST", path: "/v1/toys/robot", key: e.keyA, body: `{"mode":"on"}`})
	if w.Code != http.StatusOK || strings.TrimSpace(w.Body.String()) != `{"mode":"on"}` {
		t.Fatalf("post: %d %s", w.Code, w.Body)
	}
	for _, tc := range []struct {
		body   string
		header map[string]string
		status int
		code   detour.Code
	}{
		{`{"mode":"sideways"}`, nil, 400, detour.CodeInvalidRequest},
		{`{"mode":"on","speed":3}`, nil, 400, detour.CodeUnknownField},
		{`{"mode":3}`, nil, 400, detour.CodeInvalidType},
		{`{"mode":"on"} {}`, nil, 400, detour.CodeMalformedJSON},
		{`[]`, nil, 400, detour.CodeMalformedJSON},
		{`{"mode":"on"}`, map[string]string{"Content-Type": "text/plain"}, 415, detour.CodeUnsupportedMedia},
		{`{"mode":"` + strings.Repeat("x", DefaultMaxBodyBytes) + `"}`, nil, 413, detour.CodeBodyTooLarge},
	} {
		p := problemOf(t, e.do(request{method: "POST", path: "/v1/toys/robot", key: e.keyA, body: tc.body, header: tc.header}), tc.status, tc.code)
		if tc.code == detour.CodeInvalidRequest && p.Field != "mode" {
			t.Errorf("%s: problem %+v does not name the field", tc.body, p)
		}
	}
	problemOf(t, e.do(request{method: "DELETE", path: "/v1/toys/robot", key: e.keyA}), http.StatusMethodNotAllowed, codeMethodNotAllowed)

	var doc struct {
		Paths map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(e.srv.openapi, &doc); err != nil {
		t.Fatal(err)
	}
	if _, ok := doc.Paths["/v1/toys/{name}"]; ok {
		t.Fatal("an extra is in the OpenAPI document")
	}
}

func TestExtrasRefused(t *testing.T) {
	h := func(*http.Request, func(any) error) (any, error) { return nil, nil }
	for _, x := range []Extra{
		{Method: http.MethodDelete, Path: "/v1/toys", Handle: h},
		{Method: http.MethodGet, Path: "/toys", Handle: h},
		{Method: http.MethodGet, Path: "/v1/toys"},
		{Method: http.MethodGet, Path: "/v1/messages/{id}", Handle: h}, // clashes
	} {
		cfg := Config{Messages: newFakeService(detour.SystemClock{}), Keys: &fakeKeys{}, Extras: []Extra{x}}
		if _, err := New(cfg); err == nil {
			t.Errorf("%s %s: accepted", x.Method, x.Path)
		}
	}
}
