package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/config"
	"github.com/detourhq/detour/logtest"
	"github.com/detourhq/detour/server"
	"github.com/detourhq/detour/sqlite"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type node struct {
	t    *testing.T
	srv  *server.Server
	base string
	dir  string
	logs *logtest.Buffer
}

func start(t *testing.T, tune func(*config.Config)) *node {
	t.Helper()
	dir := t.TempDir()
	cfg, err := config.Load("", nil, map[string]any{"server.addr": "127.0.0.1:0", "server.data": dir})
	if err != nil {
		t.Fatal(err)
	}
	if tune != nil {
		tune(&cfg)
	}
	logs := &logtest.Buffer{}
	srv, err := server.New(context.Background(), cfg, server.Options{Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	n := &node{t: t, srv: srv, base: "http://" + srv.Addr(), dir: dir, logs: logs}
	t.Cleanup(func() { n.stop() })
	return n
}

func (n *node) stop() {
	if err := n.srv.Stop(context.Background()); err != nil {
		n.t.Error(err)
	}
}

func (n *node) key(tenant string) string {
	n.t.Helper()
	k, _, err := server.CreateKey(context.Background(), n.srv.Store(), tenant, time.Now())
	if err != nil {
		n.t.Fatal(err)
	}
	return k
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (n *node) do(method, path, key, body string, header ...string) reply {
	n.t.Helper()
	req, err := http.NewRequest(method, n.base+path, strings.NewReader(body))
	if err != nil {
		n.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		n.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

func (n *node) count(tenant string) int {
	n.t.Helper()
	// Straight from the store: what the API says is not the proof here.
	db := n.srv.Store()
	page, err := db.Messages(context.Background(), detour.MessageFilter{TenantID: tenant, Limit: 500})
	if err != nil {
		n.t.Fatal(err)
	}
	return len(page.Messages)
}

const good = `{"to":"+447400123456","content":{"text":"hi"}}`

func TestEveryBadInputHasItsCodeAndStoresNothing(t *testing.T) {
	n := start(t, nil)
	key := n.key("acme")
	other := n.key("globex")
	r := n.do("POST", "/v1/messages", other, good)
	if r.status != 202 {
		t.Fatalf("globex send: %d %s", r.status, r.raw)
	}
	othersID := r.body["id"].(string)
	k, _, _ := detour.ParseAPIKey(key)
	tenant, _ := n.srv.Store().APIKey(context.Background(), k)

	big := `{"to":"+447400123456","content":{"text":"` + strings.Repeat("x", 70<<10) + `"}}`
	for _, tc := range []struct {
		name, method, path, key, body string
		header                        []string
		status                        int
		code                          detour.Code
	}{
		{"malformed json", "POST", "/v1/messages", key, `{"to":`, nil, 400, detour.CodeMalformedJSON},
		{"not an object", "POST", "/v1/messages", key, `[1,2]`, nil, 400, detour.CodeMalformedJSON},
		{"wrong type", "POST", "/v1/messages", key, `{"to":447400123456,"content":{"text":"hi"}}`, nil, 400, detour.CodeInvalidType},
		{"wrong nested type", "POST", "/v1/messages", key, `{"to":"+447400123456","content":{"text":["hi"]}}`, nil, 400, detour.CodeInvalidType},
		{"unknown field", "POST", "/v1/messages", key, `{"to":"+447400123456","content":{"text":"hi"},"colour":"red"}`, nil, 400, detour.CodeUnknownField},
		{"missing to", "POST", "/v1/messages", key, `{"content":{"text":"hi"}}`, nil, 422, detour.CodeMissingField},
		{"not e164", "POST", "/v1/messages", key, `{"to":"07400 123456","content":{"text":"hi"}}`, nil, 422, detour.CodeInvalidRecipient},
		{"invalid number", "POST", "/v1/messages", key, `{"to":"+447700900123","content":{"text":"hi"}}`, nil, 422, detour.CodeInvalidRecipient},
		{"empty content", "POST", "/v1/messages", key, `{"to":"+447400123456","content":{}}`, nil, 422, detour.CodeEmptyContent},
		{"blank text", "POST", "/v1/messages", key, `{"to":"+447400123456","content":{"text":"  "}}`, nil, 422, detour.CodeEmptyContent},
		{"unknown channel", "POST", "/v1/messages", key, `{"to":"+447400123456","content":{"text":"hi"},"channels":[{"channel":"telegraph"}]}`, nil, 422, detour.CodeUnknownChannel},
		{"unknown route", "POST", "/v1/messages", key, `{"to":"+447400123456","content":{"text":"hi"},"channels":[{"channel":"sandbox","route":"nowhere"}]}`, nil, 422, detour.CodeUnknownRoute},
		{"bad duration", "POST", "/v1/messages", key, `{"to":"+447400123456","content":{"text":"hi"},"validity":"soon"}`, nil, 400, detour.CodeInvalidRequest},
		{"oversized body", "POST", "/v1/messages", key, big, nil, 413, detour.CodeBodyTooLarge},
		{"not json", "POST", "/v1/messages", key, good, []string{"Content-Type", "text/plain"}, 415, detour.CodeUnsupportedMedia},
		{"missing key", "POST", "/v1/messages", "", good, nil, 401, detour.CodeUnauthorized},
		{"wrong key", "POST", "/v1/messages", "dtr_" + strings.Repeat("A", 26) + "_" + strings.Repeat("b", 43), good, nil, 401, detour.CodeUnauthorized},
		{"garbage key", "POST", "/v1/messages", "hunter2", good, nil, 401, detour.CodeUnauthorized},
		{"another tenant's message", "GET", "/v1/messages/" + othersID, key, "", nil, 404, detour.CodeNotFound},
		{"another tenant's cancel", "POST", "/v1/messages/" + othersID + "/cancel", key, "", nil, 404, detour.CodeNotFound},
		{"no such message", "GET", "/v1/messages/msg_nothing", key, "", nil, 404, detour.CodeNotFound},
	} {
		r := n.do(tc.method, tc.path, tc.key, tc.body, tc.header...)
		if r.status != tc.status || r.body["code"] != string(tc.code) {
			t.Errorf("%s: got %d %v, want %d %s (%s)", tc.name, r.status, r.body["code"], tc.status, tc.code, r.raw[:min(len(r.raw), 300)])
			continue
		}
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
			t.Errorf("%s: Content-Type %q", tc.name, ct)
		}
	}
	if c := n.count(tenant.TenantID); c != 0 {
		t.Fatalf("refused requests stored %d messages", c)
	}
	r = n.do("GET", "/v1/messages", key, "")
	if r.status != 200 || len(r.body["data"].([]any)) != 0 {
		t.Fatalf("acme must see none of globex's messages: %s", r.raw)
	}
}

func TestIdempotencyEndToEnd(t *testing.T) {
	n := start(t, nil)
	key := n.key("acme")
	first := n.do("POST", "/v1/messages", key, good, "Idempotency-Key", "k1")
	again := n.do("POST", "/v1/messages", key, " "+good+"\n", "Idempotency-Key", "k1")
	if first.status != 202 || again.status != 202 || first.body["id"] != again.body["id"] || again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d %v / %d %v %q", first.status, first.body["id"], again.status, again.body["id"], again.header.Get("Idempotent-Replayed"))
	}
	diff := n.do("POST", "/v1/messages", key, `{"to":"+447400123456","content":{"text":"other"}}`, "Idempotency-Key", "k1")
	if diff.status != 409 || diff.body["code"] != string(detour.CodeIdempotencyConflict) {
		t.Fatalf("different body: %d %s", diff.status, diff.raw)
	}
	// Concurrent duplicates race: one message, every caller gets it.
	var wg sync.WaitGroup
	ids := make([]any, 16)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := n.do("POST", "/v1/messages", key, good, "Idempotency-Key", "race")
			if r.status == 202 {
				ids[i] = r.body["id"]
			}
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if id == nil || id != ids[0] {
			t.Fatalf("racing duplicates got different answers: %v", ids)
		}
	}
	k, _, _ := detour.ParseAPIKey(key)
	ak, _ := n.srv.Store().APIKey(context.Background(), k)
	if c := n.count(ak.TenantID); c != 2 {
		t.Fatalf("%d messages stored, want 2 (k1 and race)", c)
	}
}

func TestSandboxDeliversEndToEnd(t *testing.T) {
	n := start(t, nil)
	key := n.key("acme")
	r := n.do("POST", "/v1/messages", key, `{"to":"+447400123456","content":{"text":"hello"},"client_ref":"e2e"}`)
	if r.status != 202 || r.body["status"] != "queued" {
		t.Fatalf("send: %d %s", r.status, r.raw)
	}
	id := r.body["id"].(string)
	deadline := time.Now().Add(10 * time.Second)
	for {
		g := n.do("GET", "/v1/messages/"+id, key, "")
		if g.body["status"] == "delivered" {
			atts := g.body["attempts"].([]any)
			a := atts[0].(map[string]any)
			if a["channel"] != "sandbox" || a["provider_message_id"] == "" || len(a["history"].([]any)) != 3 {
				t.Fatalf("attempt trail: %s", g.raw)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not delivered: %s", g.raw)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Every status it went through is an event, newest first.
	ev := n.do("GET", "/v1/events?message_id="+id, key, "")
	var statuses []string
	for _, e := range ev.body["data"].([]any) {
		statuses = append(statuses, e.(map[string]any)["data"].(map[string]any)["status"].(string))
	}
	if strings.Join(statuses, ",") != "delivered,sent" {
		t.Fatalf("events: %v (%s)", statuses, ev.raw)
	}
	if recs := n.srv.Sandbox().Sent("+447400123456"); len(recs) != 1 || recs[0].Content.Text != "hello" {
		t.Fatalf("sandbox records: %+v", recs)
	}
	// The metrics say so too.
	m := n.do("GET", "/metrics", "", "")
	if !strings.Contains(m.raw, `detour_message_status_total{channel="sandbox",status="delivered"} 1`) {
		t.Fatalf("metrics lack the delivery:\n%s", m.raw)
	}
	if !regexp.MustCompile(`(?m)^detour_store_commits_total [1-9]`).MatchString(m.raw) ||
		!regexp.MustCompile(`(?m)^detour_store_writes_total [1-9]`).MatchString(m.raw) ||
		!regexp.MustCompile(`(?m)^detour_store_writer_busy_seconds_total [0-9.e-]*[1-9]`).MatchString(m.raw) ||
		!regexp.MustCompile(`(?m)^detour_store_commit_seconds_total [0-9.e-]*[1-9]`).MatchString(m.raw) {
		t.Fatalf("metrics lack the store's writes and commits:\n%s", m.raw)
	}
}

func TestSecretsNeverReachLogsOrErrors(t *testing.T) {
	n := start(t, nil)
	key := n.key("acme")
	n.do("POST", "/v1/messages", key, good)
	n.do("GET", "/v1/messages?status=bogus", key, "")
	forged := key[:len(key)-5] + "XXXXX"
	bad := n.do("POST", "/v1/messages", forged, good)
	if strings.Contains(bad.raw, forged) || strings.Contains(bad.raw, key) {
		t.Fatalf("an error body echoes the key: %s", bad.raw)
	}
	n.stop()
	logs := n.logs.String()
	secret := key[len("dtr_")+26+1:] // the part after the key id (it may itself hold '_')
	for _, s := range []string{key, forged, secret, "Bearer"} {
		if strings.Contains(logs, s) {
			t.Fatalf("logs carry a secret (%q…):\n%s", s[:min(len(s), 8)], logs)
		}
	}
	if !strings.Contains(logs, "/v1/messages") {
		t.Fatalf("debug logs should show the requests (is logging wired?):\n%s", logs)
	}
}

func TestStopDrainsAndTheStoreIsConsistent(t *testing.T) {
	n := start(t, func(c *config.Config) {
		c.Channels.Sandbox.Routes[0].Latency = 5 * time.Millisecond
		c.Channels.Sandbox.Routes[0].ReceiptDelay = time.Hour // none arrive before the stop
	})
	key := n.key("acme")
	for i := 0; i < 50; i++ {
		if r := n.do("POST", "/v1/messages", key, fmt.Sprintf(`{"to":"+447400123456","content":{"text":"m%d"}}`, i)); r.status != 202 {
			t.Fatal(r.raw)
		}
	}
	n.stop()
	db, err := sqlite.Open(context.Background(), n.dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
}
