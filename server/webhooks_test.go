package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/detourhq/detour/config"
	"github.com/detourhq/detour/webhook"
)

// hookSink is a receiver that verifies deliveries with the reference
// Standard Webhooks library (not ours) once it knows the secret.
type hookSink struct {
	srv *httptest.Server
	mu  sync.Mutex
	wh  *standardwebhooks.Webhook
	got []webhook.Body
	bad int
}

func newHookSink(t *testing.T) *hookSink {
	h := &hookSink{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.wh == nil || h.wh.Verify(body, r.Header) != nil {
			h.bad++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var b webhook.Body
		_ = json.Unmarshal(body, &b)
		h.got = append(h.got, b)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookSink) trust(t *testing.T, secret string) {
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	h.mu.Lock()
	h.wh = wh
	h.mu.Unlock()
}

func (h *hookSink) statuses(id string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, b := range h.got {
		var d struct{ Status string }
		if b.MessageID == id && json.Unmarshal(b.Data, &d) == nil {
			out = append(out, d.Status)
		}
	}
	return out
}

// TestWebhooksEndToEnd: an endpoint registered through the API and a
// message's own callback_url both receive the message's status events,
// in order, verified by a Standard Webhooks library that is not ours;
// the delivery log shows the tries.
func TestWebhooksEndToEnd(t *testing.T) {
	n := start(t, func(c *config.Config) { c.Webhooks.AllowPrivateNetworks = true })
	key := n.key("acme")
	endpoint, callback := newHookSink(t), newHookSink(t)

	r := n.do("POST", "/v1/webhook-endpoints", key, `{"url":"`+endpoint.srv.URL+`/hook","event_types":["message.status"]}`)
	if r.status != 201 || !strings.HasPrefix(r.body["secret"].(string), "whsec_") {
		t.Fatalf("create endpoint: %d %s", r.status, r.raw)
	}
	endpoint.trust(t, r.body["secret"].(string))
	epID := r.body["id"].(string)

	m := n.do("POST", "/v1/messages", key, `{"to":"+447400123456","content":{"text":"hi"},"callback_url":"`+callback.srv.URL+`/cb"}`)
	if m.status != 202 {
		t.Fatalf("send: %d %s", m.status, m.raw)
	}
	id := m.body["id"].(string)
	// The callback endpoint was made with the message's first event; its
	// secret is there to fetch.
	var cbID string
	deadline := time.Now().Add(10 * time.Second)
	for cbID == "" && time.Now().Before(deadline) {
		list := n.do("GET", "/v1/webhook-endpoints", key, "")
		for _, e := range list.body["data"].([]any) {
			if e := e.(map[string]any); e["kind"] == "callback_url" {
				cbID = e["id"].(string)
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	if cbID == "" {
		t.Fatal("no callback endpoint")
	}
	s := n.do("GET", "/v1/webhook-endpoints/"+cbID+"/secret", key, "")
	callback.trust(t, s.body["secret"].(string))

	want := "sent,delivered"
	for time.Now().Before(deadline) && (strings.Join(endpoint.statuses(id), ",") != want || strings.Join(callback.statuses(id), ",") != want) {
		time.Sleep(20 * time.Millisecond)
	}
	if got := strings.Join(endpoint.statuses(id), ","); got != want {
		t.Fatalf("endpoint got %s, want %s (bad %d)", got, want, endpoint.bad)
	}
	if got := strings.Join(callback.statuses(id), ","); got != want {
		// The first tries failed verification until the sink knew the
		// secret, and were retried.
		t.Fatalf("callback got %s, want %s", got, want)
	}
	if endpoint.bad != 0 {
		t.Fatalf("%d deliveries to the endpoint failed verification", endpoint.bad)
	}
	// The sink has the body before Detour has the answer: the log shows
	// a try once it is recorded, so wait for both.
	var data []any
	for {
		log := n.do("GET", "/v1/webhook-endpoints/"+epID+"/deliveries", key, "")
		data = log.body["data"].([]any)
		if len(data) != 2 {
			t.Fatalf("delivery log: %s", log.raw)
		}
		if !time.Now().Before(deadline) || (data[0].(map[string]any)["status"] != "pending" && data[1].(map[string]any)["status"] != "pending") {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, d := range data {
		d := d.(map[string]any)
		tries := d["attempts"].([]any)
		if d["status"] != "delivered" || len(tries) != 1 || tries[0].(map[string]any)["status"].(float64) != 200 {
			t.Fatalf("delivery %v", d)
		}
	}
	// A replay goes out again with the same webhook-id.
	ev := n.do("GET", "/v1/events?message_id="+id+"&limit=1", key, "")
	evID := ev.body["data"].([]any)[0].(map[string]any)["id"].(string)
	rp := n.do("POST", "/v1/events/"+evID+"/replay", key, `{"endpoint_id":"`+epID+`"}`)
	if rp.status != 202 {
		t.Fatalf("replay: %d %s", rp.status, rp.raw)
	}
	for time.Now().Before(deadline) && len(endpoint.statuses(id)) < 3 {
		time.Sleep(20 * time.Millisecond)
	}
	if got := endpoint.statuses(id); len(got) != 3 || got[2] != "delivered" {
		t.Fatalf("after replay: %v", got)
	}
}

// TestWebhookSSRF: without webhooks.allow_private_networks, endpoints and
// callback URLs on loopback or private networks are refused.
func TestWebhookSSRF(t *testing.T) {
	n := start(t, nil)
	key := n.key("acme")
	for _, url := range []string{"http://127.0.0.1:8080/", "http://169.254.169.254/latest/meta-data", "http://[::1]/", "http://10.0.0.7/"} {
		r := n.do("POST", "/v1/webhook-endpoints", key, `{"url":"`+url+`"}`)
		if r.status != 422 || r.body["code"] != "url_not_allowed" {
			t.Errorf("endpoint %s: %d %s", url, r.status, r.raw)
		}
	}
	for _, url := range []string{"http://127.0.0.1/cb", "http://localhost:9/cb", "http://192.168.0.1/cb"} {
		r := n.do("POST", "/v1/messages", key, `{"to":"+447400123456","content":{"text":"hi"},"callback_url":"`+url+`"}`)
		if r.status != 422 || r.body["code"] != "url_not_allowed" || r.body["field"] != "callback_url" {
			t.Errorf("callback %s: %d %s", url, r.status, r.raw)
		}
	}
	if c := n.count("acme"); c != 0 {
		t.Fatalf("%d messages stored", c)
	}
}

// TestWebhookSecretsNeverLogged: signing secrets (made, rotated, used to
// sign failing and succeeding deliveries) never reach the logs.
func TestWebhookSecretsNeverLogged(t *testing.T) {
	n := start(t, func(c *config.Config) { c.Webhooks.AllowPrivateNetworks = true })
	key := n.key("acme")
	sink := newHookSink(t) // refuses everything: it trusts no secret
	r := n.do("POST", "/v1/webhook-endpoints", key, `{"url":"`+sink.srv.URL+`"}`)
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.raw)
	}
	secrets := []string{r.body["secret"].(string)}
	rot := n.do("POST", "/v1/webhook-endpoints/"+r.body["id"].(string)+"/rotate-secret", key, `{}`)
	secrets = append(secrets, rot.body["secret"].(string))
	n.do("POST", "/v1/messages", key, `{"to":"+447400123456","content":{"text":"hi"}}`)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		sink.mu.Lock()
		bad := sink.bad
		sink.mu.Unlock()
		if bad >= 1 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	n.stop()
	logs := n.logs.String()
	for _, s := range secrets {
		body := strings.TrimPrefix(s, webhook.SecretPrefix)
		if strings.Contains(logs, s) || strings.Contains(logs, body) {
			t.Fatalf("logs carry a webhook secret:\n%s", logs)
		}
	}
}
