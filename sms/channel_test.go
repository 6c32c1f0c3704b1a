package sms_test

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/clocktest"
	"github.com/detourhq/detour/sim/smsc"
	"github.com/detourhq/detour/smpp"
	"github.com/detourhq/detour/sms"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// sink keeps what the channel hands over.
type sink struct {
	mu       sync.Mutex
	receipts []detour.Receipt
	inbound  []*detour.Inbound
	changed  chan struct{}
	// failSaves is how many saves of inbound messages fail from now on.
	failSaves int
	failed    int
}

func newSink() *sink { return &sink{changed: make(chan struct{}, 1000)} }

func (s *sink) Receipt(_ context.Context, r detour.Receipt) error {
	s.mu.Lock()
	s.receipts = append(s.receipts, r)
	s.mu.Unlock()
	s.changed <- struct{}{}
	return nil
}

func (s *sink) save(_ context.Context, in *detour.Inbound) error {
	s.mu.Lock()
	if s.failSaves > 0 {
		s.failSaves--
		s.failed++
		s.mu.Unlock()
		return errors.New("disk full")
	}
	s.inbound = append(s.inbound, in)
	s.mu.Unlock()
	s.changed <- struct{}{}
	return nil
}

// wait blocks until cond holds, or fails after a real-time bound.
func (s *sink) wait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		s.mu.Lock()
		ok := cond()
		s.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-s.changed:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func startSMSC(t *testing.T, b smsc.Behavior) *smsc.Server {
	t.Helper()
	return startSMSCWith(t, smsc.Config{Behavior: b, IDFormat: smsc.IDHex})
}

// startSMSCWith starts a simulator with cfg and the account routeTo binds with.
func startSMSCWith(t *testing.T, cfg smsc.Config) *smsc.Server {
	t.Helper()
	cfg.Accounts = []smsc.Account{{SystemID: "detour", Password: "secret"}}
	srv, err := smsc.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Stop(context.Background()) })
	return srv
}

func routeTo(t *testing.T, name string, srv *smsc.Server, prio int) sms.RouteConfig {
	t.Helper()
	host, port, _ := net.SplitHostPort(srv.Addr())
	p, _ := strconv.Atoi(port)
	return sms.RouteConfig{Name: name, Host: host, Port: p, SystemID: "detour", Password: "secret", SourceAddr: "Detour",
		SourceTON: 5, Priority: prio, ReconnectMin: 20 * time.Millisecond, ReconnectMax: 100 * time.Millisecond}
}

func startChannel(t *testing.T, s *sink, routes ...sms.RouteConfig) *sms.Channel {
	t.Helper()
	return startChannelWith(t, sms.Config{Routes: routes, Receipts: s, Inbound: s.save})
}

// startChannelWith starts a channel with cfg and waits for its routes to bind.
func startChannelWith(t *testing.T, cfg sms.Config) *sms.Channel {
	t.Helper()
	ch, err := sms.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ch.Stop(context.Background()) })
	waitBound(t, ch, cfg.Routes...)
	return ch
}

