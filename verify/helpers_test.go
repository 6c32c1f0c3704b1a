package verify_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/clocktest"
	"github.com/detourhq/detour/dispatch"
	"github.com/detourhq/detour/sqlite"
	"github.com/detourhq/detour/verify"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

const (
	secret = detour.Secret("a test secret of at least thirty-two bytes")
	tenant = "ten_1"
	number = "+447400123456"
)

// phone is a channel at the edge of the tests that stands for the
// provider and the handset: it accepts every send and keeps what arrived.
type phone struct {
	name string
	mu   sync.Mutex
	got  []detour.Send
	// quote, when set, refuses every send quoting what it was sent, as
	// some providers' validation errors do.
	quote bool
}

func (p *phone) Name() string                    { return p.name }
func (p *phone) Carries(detour.ContentKind) bool { return true }
func (p *phone) Send(_ context.Context, s *detour.Send) detour.Outcome {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := *s
	content := *s.Content
	c.Content = &content
	p.got = append(p.got, c)
	if p.quote {
		sent := content.Text
		if content.Template != nil {
			sent = strings.Join(content.Template.Params, ",")
		}
		return detour.PermanentOutcome(s.Route, detour.ReasonRejected, "parameter value is not valid: "+sent)
	}
	return detour.AcceptedOutcome(s.Route, "p-"+s.AttemptID)
}

func (p *phone) sends() []detour.Send {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]detour.Send(nil), p.got...)
}

var digits = regexp.MustCompile(`[0-9]{4,10}`)

// code returns the code the last message on the phone carried: the
// template's parameter on WhatsApp, the digits of the text elsewhere.
func (p *phone) code(t *testing.T) string {
	t.Helper()
	got := p.sends()
	if len(got) == 0 {
		t.Fatalf("%s received nothing", p.name)
	}
	c := got[len(got)-1].Content
	if c.Template != nil {
		return c.Template.Params[0]
	}
	return digits.FindString(c.Text)
}

// world is a verification service over the real dispatcher and the real
// SQLite store, on a manual clock, with a WhatsApp and an SMS phone.
type world struct {
	t      *testing.T
	clock  *clocktest.Clock
	store  *sqlite.DB
	engine *dispatch.Engine
	svc    *verify.Service
	wa     *phone
	sms    *phone
	ctx    context.Context
}

func newWorld(t *testing.T, tune func(*verify.Config)) *world {
	t.Helper()
	clock := clocktest.New(t0)
	store, err := sqlite.Open(context.Background(), t.TempDir(), sqlite.Options{Now: clock.Now, Exclusive: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	w := &world{t: t, clock: clock, store: store, wa: &phone{name: "whatsapp"}, sms: &phone{name: "sms"}, ctx: context.Background()}
	r, err := verify.NewRenderer(verify.RendererConfig{Store: store, Secret: secret, Clock: clock, TemplateChannels: []string{"whatsapp"}})
	if err != nil {
		t.Fatal(err)
	}
	w.engine, err = dispatch.New(dispatch.Config{
		Store: store, Channels: []detour.Channel{r.Wrap(w.wa), r.Wrap(w.sms)}, Clock: clock, Owner: "node-1",
		Rand: rand.New(rand.NewPCG(1, 2)), DefaultPolicy: []detour.Step{{Channel: "sms"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.engine.Stop)
	cfg := verify.Config{Messages: w.engine, Store: store, Secret: secret, Clock: clock,
		Channels: []string{"whatsapp", "sms"}, Known: []string{"whatsapp", "sms"}}
	if tune != nil {
		tune(&cfg)
	}
	w.svc, err = verify.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// run claims what is due now and waits for the sends it started.
func (w *world) run() {
	w.t.Helper()
	if _, err := w.engine.RunOnce(w.ctx, 100); err != nil {
		w.t.Fatal(err)
	}
	w.engine.Wait()
}

func (w *world) start(req *detour.VerificationRequest) *detour.Verification {
	w.t.Helper()
	if req.To == "" {
		req.To = number
	}
	v, created, err := w.svc.StartVerification(w.ctx, tenant, req)
	if err != nil {
		w.t.Fatalf("start: %v", err)
	}
	if !created {
		w.t.Fatalf("start returned the pending %s", v.ID)
	}
	return v
}

func (w *world) check(id, code string) *detour.Verification {
	w.t.Helper()
	v, err := w.svc.CheckVerification(w.ctx, tenant, id, code)
	if err != nil {
		w.t.Fatalf("check: %v", err)
	}
	return v
}

func (w *world) message(id string) *detour.Message {
	w.t.Helper()
	m, err := w.store.Message(w.ctx, tenant, id)
	if err != nil {
		w.t.Fatal(err)
	}
	return m
}

// events returns the tenant's verification.status events, oldest first.
func (w *world) events() []detour.VerificationStatusData {
	w.t.Helper()
	page, err := w.store.Events(w.ctx, detour.EventFilter{TenantID: tenant, Type: detour.EventVerificationStatus})
	if err != nil {
		w.t.Fatal(err)
	}
	var out []detour.VerificationStatusData
	for i := len(page.Events) - 1; i >= 0; i-- {
		var d detour.VerificationStatusData
		if err := json.Unmarshal(page.Events[i].Data, &d); err != nil {
			w.t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

func wantCode(t *testing.T, err error, code detour.Code) *detour.Error {
	t.Helper()
	if got := detour.ErrorCode(err); got != code {
		t.Fatalf("error %v (code %q), want %q", err, got, code)
	}
	e, _ := err.(*detour.Error)
	return e
}

func wrong(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if strings.Contains(x, s) {
			return true
		}
	}
	return false
}
