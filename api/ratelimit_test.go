package api

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/detourhq/detour"
)

func TestRateLimit(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.RateLimit = 2; c.RateBurst = 3 })
	get := func(key string) *httptestRecorder {
		return e.do(request{method: "GET", path: "/v1/messages", key: key})
	}
	for i := 0; i < 3; i++ {
		if w := get(e.keyA); w.Code != 200 {
			t.Fatalf("request %d within the burst: %d", i, w.Code)
		}
	}
	w := get(e.keyA)
	problemOf(t, w, 429, detour.CodeRateLimited)
	if ra := w.Header().Get("Retry-After"); ra != "1" {
		t.Errorf("Retry-After %q, want 1", ra)
	}
	// Another key has its own bucket.
	if w := get(e.keyB); w.Code != 200 {
		t.Errorf("tenant b: %d", w.Code)
	}
	// Half a second refills one token at 2/s.
	e.clock.Advance(500 * time.Millisecond)
	if w := get(e.keyA); w.Code != 200 {
		t.Errorf("after refill: %d", w.Code)
	}
	problemOf(t, get(e.keyA), 429, detour.CodeRateLimited)
	// A long pause refills the bucket to its burst, no more.
	e.clock.Advance(time.Hour)
	for i := 0; i < 3; i++ {
		if w := get(e.keyA); w.Code != 200 {
			t.Fatalf("after pause, request %d: %d", i, w.Code)
		}
	}
	problemOf(t, get(e.keyA), 429, detour.CodeRateLimited)
	// Unauthenticated routes are not limited.
	for i := 0; i < 10; i++ {
		if w := e.do(request{method: "GET", path: "/healthz"}); w.Code != 200 {
			t.Fatal(w.Code)
		}
	}
}

func TestRateLimitPerKeyOverride(t *testing.T) {
	e := newEnv(t, nil)
	ids := detour.NewIDSource(e.clock.Now, nil)
	plain, k := detour.NewAPIKey(ids, t0)
	k.RateLimit = 0.1 // one every 10 s, burst 1
	_ = e.keys.CreateAPIKey(context.Background(), "slow", k)
	if w := e.do(request{method: "GET", path: "/v1/messages", key: plain}); w.Code != 200 {
		t.Fatal(w.Code)
	}
	w := e.do(request{method: "GET", path: "/v1/messages", key: plain})
	problemOf(t, w, 429, detour.CodeRateLimited)
	if ra, _ := strconv.Atoi(w.Header().Get("Retry-After")); ra != 10 {
		t.Errorf("Retry-After %d, want 10", ra)
	}
	e.clock.Advance(10 * time.Second)
	if w := e.do(request{method: "GET", path: "/v1/messages", key: plain}); w.Code != 200 {
		t.Errorf("after 10 s: %d", w.Code)
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	for _, c := range []struct {
		wait time.Duration
		want int64
	}{{0, 1}, {time.Millisecond, 1}, {time.Second, 1}, {1001 * time.Millisecond, 2}, {90 * time.Second, 90}} {
		if got := retryAfterSeconds(c.wait); got != c.want {
			t.Errorf("%s: %d, want %d", c.wait, got, c.want)
		}
	}
}
