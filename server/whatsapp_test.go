package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/config"
	"github.com/detourhq/detour/whatsapp"
)

// TestWhatsAppEndToEnd sends through the API to a stand-in for the Graph
// API, then posts signed status and message webhooks to the server the way
// Meta does: the message becomes delivered, the reply is stored, and a
// forged webhook changes nothing.
func TestWhatsAppEndToEnd(t *testing.T) {
	var mu sync.Mutex
	var sent []string
	graph := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		sent = append(sent, r.URL.Path+" "+string(b))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"messaging_product":"whatsapp","contacts":[{"input":"447400123456","wa_id":"447400123456"}],"messages":[{"id":"wamid.TEST123"}]}`)
	}))
	defer graph.Close()
	n := start(t, func(c *config.Config) {
		c.Channels.WhatsApp = config.WhatsApp{BaseURL: graph.URL, Token: "tok-SECRET-1", AppSecret: "app-SECRET-2", VerifyToken: "verify-3",
			Numbers: []config.WhatsAppNumber{{Name: "main", PhoneNumberID: "106540352242922"}}}
	})
	key := n.key("acme")
	r := n.do("POST", "/v1/messages", key, `{"to":"+447400123456","content":{"template":{"name":"otp_code","language":"en","params":["424242"]}},"channels":[{"channel":"whatsapp"}]}`)
	if r.status != 202 {
		t.Fatalf("send: %d %s", r.status, r.raw)
	}
	id := r.body["id"].(string)
	waitStatus(t, n, key, id, "sent")
	mu.Lock()
	if len(sent) != 1 || !strings.HasPrefix(sent[0], "/v23.0/106540352242922/messages ") || !strings.Contains(sent[0], `"name":"otp_code"`) {
		t.Fatalf("graph got %v", sent)
	}
	mu.Unlock()

	hook := func(body, signature string) int {
		req, _ := http.NewRequest("POST", n.base+"/webhooks/whatsapp", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if signature != "" {
			req.Header.Set("X-Hub-Signature-256", signature)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	ts := fmt.Sprint(time.Now().Unix())
	status := `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp",` +
		`"metadata":{"display_phone_number":"15550001111","phone_number_id":"106540352242922"},` +
		`"statuses":[{"id":"wamid.TEST123","status":"delivered","timestamp":"` + ts + `","recipient_id":"447400123456"}]}}]}]}`
	if code := hook(status, "sha256=00"); code != http.StatusUnauthorized {
		t.Fatalf("a forged signature got %d", code)
	}
	if g := n.do("GET", "/v1/messages/"+id, key, ""); g.body["status"] != "sent" {
		t.Fatalf("a forged webhook changed the message: %s", g.raw)
	}
	if code := hook(status, whatsapp.Sign([]byte(status), "app-SECRET-2")); code != http.StatusOK {
		t.Fatalf("a signed webhook got %d", code)
	}
	waitStatus(t, n, key, id, "delivered")

	reply := `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp",` +
		`"metadata":{"display_phone_number":"15550001111","phone_number_id":"106540352242922"},` +
		`"messages":[{"from":"447400123456","id":"wamid.IN1","timestamp":"` + ts + `","type":"text","text":{"body":"thanks!"}}]}}]}]}`
	if code := hook(reply, whatsapp.Sign([]byte(reply), "app-SECRET-2")); code != http.StatusOK {
		t.Fatalf("message webhook got %d", code)
	}
	in, err := n.srv.Store().InboundMessages(context.Background(), detour.InboundFilter{Channel: "whatsapp"})
	if err != nil || len(in) != 1 || in[0].Text != "thanks!" || in[0].From != "+447400123456" || in[0].ProviderID != "wamid.IN1" {
		t.Fatalf("inbound: %+v %v", in, err)
	}
	// The user wrote: the 24-hour window is open for free-form text.
	r = n.do("POST", "/v1/messages", key, `{"to":"+447400123456","content":{"text":"you are welcome"},"channels":[{"channel":"whatsapp"}]}`)
	waitStatus(t, n, key, r.body["id"].(string), "sent")
	// Someone who never wrote gets no free-form text: outside_window.
	r = n.do("POST", "/v1/messages", key, `{"to":"+447400123457","content":{"text":"hello stranger"},"channels":[{"channel":"whatsapp"}]}`)
	waitStatus(t, n, key, r.body["id"].(string), "failed")
	if g := n.do("GET", "/v1/messages/"+r.body["id"].(string), key, ""); !strings.Contains(g.raw, "outside_window") {
		t.Fatalf("the failure names the window: %s", g.raw)
	}
	// The verification handshake.
	resp, err := http.Get(n.base + "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=verify-3&hub.challenge=1158201444")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "1158201444" {
		t.Fatalf("handshake: %d %s", resp.StatusCode, b)
	}
	if logs := n.logs.String(); strings.Contains(logs, "SECRET") {
		t.Fatal("a WhatsApp secret reached the logs")
	}
}

func waitStatus(t *testing.T, n *node, key, id, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		g := n.do("GET", "/v1/messages/"+id, key, "")
		if g.body["status"] == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("message never %s: %s", want, g.raw)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
