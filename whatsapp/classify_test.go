package whatsapp

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/detourhq/detour"
)

// TestClassifyErrorBodies drives every row of the table with a saved
// Graph error body behind a real HTTP server.
func TestClassifyErrorBodies(t *testing.T) {
	P, R := detour.Permanent, detour.Retryable
	tests := []struct {
		code     int
		status   int
		result   detour.Result
		reason   detour.Code
		unusable bool
		slowDown bool
	}{
		{0, 401, P, detour.ReasonRejected, true, false},
		{3, 500, P, detour.ReasonRejected, true, false},
		{10, 403, P, detour.ReasonRejected, true, false},
		{190, 401, P, detour.ReasonRejected, true, false},
		{200, 403, P, detour.ReasonRejected, true, false},
		{368, 403, P, detour.ReasonRejected, true, false},
		{131031, 403, P, detour.ReasonRejected, true, false},
		{4, 429, R, detour.ReasonThrottled, false, true},
		{17, 429, R, detour.ReasonThrottled, false, true},
		{80007, 429, R, detour.ReasonThrottled, false, true},
		{130429, 400, R, detour.ReasonThrottled, false, true},
		{131048, 400, R, detour.ReasonThrottled, false, true},
		{131056, 400, R, detour.ReasonThrottled, false, true},
		{131047, 400, P, detour.ReasonOutsideWindow, false, false},
		{131026, 400, P, detour.ReasonInvalidRecipient, false, false},
		{2, 503, R, detour.ReasonProviderError, false, false},
		{131000, 500, R, detour.ReasonProviderError, false, false},
		{131016, 503, R, detour.ReasonProviderError, false, false},
		{100, 400, P, detour.ReasonRejected, false, false},
		{131008, 400, P, detour.ReasonRejected, false, false},
		{131009, 400, P, detour.ReasonRejected, false, false},
		{132000, 400, P, detour.ReasonRejected, false, false},
		{132001, 404, P, detour.ReasonRejected, false, false},
		{132016, 400, P, detour.ReasonRejected, false, false},
		{999999, 400, P, detour.ReasonRejected, false, false},
		{999999, 502, R, detour.ReasonProviderError, false, false},
		{999999, 429, R, detour.ReasonThrottled, false, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d/%d", tt.code, tt.status), func(t *testing.T) {
			g := newGraph(t, tt.status, readTestdata(t, fmt.Sprintf("error_%d.json", tt.code)))
			c, err := NewClient(testConfig(g.URL, nil))
			if err != nil {
				t.Fatal(err)
			}
			out, v := c.Submit(context.Background(), testPNID, &detour.Send{AttemptID: "att_1", To: "+16505551234", Content: &detour.Content{Text: "hi"}})
			if out.Result != tt.result || out.Reason != tt.reason || v.RouteUnusable != tt.unusable || v.SlowDown != tt.slowDown {
				t.Errorf("outcome %+v verdict %+v, want %s %s unusable=%v slowdown=%v", out, v, tt.result, tt.reason, tt.unusable, tt.slowDown)
			}
			if out.Route != "main" || !strings.Contains(out.Detail, fmt.Sprintf("graph error %d", tt.code)) {
				t.Errorf("route %q detail %q", out.Route, out.Detail)
			}
		})
	}
}

func TestClassifyWithoutAGraphBody(t *testing.T) {
	tests := []struct {
		status int
		body   string
		result detour.Result
		reason detour.Code
	}{
		{502, "<html>Bad Gateway</html>", detour.Retryable, detour.ReasonProviderError},
		{429, "", detour.Retryable, detour.ReasonThrottled},
		{401, "", detour.Permanent, detour.ReasonRejected},
		{404, "not found", detour.Permanent, detour.ReasonRejected},
		{200, `{"messaging_product":"whatsapp","messages":[]}`, detour.Retryable, detour.ReasonProviderError},
		{200, `not json`, detour.Retryable, detour.ReasonProviderError},
	}
	for _, tt := range tests {
		g := newGraph(t, tt.status, []byte(tt.body))
		c, _ := NewClient(testConfig(g.URL, nil))
		out := c.Send(context.Background(), testPNID, &detour.Send{To: "+16505551234", Content: &detour.Content{Text: "hi"}})
		if out.Result != tt.result || out.Reason != tt.reason {
			t.Errorf("HTTP %d %q: %+v, want %s %s", tt.status, tt.body, out, tt.result, tt.reason)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	g := newGraph(t, 429, readTestdata(t, "error_130429.json"))
	g.header.Set("Retry-After", "7")
	c, _ := NewClient(testConfig(g.URL, nil))
	out := c.Send(context.Background(), testPNID, &detour.Send{To: "+16505551234", Content: &detour.Content{Text: "hi"}})
	if out.RetryAfter != 7*time.Second {
		t.Errorf("RetryAfter %v, want 7s", out.RetryAfter)
	}
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	if d := retryAfter(now.Add(90*time.Second).Format(http.TimeFormat), now); d != 90*time.Second {
		t.Errorf("HTTP date: %v", d)
	}
	for _, h := range []string{"", "-3", "soon", "99999999"} {
		if d := retryAfter(h, now); d < 0 || d > time.Hour {
			t.Errorf("%q: %v", h, d)
		}
	}
}

func TestTransportFailures(t *testing.T) {
	// A server that never answers in time.
	done := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-done:
		}
	}))
	defer slow.Close()
	defer close(done)
	c, _ := NewClient(testConfig(slow.URL, nil))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	out := c.Send(ctx, testPNID, &detour.Send{To: "+16505551234", Content: &detour.Content{Text: "hi"}})
	if out.Result != detour.Retryable || out.Reason != detour.ReasonTimeout {
		t.Errorf("timeout: %+v", out)
	}

	// A server that is gone.
	gone := httptest.NewServer(http.NotFoundHandler())
	url := gone.URL
	gone.Close()
	c, _ = NewClient(testConfig(url, nil))
	out = c.Send(context.Background(), testPNID, &detour.Send{To: "+16505551234", Content: &detour.Content{Text: "hi"}})
	if out.Result != detour.Retryable || out.Reason != detour.ReasonUnreachable {
		t.Errorf("refused: %+v", out)
	}
}

func TestReceiptReason(t *testing.T) {
	for code, want := range map[int]detour.Code{
		131047: detour.ReasonOutsideWindow,
		131026: detour.ReasonInvalidRecipient,
		130429: detour.ReasonThrottled,
		132001: detour.ReasonRejected,
		131049: detour.ReasonUndeliverable,
		0:      detour.ReasonRejected,
	} {
		if got := ReceiptReason(code); got != want {
			t.Errorf("ReceiptReason(%d) = %s, want %s", code, got, want)
		}
	}
}
