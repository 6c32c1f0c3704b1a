package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/api"
	"github.com/detourhq/detour/client"
	"github.com/detourhq/detour/dispatch"
	"github.com/detourhq/detour/sqlite"
	"github.com/detourhq/detour/verify"
)

// phone is the channel of the verification tests: it takes every send and
// keeps the last code it was handed, like a handset.
type phone struct {
	mu   sync.Mutex
	code string
}

func (p *phone) Name() string                    { return "sms" }
func (p *phone) Carries(detour.ContentKind) bool { return true }
func (p *phone) Send(_ context.Context, s *detour.Send) detour.Outcome {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.code = s.Content.Text[len("Your code is ") : len("Your code is ")+6]
	return detour.AcceptedOutcome("", "p-"+s.AttemptID)
}

func (p *phone) last() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.code
}

// newVerifyServer runs the API over the real verification service,
// dispatcher (sending at once) and SQLite store in dir, with at most two
// messages per number.
func newVerifyServer(dir string) (srv *httptest.Server, key string, p *phone, stop func()) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, dir, sqlite.Options{Exclusive: true})
	if err != nil {
		panic(err)
	}
	const secret = detour.Secret("a client test secret of thirty-two bytes")
	p = &phone{}
	r, _ := verify.NewRenderer(verify.RendererConfig{Store: store, Secret: secret})
	engine, err := dispatch.New(dispatch.Config{Store: store, Channels: []detour.Channel{r.Wrap(p)},
		DefaultPolicy: []detour.Step{{Channel: "sms"}}, PollInterval: 10 * time.Millisecond})
	if err != nil {
		panic(err)
	}
	svc, err := verify.New(verify.Config{Messages: engine, Store: store, Secret: secret, Channels: []string{"sms"},
		Limits: verify.Limits{PerNumber: verify.Limit{Max: 2, Window: time.Hour}}})
	if err != nil {
		panic(err)
	}
	h, err := api.New(api.Config{Messages: engine, Keys: store, Verifications: svc})
	if err != nil {
		panic(err)
	}
	plain, k := detour.NewAPIKey(detour.NewIDSource(time.Now, nil), time.Now())
	if err := store.CreateAPIKey(ctx, "acme", k); err != nil {
		panic(err)
	}
	if err := engine.Start(ctx); err != nil {
		panic(err)
	}
	srv = httptest.NewServer(h)
	return srv, plain, p, func() { srv.Close(); engine.Stop(); store.Close() }
}

// waitForCode waits for the handset to receive a code.
func waitForCode(p *phone, not string) string {
	deadline := time.Now().Add(5 * time.Second)
	for p.last() == "" || p.last() == not {
		if time.Now().After(deadline) {
			panic("no code arrived")
		}
		time.Sleep(time.Millisecond)
	}
	return p.last()
}

func TestVerifications(t *testing.T) {
	srv, key, p, stop := newVerifyServer(t.TempDir())
	defer stop()
	c := client.New(srv.URL, key)
	ctx := context.Background()
	v, created, err := c.StartVerification(ctx, &detour.VerificationRequest{To: "+447400123456"})
	if err != nil || !created || v.Status != "pending" || len(v.Attempts) != 1 {
		t.Fatalf("start: %+v %v %v", v, created, err)
	}
	again, created, err := c.StartVerification(ctx, &detour.VerificationRequest{To: "+447400123456"})
	if err != nil || created || again.ID != v.ID {
		t.Fatalf("start again: %+v %v %v", again, created, err)
	}
	code := waitForCode(p, "")
	wrongCode := "000000"
	if code == wrongCode {
		wrongCode = "111111"
	}
	if got, err := c.CheckVerification(ctx, v.ID, wrongCode); err != nil || got.Status != "pending" || got.ChecksLeft != 4 {
		t.Fatalf("wrong code: %+v %v", got, err)
	}
	if got, err := c.ResendVerification(ctx, v.ID, ""); err != nil || len(got.Attempts) != 2 {
		t.Fatalf("resend: %+v %v", got, err)
	}
	// Two messages to the number this hour: the limit answers 429 with
	// Retry-After.
	_, err = c.ResendVerification(ctx, v.ID, "sms")
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Status != 429 || ce.Code() != "verify_rate_limited" || ce.RetryAfter < 59*time.Minute {
		t.Fatalf("third message: %v", err)
	}
	if got, err := c.CheckVerification(ctx, v.ID, code); err != nil || got.Status != "approved" {
		t.Fatalf("right code: %+v %v", got, err)
	}
	if got, err := c.Verification(ctx, v.ID); err != nil || got.Status != "approved" || got.ChecksLeft != 0 {
		t.Fatalf("get: %+v %v", got, err)
	}
	_, err = c.CancelVerification(ctx, v.ID)
	if !errors.As(err, &ce) || ce.Status != 409 || ce.Code() != "verification_not_pending" {
		t.Fatalf("cancel approved: %v", err)
	}
	other, _, err := c.StartVerification(ctx, &detour.VerificationRequest{To: "+447400123457"})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.CancelVerification(ctx, other.ID); err != nil || got.Status != "canceled" {
		t.Fatalf("cancel: %+v %v", got, err)
	}
}

// Verify a phone number: send a code, then check what the user typed.
func ExampleClient_StartVerification() {
	dir, _ := os.MkdirTemp("", "detour-example")
	defer os.RemoveAll(dir)
	srv, key, handset, stop := newVerifyServer(dir) // a Detour server sending to a test handset
	defer stop()
	ctx := context.Background()

	c := client.New(srv.URL, key)
	v, created, err := c.StartVerification(ctx, &detour.VerificationRequest{To: "+447400123456", Locale: "en"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(v.Status, created, v.ChecksLeft)

	typed := waitForCode(handset, "") // what the user read on their phone
	v, err = c.CheckVerification(ctx, v.ID, typed)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(v.Status)
	// Output:
	// pending true 5
	// approved
}
