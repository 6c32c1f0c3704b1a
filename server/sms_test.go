package server_test

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/config"
	"github.com/detourhq/detour/sim/smsc"
	"github.com/detourhq/detour/sms"
)

// TestSMSEndToEnd sends through the API over SMPP to the SMSC simulator
// and follows the message to delivered by its receipt; a message from the
// handset is stored.
func TestSMSEndToEnd(t *testing.T) {
	sim, err := smsc.New(smsc.Config{Accounts: []smsc.Account{{SystemID: "detour", Password: "pw"}},
		Behavior: smsc.Behavior{ReceiptDelay: smsc.Fixed(10 * time.Millisecond), Delivered: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer sim.Stop(context.Background())
	host, port, _ := net.SplitHostPort(sim.Addr())
	p, _ := strconv.Atoi(port)
	n := start(t, func(c *config.Config) {
		c.Channels.SMS.Routes = []sms.RouteConfig{{Name: "op1", Host: host, Port: p, SystemID: "detour", Password: "pw",
			SourceAddr: "Detour", SourceTON: 5, ReconnectMin: 20 * time.Millisecond,
			Prefixes: []string{"44"}, Priority: 2, Weight: 3, Cost: 0.031, Throughput: 50}}
	})
	key := n.key("acme")
	r := n.do("POST", "/v1/messages", key, `{"to":"+447400123456","content":{"text":"Your code is 424242"},"channels":[{"channel":"sms"}]}`)
	if r.status != 202 {
		t.Fatalf("send: %d %s", r.status, r.raw)
	}
	id := r.body["id"].(string)
	deadline := time.Now().Add(15 * time.Second)
	for {
		g := n.do("GET", "/v1/messages/"+id, key, "")
		if g.body["status"] == "delivered" {
			a := g.body["attempts"].([]any)[0].(map[string]any)
			if a["channel"] != "sms" || a["route"] != "op1" || a["provider_message_id"] == "" {
				t.Fatalf("attempt: %s", g.raw)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not delivered over SMPP: %s", g.raw)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if msgs := sim.Messages(); len(msgs) != 1 || msgs[0].Text != "Your code is 424242" {
		t.Fatalf("the handset got %+v", msgs)
	}
	rt := n.do("GET", "/v1/routes", key, "")
	routes := rt.body["data"].([]any)
	if rt.status != 200 || len(routes) != 2 {
		t.Fatalf("routes: %d %s", rt.status, rt.raw)
	}
	op1 := routes[1].(map[string]any)
	bind := op1["binds"].([]any)[0].(map[string]any)
	if op1["channel"] != "sms" || op1["state"] != "up" || bind["state"] != "bound" || bind["submitted"].(float64) != 1 ||
		bind["responses"].(map[string]any)["ESME_ROK"].(float64) != 1 {
		t.Fatalf("route op1: %s", rt.raw)
	}
	sel, _ := op1["selection"].(map[string]any)
	if op1["throughput_limit"] != 50.0 || sel == nil || sel["priority"] != 2.0 || sel["weight"] != 3.0 || sel["cost"] != 0.031 ||
		len(sel["prefixes"].([]any)) != 1 || len(sel["countries"].([]any)) != 0 || strings.Contains(rt.raw, `"pw"`) {
		t.Fatalf("route op1's settings: %s", rt.raw)
	}
	if err := sim.InjectMO("447400123456", "Detour", "STOP"); err != nil {
		t.Fatal(err)
	}
	for {
		in, err := n.srv.Store().InboundMessages(context.Background(), detour.InboundFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(in) == 1 && in[0].Text == "STOP" && in[0].From == "+447400123456" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the message from the handset was not stored: %+v", in)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
