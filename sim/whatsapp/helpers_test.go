package wasim

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/clocktest"
	"github.com/detourhq/detour/whatsapp"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	testToken     = "EAAGsimTOKEN0123456789abcdef"
	testAppSecret = "sim-app-secret-0f1e2d3c4b5a"
	testPNID      = "106540352242922"
	testDisplay   = "15550783881"
)

// detourStub stands in for Detour: our webhook handler behind an
// httptest server, collecting receipts and inbound messages.
type detourStub struct {
	*httptest.Server
	receipts chan detour.Receipt
	inbound  chan detour.Inbound
	mu       sync.Mutex
	failNext int // answer this many POSTs 503 first
}

func (d *detourStub) Receipt(_ context.Context, r detour.Receipt) error {
	d.receipts <- r
	return nil
}

func newDetour(t *testing.T) *detourStub {
	d := &detourStub{receipts: make(chan detour.Receipt, 1000), inbound: make(chan detour.Inbound, 100)}
	h, err := whatsapp.NewWebhookHandler(clientConfig(""), d, func(_ context.Context, in *detour.Inbound) error {
		d.inbound <- *in
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	d.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		fail := d.failNext > 0
		if fail {
			d.failNext--
		}
		d.mu.Unlock()
		if fail {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(d.Close)
	return d
}

func (d *detourStub) receipt(t *testing.T) detour.Receipt {
	t.Helper()
	select {
	case r := <-d.receipts:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no receipt arrived")
	}
	return detour.Receipt{}
}

func clientConfig(baseURL string) whatsapp.Config {
	if baseURL == "" {
		baseURL = "http://127.0.0.1:1"
	}
	return whatsapp.Config{BaseURL: baseURL, Token: testToken, AppSecret: testAppSecret, VerifyToken: "verify",
		Numbers: []whatsapp.Number{{Name: "main", PhoneNumberID: testPNID}}}
}

// start runs a simulator on a manual clock, with Detour at webhookURL
// ("" for none), stopped at the end of the test.
func start(t *testing.T, webhookURL string, mode Mode, b Behavior) (*Server, *clocktest.Clock) {
	t.Helper()
	return startConfig(t, Config{WebhookURL: webhookURL, Mode: mode, Behavior: b})
}

// startConfig is start with more of the configuration: the token, app
// secret, number, clock and retry delays are filled in.
func startConfig(t *testing.T, cfg Config) (*Server, *clocktest.Clock) {
	t.Helper()
	clk := clocktest.New(time.Date(2025, 6, 9, 12, 0, 0, 0, time.UTC))
	cfg.Token, cfg.AppSecret, cfg.Clock = testToken, testAppSecret, clk
	cfg.Numbers = []Number{{PhoneNumberID: testPNID, DisplayPhoneNumber: testDisplay}}
	cfg.RetryBase, cfg.RetryMax = time.Second, time.Minute
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop(context.Background()) })
	return s, clk
}

// client returns our Cloud API client pointed at s.
func client(t *testing.T, s *Server, timeout time.Duration) *whatsapp.Client {
	t.Helper()
	cfg := clientConfig(s.URL())
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	cfg.HTTPClient = &http.Client{Timeout: timeout, Transport: tr}
	c, err := whatsapp.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func send(c *whatsapp.Client, to string, content detour.Content) (detour.Outcome, whatsapp.Verdict) {
	return c.Submit(context.Background(), testPNID, &detour.Send{AttemptID: "att_1", To: to, Content: &content})
}

func whatsappClient(cfg whatsapp.Config) (*whatsapp.Client, error) {
	cfg.HTTPClient = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	return whatsapp.NewClient(cfg)
}

func newClientWith(cfg whatsapp.Config) (*whatsapp.Client, error) { return whatsapp.NewClient(cfg) }
