package simworld_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/api"
	"github.com/detourhq/detour/config"
	"github.com/detourhq/detour/simworld"
)

// TestWorldStartsAndStops starts the simulators, fills in a configuration
// that validates, and stops them twice; goleak checks that nothing is
// left behind.
func TestWorldStartsAndStops(t *testing.T) {
	w, err := simworld.New(simworld.Config{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	if err := w.Configure(&cfg); err == nil {
		t.Fatal("Configure before Start must fail: nothing listens yet")
	}
	if err := w.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := w.Start(context.Background()); err == nil {
		t.Fatal("a second Start must fail")
	}
	if err := w.Configure(&cfg); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("the configuration the world fills in: %v", err)
	}
	ch := cfg.Channels
	if ch.Sandbox.Enabled || len(ch.WhatsApp.Numbers) != 1 || len(ch.SMS.Routes) != 2 ||
		ch.SMS.Routes[0].Name != simworld.SMSC1 || ch.SMS.Routes[1].Name != simworld.SMSC2 ||
		ch.SMS.Routes[0].Host != "127.0.0.1" || !strings.HasPrefix(ch.WhatsApp.BaseURL, "http://127.0.0.1:") {
		t.Fatalf("channels %+v", ch)
	}
	if p := cfg.Messages.DefaultPolicy; len(p) != 2 || p[0].Channel != "whatsapp" || p[0].FallbackAfter != 10*time.Second || p[1].Channel != "sms" {
		t.Fatalf("default policy %+v", p)
	}
	if ch.SMS.Routes[0].Password == "" || ch.SMS.Routes[0].Password != ch.SMS.Routes[1].Password || ch.WhatsApp.Token == "" {
		t.Fatal("credentials are generated")
	}
	sims := w.Simulators()
	if len(sims) != 3 {
		t.Fatalf("simulators %+v", sims)
	}
	for i, s := range sims {
		if s.Name != simworld.Names[i] || s.Mode != simworld.Healthy || !strings.HasPrefix(s.Addr, "127.0.0.1:") {
			t.Errorf("simulator %+v", s)
		}
	}
	w.Stop()
	w.Stop()
	if err := w.Start(context.Background()); err == nil {
		t.Fatal("Start after Stop must fail")
	}
}

// TestFallbackToSMSWhenWhatsAppIsDown follows one phone through the world:
// a message arrives on WhatsApp while it is healthy; once WhatsApp is down
// (every send answered 500) the next one runs out of retries and arrives
// by SMS; once it is silent (accepted, never delivered) the next one
// arrives by SMS after fallback_after; back to healthy, on WhatsApp again.
func TestFallbackToSMSWhenWhatsAppIsDown(t *testing.T) {
	n := startNode(t, time.Second, nil)
	const phone = "+447400123456"

	m := n.send(phone, otp("111111"))
	if m.Status != "delivered" || m.Channel != "whatsapp" {
		t.Fatalf("healthy: %+v", m)
	}
	got := n.handset(phone, 1)
	if r := got[0]; r.Channel != "whatsapp" || r.Simulator != simworld.WhatsApp || r.Route != simworld.WhatsAppRoute ||
		r.Text != "otp_code: 111111" || r.ProviderMessageID != m.Attempts[0].ProviderMessageID || r.From != "+15550100001" {
		t.Fatalf("handset after a WhatsApp delivery: %+v", r)
	}

	if err := n.World.SetMode(simworld.WhatsApp, simworld.Down); err != nil {
		t.Fatal(err)
	}
	m = n.send(phone, otp("222222"))
	if m.Status != "delivered" || m.Channel != "sms" {
		t.Fatalf("whatsapp down: %+v", m)
	}
	last := m.Attempts[len(m.Attempts)-1]
	for _, a := range m.Attempts[:len(m.Attempts)-1] {
		if a.Channel != "whatsapp" || a.Status != "failed" || a.Error == nil || a.Error.Code != "provider_error" {
			t.Fatalf("whatsapp attempt while down: %+v", a)
		}
	}
	// WhatsApp is retried until its retries run out or the outage
	// detector opens its breaker, whichever comes first.
	if len(m.Attempts) < 2 || last.Channel != "sms" || last.Status != "delivered" {
		t.Fatalf("attempts while down: %+v", m.Attempts)
	}
	got = n.handset(phone, 2)
	if r := got[1]; r.Channel != "sms" || r.Route != last.Route || r.Simulator != last.Route || r.Text != "Your Detour code is 222222" ||
		r.From != "Detour" || r.ProviderMessageID != last.ProviderMessageID || r.Parts != 1 || r.At.Before(got[0].At) {
		t.Fatalf("handset after the fallback: %+v", got)
	}

	if err := n.World.SetMode(simworld.WhatsApp, simworld.Silent); err != nil {
		t.Fatal(err)
	}
	// The detector may hold WhatsApp down after the hard outage: an
	// operator forces it up, so that this message meets the silent one.
	if code := n.do("POST", "/v1/channels/whatsapp/routes/main/force", `{"state":"healthy"}`, &map[string]any{}); code != 200 {
		t.Fatalf("force: %d", code)
	}
	m = n.send(phone, otp("333333"))
	if m.Status != "delivered" || m.Channel != "sms" || len(m.Attempts) != 2 || m.Attempts[0].Status != "sent" {
		t.Fatalf("whatsapp silent: %+v", m)
	}
	if waited := m.Attempts[1].CreatedAt.Sub(m.CreatedAt); waited < time.Second {
		t.Fatalf("fell back after %s, before fallback_after", waited)
	}
	n.handset(phone, 3)

	if err := n.World.SetMode(simworld.WhatsApp, simworld.Healthy); err != nil {
		t.Fatal(err)
	}
	if m = n.send(phone, otp("444444")); m.Channel != "whatsapp" {
		t.Fatalf("recovered: %+v", m)
	}
	got = n.handset(phone, 4)
	if got[3].Channel != "whatsapp" || got[2].Text != "Your Detour code is 333333" {
		t.Fatalf("handset: %+v", got)
	}
	if other := n.handset("+447400123457", 0); len(other) != 0 {
		t.Fatalf("another phone got %+v", other)
	}
}

// TestThrottledRouteHandsOver throttles smsc-1: a burst of SMS still
// arrives, smsc-2 taking what smsc-1 refuses within the same send.
func TestThrottledRouteHandsOver(t *testing.T) {
	n := startNode(t, time.Second, nil)
	if err := n.World.SetMode(simworld.SMSC1, simworld.Throttled); err != nil {
		t.Fatal(err)
	}
	const burst = 20
	ids := make(chan string, burst)
	var wg sync.WaitGroup
	for i := range burst {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, err := n.client.Send(context.Background(), &detour.SendRequest{To: fmt.Sprintf("+4474001234%02d", i),
				Content: detour.Content{Text: "burst"}, Channels: []detour.Step{{Channel: "sms"}}}, "")
			if err != nil {
				t.Error(err)
				return
			}
			ids <- m.ID
		}()
	}
	wg.Wait()
	close(ids)
	routes := map[string]int{}
	for id := range ids {
		m := n.wait(id)
		if m.Status != "delivered" || len(m.Attempts) != 1 {
			t.Fatalf("message %+v", m)
		}
		routes[m.Attempts[0].Route]++
	}
	// smsc-1 takes one a second: the channel gets ESME_RTHROTTLED for the
	// rest of the burst it tries there and submits them to smsc-2.
	s1, _ := n.World.Simulator(simworld.SMSC1)
	if s1.Mode != simworld.Throttled || s1.Counters["submit_resps.ESME_RTHROTTLED"] == 0 || routes[simworld.SMSC2] <= routes[simworld.SMSC1] ||
		int64(routes[simworld.SMSC1]) != s1.Counters["submit_resps.ESME_ROK"] {
		t.Fatalf("deliveries by route %v; smsc-1: %+v", routes, s1)
	}
}

