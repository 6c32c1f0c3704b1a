package sandbox_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/clocktest"
	"github.com/detourhq/detour/sandbox"
)

type sink struct {
	mu  sync.Mutex
	got []detour.Receipt
	ch  chan detour.Receipt
}

func newSink() *sink { return &sink{ch: make(chan detour.Receipt, 100)} }

func (s *sink) Receipt(_ context.Context, r detour.Receipt) error {
	s.mu.Lock()
	s.got = append(s.got, r)
	s.mu.Unlock()
	s.ch <- r
	return nil
}

func (s *sink) next(t *testing.T) detour.Receipt {
	t.Helper()
	select {
	case r := <-s.ch:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("no receipt")
	}
	return detour.Receipt{}
}

func (s *sink) none(t *testing.T) {
	t.Helper()
	select {
	case r := <-s.ch:
		t.Fatalf("unexpected receipt %+v", r)
	case <-time.After(20 * time.Millisecond):
	}
}

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func msg(to string) *detour.Send {
	return &detour.Send{AttemptID: "att_1", MessageID: "msg_1", To: to, Content: &detour.Content{Text: "hi"}}
}

func newChannel(t *testing.T, routes ...sandbox.RouteConfig) (*sandbox.Channel, *clocktest.Clock, *sink) {
	t.Helper()
	clock, s := clocktest.New(t0), newSink()
	c, err := sandbox.New(sandbox.Config{Routes: routes, Receipts: s, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	return c, clock, s
}

func TestAcceptsRecordsAndReportsDelivery(t *testing.T) {
	c, clock, s := newChannel(t, sandbox.RouteConfig{Name: "r1", ReceiptDelay: time.Second})
	out := c.Send(context.Background(), msg("+447400123456"))
	if out.Result != detour.Accepted || out.ProviderID == "" || out.Route != "r1" || out.Segments != 1 {
		t.Fatalf("outcome %+v", out)
	}
	if recs := c.Sent("+447400123456"); len(recs) != 1 || recs[0].ProviderID != out.ProviderID || recs[0].Content.Text != "hi" {
		t.Fatalf("records %+v", recs)
	}
	s.none(t)
	clock.Advance(time.Second)
	r := s.next(t)
	if r.Status != detour.AttemptDelivered || r.ProviderID != out.ProviderID || r.Route != "r1" || r.Channel != "sandbox" || !r.At.Equal(t0.Add(time.Second)) {
		t.Fatalf("receipt %+v", r)
	}
}

func TestSilentRouteNeverReports(t *testing.T) {
	c, clock, s := newChannel(t, sandbox.RouteConfig{Name: "silent", NoReceipts: true})
	if out := c.Send(context.Background(), msg("+447400123456")); out.Result != detour.Accepted {
		t.Fatalf("a silent route still accepts: %+v", out)
	}
	clock.Advance(time.Hour)
	s.none(t)
}

func TestUndeliverableReceipts(t *testing.T) {
	c, clock, s := newChannel(t, sandbox.RouteConfig{Name: "r", UndeliveredRate: 1})
	c.Send(context.Background(), msg("+447400123456"))
	clock.Advance(0)
	if r := s.next(t); r.Status != detour.AttemptFailed || r.Reason != detour.ReasonUndeliverable {
		t.Fatalf("receipt %+v", r)
	}
}

func TestFailuresAreClassified(t *testing.T) {
	c, _, _ := newChannel(t, sandbox.RouteConfig{Name: "flaky", FailRate: 1}, sandbox.RouteConfig{Name: "strict", RejectRate: 1})
	s := msg("+447400123456")
	s.Route = "flaky"
	if out := c.Send(context.Background(), s); out.Result != detour.Retryable || out.Reason != detour.ReasonProviderError {
		t.Fatalf("flaky: %+v", out)
	}
	s.Route = "strict"
	if out := c.Send(context.Background(), s); out.Result != detour.Permanent || out.Reason != detour.ReasonRejected {
		t.Fatalf("strict: %+v", out)
	}
	s.Route = "nowhere"
	if out := c.Send(context.Background(), s); out.Result != detour.Permanent {
		t.Fatalf("unknown route: %+v", out)
	}
	if c.Total() != 0 {
		t.Fatal("refused sends must not be recorded as sent")
	}
}

func TestThrottlingPastTheThroughput(t *testing.T) {
	c, clock, _ := newChannel(t, sandbox.RouteConfig{Name: "r", Throughput: 2})
	for i := 0; i < 2; i++ {
		if out := c.Send(context.Background(), msg("+447400123456")); out.Result != detour.Accepted {
			t.Fatalf("send %d: %+v", i, out)
		}
	}
	out := c.Send(context.Background(), msg("+447400123456"))
	if out.Result != detour.Retryable || out.Reason != detour.ReasonThrottled || out.RetryAfter <= 0 || out.RetryAfter > 500*time.Millisecond {
		t.Fatalf("third send in the same instant: %+v", out)
	}
	clock.Advance(out.RetryAfter)
	if out := c.Send(context.Background(), msg("+447400123456")); out.Result != detour.Accepted {
		t.Fatalf("after the hint: %+v", out)
	}
}

func TestLatencyAndTimeout(t *testing.T) {
	c, clock, _ := newChannel(t, sandbox.RouteConfig{Name: "slow", Latency: 2 * time.Second})
	done := make(chan detour.Outcome)
	go func() { done <- c.Send(context.Background(), msg("+447400123456")) }()
	clock.WaitForWaiters(1, 5*time.Second)
	select {
	case <-done:
		t.Fatal("answered before its latency")
	case <-time.After(10 * time.Millisecond):
	}
	clock.Advance(2 * time.Second)
	if out := <-done; out.Result != detour.Accepted {
		t.Fatalf("%+v", out)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { done <- c.Send(ctx, msg("+447400123456")) }()
	clock.WaitForWaiters(1, 5*time.Second)
	cancel()
	if out := <-done; out.Result != detour.Retryable || out.Reason != detour.ReasonTimeout {
		t.Fatalf("a send cut short is a retryable timeout: %+v", out)
	}
}

func TestModesChangeAtRunTimeAndStopCancelsReceipts(t *testing.T) {
	c, clock, s := newChannel(t, sandbox.RouteConfig{Name: "r", ReceiptDelay: time.Second})
	if err := c.SetRoute(sandbox.RouteConfig{Name: "r", FailRate: 1}); err != nil {
		t.Fatal(err)
	}
	if out := c.Send(context.Background(), msg("+447400123456")); out.Result != detour.Retryable {
		t.Fatalf("the new mode applies: %+v", out)
	}
	if err := c.SetRoute(sandbox.RouteConfig{Name: "r", ReceiptDelay: time.Second}); err != nil {
		t.Fatal(err)
	}
	c.Send(context.Background(), msg("+447400123456"))
	c.Stop()
	clock.Advance(time.Hour)
	s.none(t)
	if err := c.SetRoute(sandbox.RouteConfig{Name: "r", FailRate: 2}); err == nil {
		t.Fatal("a share above 1 must be refused")
	}
}

func TestConfigIsValidated(t *testing.T) {
	for _, r := range []sandbox.RouteConfig{{}, {Name: "x", Latency: -1}, {Name: "x", FailRate: 0.6, RejectRate: 0.6}, {Name: "x", Throughput: -1}, {Name: "x", UndeliveredRate: 1.5}} {
		if _, err := sandbox.New(sandbox.Config{Routes: []sandbox.RouteConfig{r}}); err == nil {
			t.Errorf("%+v accepted", r)
		}
	}
	if _, err := sandbox.New(sandbox.Config{Routes: []sandbox.RouteConfig{{Name: "a"}, {Name: "a"}}}); err == nil {
		t.Error("a repeated route name must be refused")
	}
}
