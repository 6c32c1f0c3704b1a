package whatsapp

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"

	"github.com/detourhq/detour"
)

const (
	testToken       = "EAAGtokenSECRETvalue0123456789"
	testAppSecret   = "appsecret-0f1e2d3c4b5a69788796"
	testVerifyToken = "verify-me-7c1d"
	testPNID        = "106540352242922"
	testPNID2       = "106540352242923"
)

func testConfig(baseURL string, logs io.Writer) Config {
	cfg := Config{
		BaseURL:     baseURL,
		Token:       testToken,
		AppSecret:   testAppSecret,
		VerifyToken: testVerifyToken,
		Numbers: []Number{
			{Name: "main", PhoneNumberID: testPNID},
			{Name: "support", PhoneNumberID: testPNID2},
		},
	}
	if logs != nil {
		cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return cfg
}

// recorded is one request the fake Graph API received.
type recorded struct {
	Method, Path string
	Header       http.Header
	Body         []byte
}

// graph is a fake Graph API: it records requests and answers with the
// given status, headers and body.
type graph struct {
	*httptest.Server
	mu       sync.Mutex
	requests []recorded
	status   int
	header   http.Header
	body     []byte
}

func newGraph(t *testing.T, status int, body []byte) *graph {
	g := &graph{status: status, body: body, header: http.Header{}}
	g.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		g.mu.Lock()
		g.requests = append(g.requests, recorded{r.Method, r.URL.Path, r.Header.Clone(), b})
		g.mu.Unlock()
		for k, v := range g.header {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(g.status)
		w.Write(g.body)
	}))
	t.Cleanup(g.Close)
	return g
}

func (g *graph) last(t *testing.T) recorded {
	t.Helper()
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.requests) == 0 {
		t.Fatal("no request reached the Graph API")
	}
	return g.requests[len(g.requests)-1]
}

const okResponse = `{"messaging_product":"whatsapp","contacts":[{"input":"16505551234","wa_id":"16505551234"}],"messages":[{"id":"wamid.HBgLMTY1MDUwNzY1MjAVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA"}]}`

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "whatsapp", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// jsonEqual compares two JSON documents structurally.
func jsonEqual(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad expectation: %v", err)
	}
	if !reflect.DeepEqual(g, w) {
		var a, b bytes.Buffer
		json.Indent(&a, got, "", "  ")
		json.Indent(&b, []byte(want), "", "  ")
		t.Errorf("body:\n%s\nwant:\n%s", a.String(), b.String())
	}
}

// sinks records what the webhook handler hands over.
type sinks struct {
	mu       sync.Mutex
	receipts []detour.Receipt
	inbound  []detour.Inbound
	err      error
}

func (s *sinks) Receipt(_ context.Context, r detour.Receipt) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	s.receipts = append(s.receipts, r)
	return nil
}

func (s *sinks) Inbound(_ context.Context, in *detour.Inbound) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	s.inbound = append(s.inbound, *in)
	return nil
}

func (s *sinks) calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.receipts) + len(s.inbound)
}
