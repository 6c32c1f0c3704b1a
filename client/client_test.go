package client_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/client"
)

func TestSendIdempotent(t *testing.T) {
	srv, key := newTestServer()
	defer srv.Close()
	c := client.New(srv.URL+"/", key) // a trailing slash is fine
	ctx := context.Background()
	req := &detour.SendRequest{To: "+447400123456", Content: detour.Content{Text: "hi"}, ClientRef: "r1"}
	a, err := c.Send(ctx, req, "k1")
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Send(ctx, req, "k1")
	if err != nil || b.ID != a.ID {
		t.Fatalf("replay: %v %v", b, err)
	}
	d, err := c.Send(ctx, req, "")
	if err != nil || d.ID == a.ID || d.ClientRef != "r1" {
		t.Fatalf("no key: %v %v", d, err)
	}
}

func TestErrors(t *testing.T) {
	srv, key := newTestServer()
	defer srv.Close()
	ctx := context.Background()

	_, err := client.New(srv.URL, "dtr_wrong").Messages(ctx, client.ListOptions{})
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Status != 401 || ce.Code() != "unauthorized" {
		t.Fatalf("%v", err)
	}
	if strings.Contains(err.Error(), "dtr_wrong") {
		t.Error("the key is echoed")
	}
	if !strings.HasPrefix(err.Error(), "detour: 401 unauthorized") {
		t.Errorf("Error() = %q", err.Error())
	}

	c := client.New(srv.URL, key)
	_, err = c.Message(ctx, "msg_00000000000000000000000000")
	if !errors.As(err, &ce) || ce.Status != 404 || ce.Problem.Code != "not_found" {
		t.Fatalf("%v", err)
	}
	// Ids are escaped into the path.
	_, err = c.Message(ctx, "../../healthz")
	if !errors.As(err, &ce) || ce.Status != 404 {
		t.Fatalf("%v", err)
	}
	_, err = c.Messages(ctx, client.ListOptions{Status: "lost"})
	if !errors.As(err, &ce) || ce.Status != 400 || ce.Problem.Field != "status" || !strings.Contains(err.Error(), "(status)") {
		t.Fatalf("%v", err)
	}
}

func TestNonProblemAnswers(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz":
			w.Header().Set("Retry-After", "7")
			http.Error(w, "<html>bad gateway</html>", http.StatusBadGateway)
		default:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(200)
			_, _ = w.Write([]byte("{not json"))
		}
	}))
	defer ts.Close()
	c := client.New(ts.URL, "k")
	err := c.Health(context.Background())
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Status != 502 || ce.Code() != "" || ce.RetryAfter != 7*time.Second {
		t.Fatalf("%#v", err)
	}
	if err.Error() != "detour: 502 bad gateway" {
		t.Errorf("Error() = %q", err.Error())
	}
	if _, err := c.Message(context.Background(), "x"); err == nil || errors.As(err, &ce) {
		t.Errorf("a broken success body is a decoding error: %v", err)
	}
}

func TestRequestShape(t *testing.T) {
	var got *http.Request
	var body string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		b := new(strings.Builder)
		_, _ = io.Copy(b, r.Body)
		body = b.String()
		w.Header().Set("Content-Type", "application/json")
		if r.Method == "POST" && r.URL.Path == "/v1/messages" {
			w.WriteHeader(202)
		}
		_, _ = w.Write([]byte(`{"id":"msg_x","status":"queued","data":[]}`))
	}))
	defer ts.Close()
	hc := &http.Client{Timeout: time.Second}
	c := client.New(ts.URL, "the-key", client.WithHTTPClient(hc))
	ctx := context.Background()

	if _, err := c.Send(ctx, &detour.SendRequest{To: "+1", Content: detour.Content{Text: "x"}}, "idem-1"); err != nil {
		t.Fatal(err)
	}
	if got.Header.Get("Authorization") != "Bearer the-key" || got.Header.Get("Content-Type") != "application/json" ||
		got.Header.Get("Idempotency-Key") != "idem-1" || body != `{"to":"+1","content":{"text":"x"}}` {
		t.Errorf("send request: %v %s", got.Header, body)
	}

	after := time.Date(2025, 3, 1, 12, 0, 0, 500, time.FixedZone("x", 3600))
	if _, err := c.Messages(ctx, client.ListOptions{Status: "queued", To: "+44 1", ClientRef: "a&b", CreatedAfter: after,
		CreatedBefore: after.Add(time.Hour), Limit: 10, Cursor: "c1"}); err != nil {
		t.Fatal(err)
	}
	q := got.URL.Query()
	want := url.Values{"status": {"queued"}, "to": {"+44 1"}, "client_ref": {"a&b"}, "created_after": {"2025-03-01T11:00:00.0000005Z"},
		"created_before": {"2025-03-01T12:00:00.0000005Z"}, "limit": {"10"}, "cursor": {"c1"}}
	if q.Encode() != want.Encode() {
		t.Errorf("query %s, want %s", q.Encode(), want.Encode())
	}
	if _, err := c.Messages(ctx, client.ListOptions{}); err != nil || got.URL.RawQuery != "" {
		t.Errorf("empty options: %q %v", got.URL.RawQuery, err)
	}
	if _, err := c.Cancel(ctx, "msg_1"); err != nil || got.Method != "POST" || got.URL.Path != "/v1/messages/msg_1/cancel" {
		t.Errorf("cancel: %s %s %v", got.Method, got.URL.Path, err)
	}
}

func TestHealthAndContext(t *testing.T) {
	srv, key := newTestServer()
	defer srv.Close()
	c := client.New(srv.URL, key)
	if err := c.Health(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Health(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled context: %v", err)
	}
	if err := client.New("http://127.0.0.1:1", key).Health(context.Background()); err == nil {
		t.Error("no server, no error")
	}
}
