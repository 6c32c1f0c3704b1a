package server_test

import (
	"testing"
	"time"
)

// TestForcedDownRoute: an operator forces the only route down; the change
// is a channel.health event, the channels listing shows it, and a message
// is not sent on it (its only step fails as channel_down at once).
func TestForcedDownRoute(t *testing.T) {
	n := start(t, nil)
	key := n.key("acme")
	r := n.do("POST", "/v1/channels/sandbox/routes/default/force", key, `{"state":"down","note":"carrier maintenance"}`)
	if r.status != 200 || r.body["state"] != "down" || r.body["forced"] != true {
		t.Fatalf("force: %d %s", r.status, r.raw)
	}
	ch := n.do("GET", "/v1/channels", key, "")
	if got := ch.body["data"].([]any)[0].(map[string]any); got["channel"] != "sandbox" || got["state"] != "down" {
		t.Fatalf("channels: %s", ch.raw)
	}
	var ev reply
	var data []any
	for end := time.Now().Add(5 * time.Second); len(data) == 0 && time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		ev = n.do("GET", "/v1/events?type=channel.health", key, "")
		data = ev.body["data"].([]any)
	}
	if len(data) != 1 {
		t.Fatalf("events: %s", ev.raw)
	}
	d := data[0].(map[string]any)["data"].(map[string]any)
	if d["state"] != "down" || d["previous_state"] != "healthy" || d["reason"] != "forced" || d["channel_state"] != "down" {
		t.Fatalf("event data %v", d)
	}
	m := n.do("POST", "/v1/messages", key, `{"to":"+447400123456","content":{"text":"hi"}}`)
	id := m.body["id"].(string)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		got := n.do("GET", "/v1/messages/"+id, key, "")
		if got.body["status"] == "failed" {
			if got.body["error"].(map[string]any)["code"] != "channel_down" || len(got.body["attempts"].([]any)) != 0 {
				t.Fatalf("message %s", got.raw)
			}
			if sent := len(n.srv.Sandbox().Sent("+447400123456")); sent != 0 {
				t.Fatalf("%d messages went out on a route forced down", sent)
			}
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	got := n.do("GET", "/v1/messages/"+id, key, "")
	t.Fatalf("the message did not fail: %s", got.raw)
}
