package api

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/detourhq/detour"
)

func TestUnknownRouteAndMethod(t *testing.T) {
	e := newEnv(t, nil)
	for _, path := range []string{"/", "/v1", "/v2/messages", "/v1/messages/msg_1/retry", "/v1/messages/"} {
		p := problemOf(t, e.do(request{method: "GET", path: path, key: e.keyA}), 404, detour.CodeNotFound)
		if p.Detail == "" {
			t.Error("no detail")
		}
	}
	w := e.do(request{method: "DELETE", path: "/v1/messages", key: e.keyA})
	problemOf(t, w, 405, codeMethodNotAllowed)
	if allow := w.Header().Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "POST") {
		t.Errorf("Allow %q", allow)
	}
	problemOf(t, e.do(request{method: "GET", path: "/v1/messages/msg_00000000000000000000000000/cancel", key: e.keyA}), 405, codeMethodNotAllowed)
	problemOf(t, e.do(request{method: "POST", path: "/healthz"}), 405, codeMethodNotAllowed)
	if w.Header().Get("X-Content-Type-Options") != "" {
		t.Error("leftover header from the mux's plain-text error")
	}
}

func TestHealthAndReadiness(t *testing.T) {
	e := newEnv(t, nil)
	for _, path := range []string{"/healthz", "/readyz"} {
		w := e.do(request{method: "GET", path: path})
		if w.Code != 200 || strings.TrimSpace(w.Body.String()) != `{"status":"ok"}` {
			t.Errorf("%s: %d %s", path, w.Code, w.Body)
		}
	}
	e.ready = errors.New("database is locked: /var/lib/detour")
	p := problemOf(t, e.do(request{method: "GET", path: "/readyz"}), 503, detour.CodeUnavailable)
	if strings.Contains(p.Detail, "locked") {
		t.Errorf("the reason is logged, not shown: %q", p.Detail)
	}
	if !strings.Contains(e.logs.String(), "database is locked") {
		t.Error("the reason is logged")
	}
	if w := e.do(request{method: "GET", path: "/healthz"}); w.Code != 200 {
		t.Errorf("healthz while not ready: %d", w.Code)
	}
}

func TestMetrics(t *testing.T) {
	e := newEnv(t, nil)
	e.send(validBody)
	e.do(request{method: "POST", path: "/v1/messages", key: e.keyA, body: validBody, header: map[string]string{"Idempotency-Key": "x"}})
	e.do(request{method: "POST", path: "/v1/messages", key: e.keyA, body: validBody, header: map[string]string{"Idempotency-Key": "x"}})
	e.do(request{method: "GET", path: "/nope"})
	e.do(request{method: "GET", path: "/v1/messages"})

	if n := counterValue(t, e.srv.metrics.accepted); n != 2 {
		t.Errorf("accepted %v, want 2 (replays not counted)", n)
	}
	for _, c := range []struct {
		route, code string
		want        float64
	}{
		{"POST /v1/messages", "202", 3},
		{"unmatched", "404", 1},
		{"GET /v1/messages", "401", 1},
	} {
		if got := counterValue(t, e.srv.metrics.requests.WithLabelValues(c.route, c.code)); got != c.want {
			t.Errorf("%s %s: %v, want %v", c.route, c.code, got, c.want)
		}
	}
	w := e.do(request{method: "GET", path: "/metrics"})
	body := w.Body.String()
	for _, name := range []string{"detour_http_requests_total", "detour_http_request_duration_seconds_bucket", "detour_messages_accepted_total"} {
		if !strings.Contains(body, name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	if !strings.Contains(body, `route="POST /v1/messages"`) {
		t.Error("route label")
	}
}

func TestRegistryConflict(t *testing.T) {
	e := newEnv(t, nil)
	if _, err := New(Config{Messages: e.svc, Keys: e.keys, Registry: e.reg}); err == nil {
		t.Error("registering twice on one registry must fail, not panic")
	}
	if _, err := New(Config{Keys: e.keys}); err == nil {
		t.Error("Messages is required")
	}
	if _, err := New(Config{Messages: e.svc}); err == nil {
		t.Error("Keys is required")
	}
}

func TestRequestLogs(t *testing.T) {
	e := newEnv(t, nil)
	e.do(request{method: "GET", path: "/v1/messages", key: e.keyA})
	logs := e.logs.String()
	for _, want := range []string{`"level":"DEBUG"`, `"method":"GET"`, `"route":"GET /v1/messages"`, `"status":200`, `"duration"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %s: %s", want, logs)
		}
	}
}

// counterValue reads a counter.
func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// TestConcurrentRequests gives the race detector the shared parts: the key
// cache, the rate limiter, the metrics and the pooled buffers.
func TestConcurrentRequests(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.KeyCacheTTL = time.Nanosecond })
	done := make(chan struct{})
	for g := 0; g < 4; g++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := 0; i < 50; i++ {
				key := e.keyA
				if i%2 == 1 {
					key = e.keyB
				}
				if w := e.do(request{method: "POST", path: "/v1/messages", key: key, body: validBody}); w.Code != 202 {
					t.Errorf("%d %s", w.Code, w.Body)
					return
				}
				e.do(request{method: "GET", path: "/v1/messages?limit=5", key: key})
				e.clock.Advance(time.Millisecond)
			}
		}()
	}
	for g := 0; g < 4; g++ {
		<-done
	}
}