// waitBound waits until each route's first bind is bound.
func waitBound(t *testing.T, ch *sms.Channel, routes ...sms.RouteConfig) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for _, r := range routes {
		for {
			st := ch.RouteStats()[r.Name]
			if len(st.Binds) > 0 && st.Binds[0].State == smpp.StateBound {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("route %s never bound", r.Name)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

func send(ch *sms.Channel, text string) detour.Outcome {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return ch.Send(ctx, &detour.Send{AttemptID: "att_1", MessageID: "msg_1", To: "+447400123456", Content: &detour.Content{Text: text}})
}

func TestSendAndReceiptOverRealSMPP(t *testing.T) {
	srv := startSMSC(t, smsc.Behavior{ReceiptDelay: smsc.Fixed(0), Delivered: 1})
	s := newSink()
	ch := startChannel(t, s, routeTo(t, "op1", srv, 0))
	out := send(ch, "Your code is 123456")
	if out.Result != detour.Accepted || out.Route != "op1" || out.ProviderID == "" || out.Segments != 1 || out.Parts != nil {
		t.Fatalf("outcome %+v", out)
	}
	s.wait(t, "the receipt", func() bool { return len(s.receipts) == 1 })
	r := s.receipts[0]
	if r.Channel != "sms" || r.Route != "op1" || r.ProviderID != out.ProviderID || r.Status != detour.AttemptDelivered {
		t.Fatalf("receipt %+v does not match outcome %+v", r, out)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 || msgs[0].Text != "Your code is 123456" || msgs[0].To != "447400123456" {
		t.Fatalf("the handset got %+v", msgs)
	}
}

func TestLongMessagesGoInPartsAndEveryPartIsReported(t *testing.T) {
	srv := startSMSC(t, smsc.Behavior{ReceiptDelay: smsc.Fixed(0), Delivered: 1})
	s := newSink()
	ch := startChannel(t, s, routeTo(t, "op1", srv, 0))
	text := strings.Repeat("Ünïcödé long message with € and emoji 🚀. ", 6)
	out := send(ch, text)
	if out.Result != detour.Accepted || len(out.Parts) < 2 || out.ProviderID != out.Parts[0] || out.Segments != len(out.Parts) {
		t.Fatalf("outcome %+v", out)
	}
	s.wait(t, "a receipt for every part", func() bool { return len(s.receipts) == len(out.Parts) })
	got := map[string]bool{}
	for _, r := range s.receipts {
		got[r.ProviderID] = true
	}
	for _, id := range out.Parts {
		if !got[id] {
			t.Fatalf("no receipt for part %s: %+v", id, s.receipts)
		}
	}
	if msgs := srv.Messages(); len(msgs) != 1 || msgs[0].Text != text || msgs[0].Parts != len(out.Parts) {
		t.Fatalf("the handset got %+v", msgs)
	}
}

func TestThrottledRouteSendsOnTheNextOne(t *testing.T) {
	busy := startSMSC(t, smsc.Behavior{ReceiptDelay: smsc.Fixed(0), Delivered: 1, SubmitErrors: map[smpp.Status]float64{smpp.StatusThrottled: 1}})
	spare := startSMSC(t, smsc.Behavior{ReceiptDelay: smsc.Fixed(0), Delivered: 1})
	s := newSink()
	ch := startChannel(t, s, routeTo(t, "busy", busy, 0), routeTo(t, "spare", spare, 1))
	out := send(ch, "hello")
	if out.Result != detour.Accepted || out.Route != "spare" {
		t.Fatalf("outcome %+v", out)
	}
	if c := busy.Counters(); c.SubmitResps[smpp.StatusThrottled] != 1 {
		t.Fatalf("the busy route should have been tried once first: %+v", c.SubmitResps)
	}
	// The throttling route now goes last for a while.
	if out := send(ch, "again"); out.Route != "spare" {
		t.Fatalf("second send went to %s", out.Route)
	}
	if c := busy.Counters(); c.SubmitResps[smpp.StatusThrottled] != 1 {
		t.Fatalf("a throttling route must be tried after the others: %+v", c.SubmitResps)
	}
}

func TestInvalidDestinationIsPermanentEverywhere(t *testing.T) {
	bad := startSMSC(t, smsc.Behavior{SubmitErrors: map[smpp.Status]float64{smpp.StatusInvDstAdr: 1}})
	other := startSMSC(t, smsc.Behavior{ReceiptDelay: smsc.Fixed(0), Delivered: 1})
	s := newSink()
	ch := startChannel(t, s, routeTo(t, "a", bad, 0), routeTo(t, "b", other, 1))
	out := send(ch, "hello")
	if out.Result != detour.Permanent || out.Reason != detour.ReasonInvalidRecipient || out.Route != "a" {
		t.Fatalf("outcome %+v", out)
	}
	if other.Counters().Submits != 0 {
		t.Fatal("an invalid destination must not be tried on other routes")
	}
}

func TestDownRouteFallsToTheNext(t *testing.T) {
	down := startSMSC(t, smsc.Behavior{ReceiptDelay: smsc.Fixed(0), Delivered: 1})
	up := startSMSC(t, smsc.Behavior{ReceiptDelay: smsc.Fixed(0), Delivered: 1})
	s := newSink()
	ch := startChannel(t, s, routeTo(t, "down", down, 0), routeTo(t, "up", up, 1))
	if err := down.SetMode(smsc.Down); err != nil {
		t.Fatal(err)
	}
	out := send(ch, "hello")
	if out.Result != detour.Accepted || out.Route != "up" {
		t.Fatalf("outcome %+v", out)
	}
}

func TestMessagesFromHandsetsAreStored(t *testing.T) {
	srv := startSMSC(t, smsc.Behavior{ReceiptDelay: smsc.Fixed(0), Delivered: 1})
	s := newSink()
	startChannel(t, s, routeTo(t, "op1", srv, 0))
	long := strings.Repeat("STOP sending me offers please. ", 8)
	for _, text := range []string{"STOP", "Привет 👋", long} {
		if err := srv.InjectMO("447400123456", "Detour", text); err != nil {
			t.Fatal(err)
		}
	}
	s.wait(t, "three messages from the handset", func() bool { return len(s.inbound) == 3 })
	texts := map[string]bool{}
	for _, in := range s.inbound {
		if in.From != "+447400123456" || in.Channel != "sms" || in.Route != "op1" {
			t.Fatalf("inbound %+v", in)
		}
		texts[in.Text] = true
	}
	if !texts["STOP"] || !texts["Привет 👋"] || !texts[long] {
		t.Fatalf("texts %v", texts)
	}
	if len(s.receipts) != 0 {
		t.Fatal("messages from handsets are not receipts")
	}
}

// A long message from a handset whose store fails once is stored when the
// SMSC delivers again the part that was refused: the parts acknowledged
// before are kept until the whole message is stored.
func TestLongMessageFromHandsetSurvivesAFailedStore(t *testing.T) {
	srv := startSMSCWith(t, smsc.Config{RedeliveryDelay: 50 * time.Millisecond, IDFormat: smsc.IDHex,
		Behavior: smsc.Behavior{ReceiptDelay: smsc.Fixed(0), Delivered: 1}})
	s := newSink()
	s.failSaves = 1
	startChannel(t, s, routeTo(t, "op1", srv, 0))
	long := strings.Repeat("STOP sending me offers please. ", 8)
	if err := srv.InjectMO("447400123456", "Detour", long); err != nil {
		t.Fatal(err)
	}
	s.wait(t, "the long message stored after one failure", func() bool { return len(s.inbound) == 1 })
	s.mu.Lock()
	failed, text := s.failed, s.inbound[0].Text
	s.mu.Unlock()
	if failed != 1 || text != long {
		t.Fatalf("%d failed saves, stored %q", failed, text)
	}
	if r := srv.Counters().Redeliveries; r < 1 {
		t.Fatalf("%d redeliveries", r)
	}
}

// An SMSC that answers submit_sm in hex and writes receipts' text in
// decimal (receipt_ids: hex_to_decimal) still names the message in
// receipted_message_id as submit_sm_resp did: the receipt reaches the
// attempt, with the submit's id.
func TestReceiptIDConversionLeavesTheTLVAlone(t *testing.T) {
	srv := startSMSCWith(t, smsc.Config{IDFormat: smsc.IDHexDecimal,
		Behavior: smsc.Behavior{ReceiptDelay: smsc.Fixed(0), Delivered: 1}})
	s := newSink()
	rc := routeTo(t, "op1", srv, 0)
	rc.ReceiptIDs = sms.IDsHexToDecimal
	ch := startChannel(t, s, rc)
	var ids []string
	for range 20 { // enough that some hex ids have letters and some not
		out := send(ch, "hello")
		if out.Result != detour.Accepted {
			t.Fatalf("outcome %+v", out)
		}
		ids = append(ids, out.ProviderID)
	}
	s.wait(t, "20 receipts", func() bool { return len(s.receipts) == len(ids) })
	got := map[string]bool{}
	for _, r := range s.receipts {
		got[r.ProviderID] = true
	}
	for _, id := range ids {
		if !got[id] {
			t.Fatalf("no receipt for submit id %s; receipts name %v", id, got)
		}
	}
}

// A route the SMSC keeps throttling goes after a bound spare for as long
// as its client pauses submits (the pause doubles up to 4 s), not only for
// the channel's own second: a send does not wait out the pause on it.
func TestPausedRouteGoesAfterTheSpare(t *testing.T) {
	busy := startSMSC(t, smsc.Behavior{SubmitErrors: map[smpp.Status]float64{smpp.StatusThrottled: 1}})
	spare := startSMSC(t, smsc.Behavior{ReceiptDelay: smsc.Fixed(0), Delivered: 1})
	clk := clocktest.New(time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC))
	var mu sync.Mutex
	var rerouted []string
	ch := startChannelWith(t, sms.Config{Routes: []sms.RouteConfig{routeTo(t, "busy", busy, 0), routeTo(t, "spare", spare, 1)},
		Receipts: newSink(), Clock: clk,
		Rerouted: func(route string, _ time.Time, _ time.Duration, _ detour.Outcome) {
			mu.Lock()
			rerouted = append(rerouted, route)
			mu.Unlock()
		}})
	// Each send once the channel's second is over tries busy first, is
	// throttled and doubles its pause: 250 ms, 500 ms, 1 s, 2 s.
	for i := range 4 {
		if out := send(ch, "hi"); out.Result != detour.Accepted || out.Route != "spare" {
			t.Fatalf("send %d: %+v", i, out)
		}
		clk.Advance(1100 * time.Millisecond)
	}
	mu.Lock()
	n := len(rerouted)
	mu.Unlock()
	paused := ch.RouteStats()["busy"].PausedUntil
	if n != 4 || !paused.After(clk.Now()) {
		t.Fatalf("%d reroutes from busy, its pause ends at %v (now %v): the set-up did not throttle it", n, paused, clk.Now())
	}
	// Its pause has 0.9 s to run: the spare goes first and busy is not tried.
	if out := send(ch, "hi"); out.Result != detour.Accepted || out.Route != "spare" {
		t.Fatalf("send during the pause: %+v", out)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(rerouted) != n {
		t.Fatalf("the send during busy's pause tried busy first: reroutes %v", rerouted)
	}
}

// A route that throttles may take the message later; one that refuses it
// for good (invalid source address) never will. Together the send is
// retryable, not permanent: the step fails only when no route takes it.
func TestThrottledThenRefusedIsRetryable(t *testing.T) {
	busy := startSMSC(t, smsc.Behavior{SubmitErrors: map[smpp.Status]float64{smpp.StatusThrottled: 1}})
	picky := startSMSC(t, smsc.Behavior{SubmitErrors: map[smpp.Status]float64{smpp.StatusInvSrcAdr: 1}})
	ch := startChannel(t, newSink(), routeTo(t, "busy", busy, 0), routeTo(t, "picky", picky, 1))
	out := send(ch, "hello")
	if out.Result != detour.Retryable || out.Route != "busy" || out.Reason != detour.ReasonThrottled {
		t.Fatalf("outcome %+v, want retryable (throttled on busy)", out)
	}
	// Refused by every route: permanent.
	ch = startChannel(t, newSink(), routeTo(t, "picky", picky, 0))
	if out := send(ch, "hello"); out.Result != detour.Permanent || out.Reason != detour.ReasonRejected {
		t.Fatalf("outcome %+v, want permanent (rejected)", out)
	}
}