// TestSimEndpoints checks /v1/sim: authentication, listing, switching a
// mode, and the problems for a bad simulator, mode or number.
func TestSimEndpoints(t *testing.T) {
	n := startNode(t, time.Second, nil)
	var list simworld.SimulatorList
	if code := n.do("GET", "/v1/sim", "", &list); code != 200 || len(list.Data) != 3 {
		t.Fatalf("list: %d %+v", code, list)
	}
	if wa := list.Data[0]; wa.Name != "whatsapp" || wa.Channel != "whatsapp" || wa.Route != "main" || wa.Mode != "healthy" ||
		wa.Counters["requests"] != 0 {
		t.Fatalf("whatsapp: %+v", wa)
	}

	var s simworld.Simulator
	if code := n.do("POST", "/v1/sim/smsc-2", `{"mode":"down"}`, &s); code != 200 || s.Name != "smsc-2" || s.Mode != "down" {
		t.Fatalf("switch: %d %+v", code, s)
	}
	if n.World.SMSC(simworld.SMSC2).Mode().String() != "down" {
		t.Fatal("the simulator did not switch")
	}
	if code := n.do("POST", "/v1/sim/whatsapp", `{"mode":"down"}`, &s); code != 200 || s.Mode != "down" || s.NativeMode != "down-5xx" {
		t.Fatalf("switch whatsapp: %d %+v", code, s)
	}
	if code := n.do("GET", "/v1/sim/whatsapp", "", &s); code != 200 || s.Mode != "down" {
		t.Fatalf("get whatsapp: %d %+v", code, s)
	}
	if code := n.do("POST", "/v1/sim/smsc-2", `{"mode":"healthy"}`, &s); code != 200 || s.Mode != "healthy" {
		t.Fatalf("switch back: %d %+v", code, s)
	}

	for _, tc := range []struct {
		method, path, body string
		status             int
		code, field        string
	}{
		{"POST", "/v1/sim/smsc-3", `{"mode":"down"}`, 404, "not_found", ""},
		{"GET", "/v1/sim/smsc-3", "", 404, "not_found", ""},
		{"POST", "/v1/sim/whatsapp", `{"mode":"sideways"}`, 400, "invalid_request", "mode"},
		{"POST", "/v1/sim/whatsapp", `{"mode":"down-5xx"}`, 400, "invalid_request", "mode"},
		{"POST", "/v1/sim/whatsapp", `{}`, 422, "missing_field", "mode"},
		{"POST", "/v1/sim/whatsapp", `{"mode":"down","for":"1m"}`, 400, "unknown_field", "for"},
		{"POST", "/v1/sim/whatsapp", `{"mode":`, 400, "malformed_json", ""},
		{"GET", "/v1/sim/handsets/447400123456", "", 422, "invalid_recipient", "number"},
		{"GET", "/v1/sim/handsets/+44%207400", "", 422, "invalid_recipient", "number"},
		{"DELETE", "/v1/sim/whatsapp", "", 405, "method_not_allowed", ""},
	} {
		var p api.Problem
		if code := n.do(tc.method, tc.path, tc.body, &p); code != tc.status || p.Code != tc.code || p.Field != tc.field {
			t.Errorf("%s %s %s: %d %+v, want %d %s field %q", tc.method, tc.path, tc.body, code, p, tc.status, tc.code, tc.field)
		}
	}
	var h simworld.HandsetMessages
	if code := n.do("GET", "/v1/sim/handsets/%2B447400123456", "", &h); code != 200 || h.Number != "+447400123456" || h.Data == nil || len(h.Data) != 0 {
		t.Fatalf("an empty handset: %d %+v", code, h)
	}
	n.key = "dtr_not_a_key"
	var p api.Problem
	if code := n.do("GET", "/v1/sim", "", &p); code != 401 || p.Code != "unauthorized" {
		t.Fatalf("without a key: %d %+v", code, p)
	}
	if code := n.do("POST", "/v1/sim/whatsapp", `{"mode":"healthy"}`, &p); code != 401 {
		t.Fatalf("switching without a key: %d", code)
	}
	if s, _ := n.World.Simulator(simworld.WhatsApp); s.Mode != simworld.Down {
		t.Fatal("a request without a key switched a simulator")
	}
}
