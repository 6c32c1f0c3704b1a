package whatsapp

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/clocktest"
)

func send(w *WhatsApp, route string) detour.Outcome {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return w.Send(ctx, &detour.Send{AttemptID: "att_1", To: "+447400123456", Route: route, Content: &detour.Content{Text: "hi"}})
}

func TestChannelSendsFromTheStepsNumber(t *testing.T) {
	g := newGraph(t, http.StatusOK, []byte(okResponse))
	w, err := NewChannel(testConfig(g.URL, nil))
	if err != nil {
		t.Fatal(err)
	}
	if w.Name() != "whatsapp" || !w.Carries(detour.KindTemplate) || len(w.Routes()) != 2 {
		t.Fatalf("channel %s %v", w.Name(), w.Routes())
	}
	out := send(w, "support")
	if out.Result != detour.Accepted || out.Route != "support" || out.ProviderID == "" {
		t.Fatalf("outcome %+v", out)
	}
	if p := g.last(t).Path; p != "/v23.0/"+testPNID2+"/messages" {
		t.Fatalf("sent from %s", p)
	}
	if out := send(w, ""); out.Route != "main" {
		t.Fatalf("without a route the first number sends: %+v", out)
	}
}

func TestARefusedTokenTakesTheNumberOutForAWhile(t *testing.T) {
	g := newGraph(t, http.StatusUnauthorized, readTestdata(t, "error_190.json"))
	w, err := NewChannel(testConfig(g.URL, nil))
	if err != nil {
		t.Fatal(err)
	}
	if out := send(w, ""); out.Result != detour.Permanent || out.Route != "main" {
		t.Fatalf("outcome %+v", out)
	}
	g.mu.Lock()
	g.status, g.body = http.StatusOK, []byte(okResponse)
	g.mu.Unlock()
	if out := send(w, ""); out.Result != detour.Accepted || out.Route != "support" {
		t.Fatalf("the refused number must be skipped: %+v", out)
	}
}

func TestThroughputSpacesMessagesOnTheClock(t *testing.T) {
	clock := clocktest.New(time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))
	n := &number{Number: Number{Name: "main", Throughput: 2}}
	if err := n.wait(context.Background(), clock); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- n.wait(context.Background(), clock) }()
	clock.WaitForWaiters(1, 5*time.Second)
	select {
	case <-done:
		t.Fatal("the second message at 2/s must wait half a second")
	case <-time.After(10 * time.Millisecond):
	}
	clock.Advance(500 * time.Millisecond)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { done <- n.wait(ctx, clock) }()
	clock.WaitForWaiters(1, 5*time.Second)
	cancel()
	if err := <-done; err == nil {
		t.Fatal("a canceled wait must say so")
	}
}

func TestTheCustomerServiceWindow(t *testing.T) {
	g := newGraph(t, http.StatusOK, []byte(okResponse))
	clock := clocktest.New(time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))
	var last time.Time
	cfg := testConfig(g.URL, nil)
	cfg.Clock = clock
	cfg.LastInbound = func(_ context.Context, route, user string) (time.Time, bool, error) {
		if route != "main" || user != "+447400123456" {
			t.Errorf("window asked for %s %s", route, user)
		}
		return last, !last.IsZero(), nil
	}
	w, err := NewChannel(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if out := send(w, "main"); out.Result != detour.Permanent || out.Reason != detour.ReasonOutsideWindow {
		t.Fatalf("a user who never wrote: %+v", out)
	}
	clock.Advance(time.Second) // the number's throughput allowance
	last = clock.Now().Add(-23 * time.Hour)
	if out := send(w, "main"); out.Result != detour.Accepted {
		t.Fatalf("inside the window: %+v", out)
	}
	last = clock.Now().Add(-24 * time.Hour)
	if out := send(w, "main"); out.Reason != detour.ReasonOutsideWindow {
		t.Fatalf("the window lasts 24 hours: %+v", out)
	}
	g.mu.Lock()
	n := len(g.requests)
	g.mu.Unlock()
	clock.Advance(time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out := w.Send(ctx, &detour.Send{AttemptID: "att_2", To: "+447400123456", Route: "main",
		Content: &detour.Content{Template: &detour.Template{Name: "otp", Language: "en"}}})
	if out.Result != detour.Accepted || n != 1 {
		t.Fatalf("templates go outside the window (%d requests before): %+v", n, out)
	}
}

func TestTextWithATemplateGoesAsTheWindowAllows(t *testing.T) {
	g := newGraph(t, http.StatusOK, []byte(okResponse))
	clock := clocktest.New(time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))
	var last time.Time
	cfg := testConfig(g.URL, nil)
	cfg.Clock = clock
	cfg.LastInbound = func(context.Context, string, string) (time.Time, bool, error) { return last, !last.IsZero(), nil }
	w, err := NewChannel(cfg)
	if err != nil {
		t.Fatal(err)
	}
	both := &detour.Content{Text: "Your order 42 has shipped", Template: &detour.Template{Name: "order_shipped", Language: "en", Params: []string{"42"}}}
	sendBoth := func() detour.Outcome {
		clock.Advance(time.Second)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return w.Send(ctx, &detour.Send{AttemptID: "att_1", To: "+447400123456", Route: "main", Content: both})
	}
	if out := sendBoth(); out.Result != detour.Accepted {
		t.Fatalf("outside the window: %+v", out)
	}
	if body := string(g.last(t).Body); !strings.Contains(body, `"type":"template"`) || strings.Contains(body, "has shipped") {
		t.Fatalf("outside the window the template goes: %s", body)
	}
	last = clock.Now()
	if out := sendBoth(); out.Result != detour.Accepted {
		t.Fatalf("inside the window: %+v", out)
	}
	if body := string(g.last(t).Body); !strings.Contains(body, `"type":"text"`) || !strings.Contains(body, "has shipped") {
		t.Fatalf("inside the window the text goes as written: %s", body)
	}
}
