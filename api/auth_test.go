package api

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/detourhq/detour"
)

func TestAuth(t *testing.T) {
	e := newEnv(t, nil)
	id, _, _ := detour.ParseAPIKey(e.keyA)
	wrongSecret := e.keyA[:len(e.keyA)-1] + map[bool]string{true: "B", false: "A"}[strings.HasSuffix(e.keyA, "A")]
	unknownID := "dtr_" + strings.Repeat("0", 26) + e.keyA[len("dtr_")+26:]
	cases := map[string]string{
		"no header":        "",
		"not bearer":       "Basic " + e.keyA,
		"bearer only":      "Bearer ",
		"malformed key":    "Bearer dtr_nope",
		"wrong secret":     "Bearer " + wrongSecret,
		"unknown key":      "Bearer " + unknownID,
		"lowercase prefix": "Bearer " + strings.Replace(e.keyA, "dtr_", "DTR_", 1),
	}
	for name, h := range cases {
		t.Run(name, func(t *testing.T) {
			req := newRequest("GET", "/v1/messages", "", "")
			if h != "" {
				req.Header.Set("Authorization", h)
			}
			w := serve(e, req)
			problemOf(t, w, 401, detour.CodeUnauthorized)
			if !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate %q", w.Header().Get("WWW-Authenticate"))
			}
		})
	}
	// The scheme is case-insensitive.
	req := newRequest("GET", "/v1/messages", "", "")
	req.Header.Set("Authorization", "bearer "+e.keyA)
	if w := serve(e, req); w.Code != 200 {
		t.Errorf("lowercase scheme: %d", w.Code)
	}
	_ = id
}

func TestAuthEveryV1Route(t *testing.T) {
	e := newEnv(t, nil)
	for _, op := range e.srv.ops {
		path := strings.ReplaceAll(op.path, "{id}", "msg_00000000000000000000000000")
		w := e.do(request{method: op.method, path: path})
		if op.auth {
			problemOf(t, w, 401, detour.CodeUnauthorized)
		} else if w.Code != 200 {
			t.Errorf("%s without a key: %d", op.pattern(), w.Code)
		}
		if strings.HasPrefix(op.path, "/v1/") && op.path != "/v1/openapi.json" && !op.auth {
			t.Errorf("%s must need a key", op.pattern())
		}
	}
}

func TestKeyCacheAndRevocation(t *testing.T) {
	e := newEnv(t, nil)
	get := func(key string) int {
		return e.do(request{method: "GET", path: "/v1/messages", key: key}).Code
	}
	if get(e.keyA) != 200 || get(e.keyA) != 200 {
		t.Fatal("valid key refused")
	}
	if n := e.keys.count(); n != 1 {
		t.Errorf("lookups %d, want 1 (cached)", n)
	}
	e.keys.revoke(e.keyAID, t0)
	if get(e.keyA) != 200 {
		t.Error("a revocation applies once the cache entry expires, not before")
	}
	e.clock.Advance(DefaultKeyCacheTTL)
	if get(e.keyA) != 401 {
		t.Error("a revoked key works after the cache TTL")
	}

	// Unknown ids are remembered briefly too.
	unknown := "dtr_" + strings.Repeat("1", 26) + e.keyA[len("dtr_")+26:]
	before := e.keys.count()
	get(unknown)
	get(unknown)
	if e.keys.count() != before+1 {
		t.Errorf("negative result not cached: %d lookups", e.keys.count()-before)
	}
	e.clock.Advance(DefaultKeyCacheTTL / 5)
	get(unknown)
	if e.keys.count() != before+2 {
		t.Errorf("negative result cached too long")
	}
}

func TestRevokedInTheFuture(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.KeyCacheTTL = time.Millisecond })
	e.keys.revoke(e.keyAID, t0.Add(time.Hour))
	if w := e.do(request{method: "GET", path: "/v1/messages", key: e.keyA}); w.Code != 200 {
		t.Errorf("a key revoked from a later time still works now: %d", w.Code)
	}
	e.clock.Advance(time.Hour)
	problemOf(t, e.do(request{method: "GET", path: "/v1/messages", key: e.keyA}), 401, detour.CodeUnauthorized)
}

func TestKeyStoreDown(t *testing.T) {
	e := newEnv(t, nil)
	e.keys.err = detour.Errorf(detour.CodeUnavailable, "store closed")
	problemOf(t, e.do(request{method: "GET", path: "/v1/messages", key: e.keyA}), 503, detour.CodeUnavailable)
	e.keys.err = errString("connection refused")
	problemOf(t, e.do(request{method: "GET", path: "/v1/messages", key: e.keyA}), 500, detour.CodeInternal)
	e.keys.err = nil
	if w := e.do(request{method: "GET", path: "/v1/messages", key: e.keyA}); w.Code != 200 {
		t.Errorf("errors are not cached: %d", w.Code)
	}
}

func TestKeyCacheIsBounded(t *testing.T) {
	e := newEnv(t, nil)
	c := e.srv.keys
	for i := 0; i < maxCachedKeys+10; i++ {
		c.store(detour.NewIDSource(e.clock.Now, nil).New("key_"), nil, e.clock.Now())
	}
	if n := len(c.entries); n > maxCachedKeys {
		t.Errorf("%d entries", n)
	}
}

func TestSecretsNeverLeak(t *testing.T) {
	e := newEnv(t, nil)
	malformed := "dtr_" + strings.Repeat("Z", 26) + "_" + "s3cr3t-not-a-real-key-but-still-secret-value"
	headers := []string{"Bearer " + e.keyA, "Bearer " + malformed, "Bearer " + e.keyA + "x", "Token " + e.keyA}
	var bodies strings.Builder
	for _, h := range headers {
		for _, r := range []request{
			{method: "GET", path: "/v1/messages"},
			{method: "POST", path: "/v1/messages", body: `{"to":5}`},
			{method: "POST", path: "/v1/messages", body: validBody},
			{method: "GET", path: "/v1/messages/msg_00000000000000000000000000"},
			{method: "DELETE", path: "/v1/messages"},
		} {
			r.header = map[string]string{"Authorization": h}
			w := e.do(r)
			bodies.WriteString(w.Body.String())
			for k, vs := range w.Header() {
				bodies.WriteString(k + strings.Join(vs, ","))
			}
		}
	}
	// Also an internal error.
	e.svc.err = errString("internal failure")
	bodies.WriteString(e.do(request{method: "GET", path: "/v1/messages", key: e.keyA}).Body.String())

	logs := e.logs.String()
	if !strings.Contains(logs, "http request") {
		t.Fatal("no request logs to check")
	}
	secretPart := e.keyA[len("dtr_")+27:]
	for _, secret := range []string{e.keyA, secretPart, malformed, "s3cr3t", "Bearer"} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain %q", secret)
		}
		if secret != "Bearer" && strings.Contains(bodies.String(), secret) {
			t.Errorf("responses contain %q", secret)
		}
	}
	if http.CanonicalHeaderKey("www-authenticate") != "Www-Authenticate" {
		t.Fatal("header key")
	}
}
