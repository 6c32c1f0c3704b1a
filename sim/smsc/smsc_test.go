package smsc

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/detourhq/detour/smpp"
	"github.com/detourhq/detour/smpp/coding"
)

func TestBind(t *testing.T) {
	s, _ := start(t, Config{SystemID: "opsim", MaxBinds: 2})
	c := dial(t, s.Addr())

	if p := c.send(smpp.CommandSubmitSM, sms("4477", "x", 0)); p == 0 {
		t.Fatal()
	}
	if p := c.read(); p.Command != smpp.CommandSubmitSMResp || p.Status != smpp.StatusInvBndSts {
		t.Fatalf("submit before bind: %s %s", p.Command, p.Status)
	}
	if p := c.bind(smpp.CommandBindTransceiver, "esme", "wrong"); p.Status != smpp.StatusInvPaswd {
		t.Fatalf("wrong password: %s", p.Status)
	}
	if p := c.bind(smpp.CommandBindTransceiver, "nobody", "secret"); p.Status != smpp.StatusInvSysID {
		t.Fatalf("unknown system_id: %s", p.Status)
	}
	p := c.bind(smpp.CommandBindTransceiver, "esme", "secret") // the client retries on the same link
	if p.Status != smpp.StatusOK {
		t.Fatalf("bind: %s", p.Status)
	}
	br := p.Body.(*smpp.BindResp)
	if br.SystemID != "opsim" || tlvByte(t, br.TLVs, smpp.TagSCInterfaceVersion) != 0x34 {
		t.Fatalf("bind_resp %+v", br)
	}
	if p := c.bind(smpp.CommandBindTransceiver, "esme", "secret"); p.Status != smpp.StatusAlyBnd {
		t.Fatalf("second bind on one link: %s", p.Status)
	}
	c.send(smpp.CommandEnquireLink, nil)
	if p := c.read(); p.Command != smpp.CommandEnquireLinkResp {
		t.Fatalf("enquire_link answered with %s", p.Command)
	}

	// MaxBinds: a second bind is fine, a third refused.
	dial(t, s.Addr()).mustBind(smpp.CommandBindReceiver)
	if p := dial(t, s.Addr()).bind(smpp.CommandBindTransmitter, "esme", "secret"); p.Status != smpp.StatusBindFail {
		t.Fatalf("bind past MaxBinds: %s", p.Status)
	}

	// A receiver may not submit.
	rx := dial(t, s.Addr())
	c.send(smpp.CommandUnbind, nil)
	if p := c.read(); p.Command != smpp.CommandUnbindResp {
		t.Fatalf("unbind answered with %s", p.Command)
	}
	c.expectClosed()
	waitFor(t, "the unbind to free a bind", func() bool { return s.Counters().Bound == 1 })
	rx.mustBind(smpp.CommandBindReceiver)
	rx.send(smpp.CommandSubmitSM, sms("4477", "x", 0))
	if p := rx.read(); p.Status != smpp.StatusInvBndSts {
		t.Fatalf("submit on a receiver: %s", p.Status)
	}

	ctr := s.Counters()
	if ctr.Binds != 3 || ctr.BindsRefused != 3 || ctr.Bound != 2 {
		t.Fatalf("counters %+v", ctr)
	}
}

func TestBindFailuresClose(t *testing.T) {
	s, _ := start(t, Config{})
	c := dial(t, s.Addr())
	for i := 0; i < maxBindFailures; i++ {
		if p := c.bind(smpp.CommandBindTransceiver, "esme", "guess"+strconv.Itoa(i)); p.Status != smpp.StatusInvPaswd {
			t.Fatalf("bind %d: %s", i, p.Status)
		}
	}
	c.expectClosed()
}

func TestSubmitAndReceipt(t *testing.T) {
	s, clk := start(t, Config{Behavior: Behavior{ReceiptDelay: Fixed(200 * time.Millisecond)}})
	c := dial(t, s.Addr())
	c.mustBind(smpp.CommandBindTransceiver)

	text := "Your code is 123456, valid for 10 minutes"
	p := c.submit(sms("447700900123", text, 1), nil)
	if p.Status != smpp.StatusOK {
		t.Fatalf("submit: %s", p.Status)
	}
	id := p.Body.(*smpp.SubmitSMResp).MessageID
	if id == "" {
		t.Fatal("no message id")
	}
	if !clk.WaitForWaiters(1, 10*time.Second) {
		t.Fatal("no receipt scheduled")
	}
	clk.Advance(200 * time.Millisecond)
	d := c.deliver(smpp.StatusOK)
	r := receiptOf(t, d)
	if r.ID != id || r.State != coding.StateDelivered || r.Submitted != 1 || r.Delivered != 1 || r.Err != "000" {
		t.Fatalf("receipt %+v for id %s", r, id)
	}
	if r.Text != text[:20] {
		t.Fatalf("receipt text %q", r.Text)
	}
	if !r.SubmitDate.Equal(t0.Truncate(time.Minute)) || !r.DoneDate.Equal(t0.Add(200*time.Millisecond).Truncate(time.Minute)) {
		t.Fatalf("dates %s %s", r.SubmitDate, r.DoneDate)
	}
	if d.SourceAddr != "447700900123" || d.DestinationAddr != "Detour" {
		t.Fatalf("receipt from %q to %q", d.SourceAddr, d.DestinationAddr)
	}
	if got := tlvString(t, d.TLVs, smpp.TagReceiptedMessageID); got != id {
		t.Fatalf("receipted_message_id %q, want %q", got, id)
	}
	if st := tlvByte(t, d.TLVs, smpp.TagMessageState); st != byte(coding.StateDelivered) {
		t.Fatalf("message_state %d", st)
	}
	waitFor(t, "the deliver_sm_resp", func() bool { return s.Counters().DeliverResps[smpp.StatusOK] == 1 })
	ctr := s.Counters()
	if ctr.Submits != 1 || ctr.SubmitResps[smpp.StatusOK] != 1 || ctr.Receipts[coding.StateDelivered] != 1 || ctr.Outstanding != 0 {
		t.Fatalf("counters %+v", ctr)
	}

	// Text only, like older SMSCs.
	b := s.Behavior()
	b.TextOnlyReceipts = true
	b.ReceiptDelay = Fixed(0)
	if err := s.SetBehavior(b); err != nil {
		t.Fatal(err)
	}
	var got []*smpp.DeliverSM
	c.submit(sms("447700900123", "hi", 1), &got)
	if len(got) == 0 {
		got = append(got, c.deliver(smpp.StatusOK))
	}
	if len(got[0].TLVs) != 0 {
		t.Fatalf("text-only receipt has TLVs %v", got[0].TLVs)
	}
	receiptOf(t, got[0])

	// registered_delivery 0 asks for nothing; 2 only for failures.
	c.submit(sms("447700900123", "no receipt", 0), nil)
	c.submit(sms("447700900123", "failure only", 2), nil)
	if ctr := s.Counters(); ctr.NotAsked != 2 || ctr.Scheduled != 0 {
		t.Fatalf("counters %+v", ctr)
	}
}

func TestOutcomeShares(t *testing.T) {
	s, _ := start(t, Config{Behavior: Behavior{Delivered: 0.7, Undeliverable: 0.2, Expired: 0.05}})
	c := dial(t, s.Addr())
	c.mustBind(smpp.CommandBindTransceiver)
	const n = 1000
	var got []*smpp.DeliverSM
	for i := 0; i < n; i++ {
		if p := c.submit(sms("4477009"+strconv.Itoa(i), "msg", 1), &got); p.Status != smpp.StatusOK {
			t.Fatalf("submit %d: %s", i, p.Status)
		}
	}
	ctr := s.Counters()
	for len(got) < n-int(ctr.NoReceipt) {
		got = append(got, c.deliver(smpp.StatusOK))
	}
	by := map[coding.State]int{}
	for _, d := range got {
		r := receiptOf(t, d)
		if st := coding.State(tlvByte(t, d.TLVs, smpp.TagMessageState)); st != r.State {
			t.Fatalf("TLV state %s, text %s", st, r.State)
		}
		by[r.State]++
	}
	check := func(name string, got, lo, hi int) {
		if got < lo || got > hi {
			t.Errorf("%s: %d of %d, want %d..%d", name, got, n, lo, hi)
		}
	}
	check("DELIVRD", by[coding.StateDelivered], 640, 760)
	check("UNDELIV", by[coding.StateUndeliverable], 160, 240)
	check("EXPIRED", by[coding.StateExpired], 25, 80)
	check("none", int(ctr.NoReceipt), 25, 80)
	// Read the counters again: the ones above were taken before the
	// receipts were sent.
	if n := s.Counters().Receipts[coding.StateDelivered]; int(n) != by[coding.StateDelivered] {
		t.Errorf("counted %d delivered, got %d", n, by[coding.StateDelivered])
	}
}

func TestSubmitErrors(t *testing.T) {
	s, _ := start(t, Config{Behavior: Behavior{SubmitErrors: map[smpp.Status]float64{
		smpp.StatusThrottled: 0.1, smpp.StatusMsgQFul: 0.1, smpp.StatusSysErr: 0.05, smpp.StatusInvDstAdr: 0.05}}})
	c := dial(t, s.Addr())
	c.mustBind(smpp.CommandBindTransmitter)
	by := map[smpp.Status]int{}
	for i := 0; i < 1000; i++ {
		p := c.submit(sms("4477", "x", 1), nil)
		by[p.Status]++
		if p.Status != smpp.StatusOK && p.Length != smpp.HeaderLen {
			t.Fatalf("error response with a body: %d octets", p.Length)
		}
	}
	want := map[smpp.Status][2]int{smpp.StatusOK: {650, 750}, smpp.StatusThrottled: {60, 140},
		smpp.StatusMsgQFul: {60, 140}, smpp.StatusSysErr: {20, 80}, smpp.StatusInvDstAdr: {20, 80}}
	for st, r := range want {
		if by[st] < r[0] || by[st] > r[1] {
			t.Errorf("%s: %d, want %d..%d", st, by[st], r[0], r[1])
		}
	}
	ctr := s.Counters()
	for st, n := range by {
		if ctr.SubmitResps[st] != int64(n) {
			t.Errorf("counter %s = %d, got %d", st, ctr.SubmitResps[st], n)
		}
	}
	// Errors switched off at run time.
	if err := s.SetBehavior(Behavior{}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50; i++ {
		if p := c.submit(sms("4477", "x", 0), nil); p.Status != smpp.StatusOK {
			t.Fatalf("after SetBehavior: %s", p.Status)
		}
	}
}

func TestThrottle(t *testing.T) {
	s, clk := start(t, Config{Behavior: Behavior{ThrottleAbove: 10}})
	c := dial(t, s.Addr())
	c.mustBind(smpp.CommandBindTransmitter)
	burst := func(n int) (ok, throttled int) {
		for i := 0; i < n; i++ {
			switch p := c.submit(sms("4477", "x", 0), nil); p.Status {
			case smpp.StatusOK:
				ok++
			case smpp.StatusThrottled:
				throttled++
			default:
				t.Fatalf("submit: %s", p.Status)
			}
		}
		return ok, throttled
	}
	if ok, th := burst(15); ok != 10 || th != 5 {
		t.Fatalf("first second: %d ok, %d throttled", ok, th)
	}
	clk.Advance(500 * time.Millisecond)
	if ok, th := burst(8); ok != 5 || th != 3 {
		t.Fatalf("half a second later: %d ok, %d throttled", ok, th)
	}
	clk.Advance(10 * time.Second) // the bucket holds one second's worth
	if ok, th := burst(12); ok != 10 || th != 2 {
		t.Fatalf("after a pause: %d ok, %d throttled", ok, th)
	}
}

// TestThrottledMode switches to Throttled and back at run time: past the
// mode's rate submits are refused with ESME_RTHROTTLED, and what it
// accepts is reported as usual.
func TestThrottledMode(t *testing.T) {
	s, clk := start(t, Config{ThrottledRate: 2, Behavior: Behavior{ReceiptDelay: Fixed(time.Second)}})
	c := dial(t, s.Addr())
	c.mustBind(smpp.CommandBindTransmitter)
	burst := func(n int) (ok, throttled int) {
		for i := 0; i < n; i++ {
			switch p := c.submit(sms("4477", "x", 0), nil); p.Status {
			case smpp.StatusOK:
				ok++
			case smpp.StatusThrottled:
				throttled++
			default:
				t.Fatalf("submit: %s", p.Status)
			}
		}
		return ok, throttled
	}
	if ok, th := burst(5); ok != 5 || th != 0 {
		t.Fatalf("healthy: %d ok, %d throttled", ok, th)
	}
	if err := s.SetMode(Throttled); err != nil {
		t.Fatal(err)
	}
	if s.Mode() != Throttled {
		t.Fatalf("mode %s", s.Mode())
	}
	if ok, th := burst(6); ok != 2 || th != 4 {
		t.Fatalf("throttled: %d ok, %d throttled", ok, th)
	}
	clk.Advance(500 * time.Millisecond)
	if ok, th := burst(3); ok != 1 || th != 2 {
		t.Fatalf("half a second later: %d ok, %d throttled", ok, th)
	}
	if err := s.SetMode(Healthy); err != nil {
		t.Fatal(err)
	}
	if ok, th := burst(5); ok != 5 || th != 0 {
		t.Fatalf("healthy again: %d ok, %d throttled", ok, th)
	}
	if ctr := s.Counters(); ctr.SubmitResps[smpp.StatusThrottled] != 6 || ctr.SubmitResps[smpp.StatusOK] != 13 {
		t.Fatalf("counters %+v", ctr.SubmitResps)
	}
	for _, name := range []string{"healthy", "silent", "down", "Throttled "} {
		if m, err := ParseMode(name); err != nil || !strings.EqualFold(m.String(), strings.TrimSpace(name)) {
			t.Errorf("ParseMode(%q) = %s, %v", name, m, err)
		}
	}
	if _, err := ParseMode("slow"); err == nil {
		t.Error("ParseMode accepts an unknown mode")
	}
}

func TestSilentMode(t *testing.T) {
	s, clk := start(t, Config{Mode: Silent, Behavior: Behavior{ReceiptDelay: Fixed(time.Second)}})
	c := dial(t, s.Addr())
	c.mustBind(smpp.CommandBindTransceiver)
	var silentID string
	for i := 0; i < 5; i++ {
		p := c.submit(sms("4477", "lost", 1), nil)
		if p.Status != smpp.StatusOK {
			t.Fatalf("silent submit: %s", p.Status)
		}
		silentID = p.Body.(*smpp.SubmitSMResp).MessageID
	}
	clk.Advance(time.Hour)
	ctr := s.Counters()
	if ctr.NoReceipt != 5 || ctr.Scheduled != 0 || ctr.Queued != 0 {
		t.Fatalf("counters %+v", ctr)
	}
	for _, m := range s.Messages() {
		if m.Delivered || !m.DeliveredAt.IsZero() {
			t.Fatalf("a handset got a message sent in silent mode: %+v", m)
		}
	}
	if err := s.SetMode(Healthy); err != nil {
		t.Fatal(err)
	}
	p := c.submit(sms("4477", "found", 1), nil)
	id := p.Body.(*smpp.SubmitSMResp).MessageID
	if !clk.WaitForWaiters(1, 10*time.Second) {
		t.Fatal("no receipt scheduled")
	}
	clk.Advance(time.Second)
	// The only receipt is the healthy one: the silent ones never come.
	if r := receiptOf(t, c.deliver(smpp.StatusOK)); r.ID != id {
		t.Fatalf("receipt for %s, want %s", r.ID, id)
	}
	c.send(smpp.CommandEnquireLink, nil)
	if p := c.read(); p.Command != smpp.CommandEnquireLinkResp {
		t.Fatalf("got %s, want only enquire_link_resp", p.Command)
	}
	// query_sm says the silent message is still en route.
	c.send(smpp.CommandQuerySM, &smpp.QuerySM{MessageID: silentID})
	q := c.read()
	if q.Status != smpp.StatusOK || q.Body.(*smpp.QuerySMResp).MessageState != byte(coding.StateEnroute) {
		t.Fatalf("query_sm: %s %+v", q.Status, q.Body)
	}
}

func TestDownMode(t *testing.T) {
	s, clk := start(t, Config{Behavior: Behavior{ReceiptDelay: Fixed(time.Second)}})
	c := dial(t, s.Addr())
	c.mustBind(smpp.CommandBindTransceiver)
	p := c.submit(sms("4477", "before the outage", 1), nil)
	id := p.Body.(*smpp.SubmitSMResp).MessageID

	if err := s.SetMode(Down); err != nil {
		t.Fatal(err)
	}
	c.expectClosed()
	if nc, err := net.Dial("tcp", s.Addr()); err == nil {
		nc.Close()
		t.Fatal("connected while down")
	}
	if !clk.WaitForWaiters(1, 10*time.Second) {
		t.Fatal("no receipt scheduled")
	}
	clk.Advance(time.Second) // the receipt comes due while nobody can take it
	waitFor(t, "the receipt to queue", func() bool { return s.Counters().Queued == 1 })

	if err := s.SetMode(Healthy); err != nil {
		t.Fatal(err)
	}
	rx := dial(t, s.Addr())
	rx.mustBind(smpp.CommandBindReceiver)
	if r := receiptOf(t, rx.deliver(smpp.StatusOK)); r.ID != id {
		t.Fatalf("receipt for %s, want %s", r.ID, id)
	}
	if ctr := s.Counters(); ctr.Binds != 2 || ctr.Unbinds != 1 {
		t.Fatalf("counters %+v", ctr)
	}
}

func TestStartDown(t *testing.T) {
	s, _ := start(t, Config{Mode: Down})
	if nc, err := net.Dial("tcp", s.Addr()); err == nil {
		nc.Close()
		t.Fatal("connected while down")
	}
	if err := s.SetMode(Healthy); err != nil {
		t.Fatal(err)
	}
	dial(t, s.Addr()).mustBind(smpp.CommandBindTransceiver)
}

func TestInjectMO(t *testing.T) {
	s, _ := start(t, Config{})
	// Queued before anyone is bound.
	if err := s.InjectMO("447700900123", "Detour", "Hello @ world {ok} €5"); err != nil {
		t.Fatal(err)
	}
	c := dial(t, s.Addr())
	c.mustBind(smpp.CommandBindReceiver)
	decode := func(d *smpp.DeliverSM) (string, coding.Concat) {
		t.Helper()
		if d.ESMClass&0x3C != 0 {
			t.Fatalf("MO with esm_class 0x%02x", d.ESMClass)
		}
		text, cc, err := coding.Decode(d.ShortMessage, d.DataCoding, d.ESMClass, coding.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return text, cc
	}
	d := c.deliver(smpp.StatusOK)
	if text, _ := decode(d); text != "Hello @ world {ok} €5" || d.DataCoding != 0 || d.SourceAddr != "447700900123" || d.DestinationAddr != "Detour" {
		t.Fatalf("GSM MO %q dc=%d from %s to %s", text, d.DataCoding, d.SourceAddr, d.DestinationAddr)
	}
	if err := s.InjectMO("447700900123", "Detour", "Привет 👋"); err != nil {
		t.Fatal(err)
	}
	d = c.deliver(smpp.StatusOK)
	if text, _ := decode(d); text != "Привет 👋" || d.DataCoding != 8 {
		t.Fatalf("UCS-2 MO %q dc=%d", text, d.DataCoding)
	}
	long := strings.Repeat("0123456789", 20)
	if err := s.InjectMO("447700900123", "Detour", long); err != nil {
		t.Fatal(err)
	}
	var joined string
	for i := 1; i <= 2; i++ {
		text, cc := decode(c.deliver(smpp.StatusOK))
		if cc.Total != 2 || int(cc.Seq) != i {
			t.Fatalf("part %d: %+v", i, cc)
		}
		joined += text
	}
	if joined != long {
		t.Fatalf("long MO joined %q", joined)
	}
	waitFor(t, "the answers", func() bool { return s.Counters().DeliverResps[smpp.StatusOK] == 4 })
	if ctr := s.Counters(); ctr.MO != 4 {
		t.Fatalf("counters %+v", ctr)
	}
	if err := s.InjectMO("", "Detour", "x"); err == nil {
		t.Fatal("MO without sender accepted")
	}
	if err := s.InjectMO("4477", "Detour", ""); err == nil {
		t.Fatal("empty MO accepted")
	}
}

func TestIDFormats(t *testing.T) {
	for _, f := range []IDFormat{IDDecimal, IDHex, IDHexDecimal} {
		t.Run(f.String(), func(t *testing.T) {
			s, _ := start(t, Config{IDFormat: f})
			c := dial(t, s.Addr())
			c.mustBind(smpp.CommandBindTransceiver)
			var got []*smpp.DeliverSM
			p := c.submit(sms("4477", "x", 1), &got)
			id := p.Body.(*smpp.SubmitSMResp).MessageID
			if len(got) == 0 {
				got = append(got, c.deliver(smpp.StatusOK))
			}
			r := receiptOf(t, got[0])
			if tlvString(t, got[0].TLVs, smpp.TagReceiptedMessageID) != id {
				t.Fatal("receipted_message_id differs from the submit_sm_resp id")
			}
			n, err := strconv.ParseUint(id, map[IDFormat]int{IDDecimal: 10, IDHex: 16, IDHexDecimal: 16}[f], 64)
			if err != nil {
				t.Fatalf("id %q: %v", id, err)
			}
			wantText := map[IDFormat]string{IDDecimal: strconv.FormatUint(n, 10), IDHex: strconv.FormatUint(n, 16),
				IDHexDecimal: strconv.FormatUint(n, 10)}[f]
			if r.ID != wantText || !coding.SameID(id, r.ID) {
				t.Fatalf("submit id %s, receipt id %s, want %s", id, r.ID, wantText)
			}
			if f != IDDecimal && strings.Trim(id, "0123456789") == "" {
				t.Fatalf("hex id %s has no letter: hex and decimal are not told apart", id)
			}
		})
	}
}

func TestQuerySM(t *testing.T) {
	s, clk := start(t, Config{IDFormat: IDHex, Behavior: Behavior{ReceiptDelay: Fixed(time.Minute), Undeliverable: 1}})
	c := dial(t, s.Addr())
	c.mustBind(smpp.CommandBindTransceiver)
	id := c.submit(sms("4477", "x", 0), nil).Body.(*smpp.SubmitSMResp).MessageID
	query := func(id string) smpp.PDU {
		c.send(smpp.CommandQuerySM, &smpp.QuerySM{MessageID: id})
		return c.read()
	}
	if q := query(id).Body.(*smpp.QuerySMResp); q.MessageState != byte(coding.StateEnroute) || q.FinalDate != "" {
		t.Fatalf("before the delay: %+v", q)
	}
	clk.Advance(time.Minute)
	q := query(id).Body.(*smpp.QuerySMResp)
	if q.MessageState != byte(coding.StateUndeliverable) || len(q.FinalDate) != 16 || q.MessageID != id {
		t.Fatalf("after the delay: %+v", q)
	}
	if p := query("ffffffffffffffff"); p.Status != smpp.StatusQueryFail {
		t.Fatalf("unknown id: %s", p.Status)
	}
	if p := query("not-an-id"); p.Status != smpp.StatusInvMsgID {
		t.Fatalf("bad id: %s", p.Status)
	}
}

func TestDataSM(t *testing.T) {
	s, _ := start(t, Config{})
	c := dial(t, s.Addr())
	c.mustBind(smpp.CommandBindTransceiver)
	c.send(smpp.CommandDataSM, &smpp.DataSM{SourceAddr: "Detour", DestinationAddr: "4477", RegisteredDelivery: 1,
		TLVs: smpp.TLVs{{Tag: smpp.TagMessagePayload, Value: []byte("payload text")}}})
	var id string
	for id == "" {
		p := c.read()
		switch p.Command {
		case smpp.CommandDataSMResp:
			id = p.Body.(*smpp.DataSMResp).MessageID
		case smpp.CommandDeliverSM:
			c.ack(p, smpp.StatusOK)
		}
	}
	if m := s.Messages(); len(m) != 1 || m[0].Text != "payload text" || m[0].IDs[0] != id {
		t.Fatalf("messages %+v", m)
	}
}

func TestMessagesReassembled(t *testing.T) {
	var seen []Message
	s, clk := start(t, Config{Behavior: Behavior{Delivered: 1, ReceiptDelay: Fixed(time.Second)},
		OnMessage: func(m Message) { seen = append(seen, m) }})
	c := dial(t, s.Addr())
	c.mustBind(smpp.CommandBindTransmitter)
	long := strings.Repeat("Ünïcödé? no: ", 20) + "end"
	for _, method := range []coding.SplitMethod{coding.SplitUDH, coding.SplitSAR} {
		enc, err := coding.Split(long, coding.Options{Split: method}, 7)
		if err != nil {
			t.Fatal(err)
		}
		for _, part := range enc.Parts {
			m := sms("447700900123", "", 0)
			m.ShortMessage, m.ESMClass, m.DataCoding = part.ShortMessage, part.ESMClass, enc.DataCoding
			if !part.SAR.IsZero() {
				m.TLVs = smpp.TLVs{smpp.Uint16TLV(smpp.TagSARMsgRefNum, part.SAR.Ref),
					smpp.Uint8TLV(smpp.TagSARTotalSegments, part.SAR.Total), smpp.Uint8TLV(smpp.TagSARSegmentSeqnum, part.SAR.Seq)}
			}
			if p := c.submit(m, nil); p.Status != smpp.StatusOK {
				t.Fatal(p.Status)
			}
			clk.Advance(100 * time.Millisecond)
		}
		msgs := s.Messages()
		last := msgs[len(msgs)-1]
		if last.Text != long || last.Parts != len(enc.Parts) || len(last.IDs) != last.Parts || !last.Delivered || last.To != "447700900123" {
			t.Fatalf("%s: %+v", method, last)
		}
		// The handset has the message once its last part is delivered.
		if want := clk.Now().Add(-100 * time.Millisecond).Add(time.Second); !last.DeliveredAt.Equal(want) {
			t.Fatalf("%s: delivered at %s, want %s", method, last.DeliveredAt, want)
		}
	}
	if len(s.Messages()) != 2 || len(seen) != 2 {
		t.Fatalf("%d messages, %d seen", len(s.Messages()), len(seen))
	}
}

func TestWindowAndRedelivery(t *testing.T) {
	s, clk := start(t, Config{Window: 3, RedeliveryDelay: 5 * time.Second})
	tx := dial(t, s.Addr())
	tx.mustBind(smpp.CommandBindTransmitter)
	for i := 0; i < 10; i++ {
		tx.submit(sms("4477", "x"+strconv.Itoa(i), 1), nil)
	}
	rx := dial(t, s.Addr())
	rx.mustBind(smpp.CommandBindReceiver)
	var held []smpp.PDU
	for i := 0; i < 3; i++ {
		held = append(held, rx.read())
	}
	// The receipts due reach the queue from the scheduler goroutine: wait
	// for all of them, then the window must still hold at 3.
	waitFor(t, "3 receipts outstanding and 7 queued", func() bool {
		c := s.Counters()
		return c.Outstanding == 3 && c.Queued == 7
	})
	// An error answer sends the receipt again after the redelivery delay;
	// the freed slot goes to the next one at once.
	rx.ack(held[0], smpp.StatusXTAppn)
	held = held[1:]
	held = append(held, rx.read())
	waitFor(t, "the redelivery to be scheduled", func() bool { return s.Counters().Scheduled == 1 })
	for _, p := range held {
		rx.ack(p, smpp.StatusOK)
	}
	for i := 0; i < 6; i++ {
		rx.deliver(smpp.StatusOK)
	}
	if !clk.WaitForWaiters(1, 10*time.Second) {
		t.Fatal("no redelivery timer")
	}
	clk.Advance(5 * time.Second)
	rx.deliver(smpp.StatusOK)
	waitFor(t, "all answers", func() bool { return s.Counters().DeliverResps[smpp.StatusOK] == 10 })
	ctr := s.Counters()
	if ctr.Redeliveries != 1 || ctr.Receipts[coding.StateDelivered] != 10 || ctr.DeliverResps[smpp.StatusXTAppn] != 1 {
		t.Fatalf("counters %+v", ctr)
	}

	// A bind that drops with receipts unanswered gets them again on the next.
	for i := 0; i < 2; i++ {
		tx.submit(sms("4477", "y", 1), nil)
	}
	rx.read()
	rx.read()
	rx.nc.Close()
	rx2 := dial(t, s.Addr())
	rx2.mustBind(smpp.CommandBindReceiver)
	rx2.deliver(smpp.StatusOK)
	rx2.deliver(smpp.StatusOK)
}

func TestMultipleReceiversShareReceipts(t *testing.T) {
	s, _ := start(t, Config{})
	tx := dial(t, s.Addr())
	tx.mustBind(smpp.CommandBindTransmitter)
	r1, r2 := dial(t, s.Addr()), dial(t, s.Addr())
	r1.mustBind(smpp.CommandBindReceiver)
	r2.mustBind(smpp.CommandBindReceiver)
	for i := 0; i < 4; i++ {
		tx.submit(sms("4477", "x", 1), nil)
	}
	waitFor(t, "receipts out", func() bool { return s.Counters().Outstanding == 4 })
	// Round robin: two each.
	for _, r := range []*client{r1, r2, r1, r2} {
		r.deliver(smpp.StatusOK)
	}
}

func TestStopUnbinds(t *testing.T) {
	s, _ := start(t, Config{})
	c := dial(t, s.Addr())
	c.mustBind(smpp.CommandBindTransceiver)
	idle := dial(t, s.Addr()) // never binds
	done := make(chan struct{})
	go func() {
		defer close(done)
		p, err := c.tryRead()
		if err != nil || p.Command != smpp.CommandUnbind {
			t.Errorf("want unbind, got %s %v", p.Command, err)
			return
		}
		c.write(smpp.PDU{Header: smpp.Header{Command: smpp.CommandUnbindResp, Sequence: p.Sequence}})
	}()
	s.Stop(context.Background())
	<-done
	c.expectClosed()
	idle.expectClosed()
	s.Stop(context.Background()) // twice is fine
	if err := s.Start(context.Background()); err == nil {
		t.Fatal("Start after Stop")
	}
}

func TestConfigValidation(t *testing.T) {
	acct := []Account{{SystemID: "esme", Password: "secret"}}
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "Accounts"},
		{Config{Accounts: []Account{{SystemID: "esme", Password: "toolongpassword"}}}, "Accounts[0].Password"},
		{Config{Accounts: append(acct, acct...)}, "Accounts[1].SystemID"},
		{Config{Accounts: acct, Behavior: Behavior{Delivered: 0.8, Undeliverable: 0.3}}, "add up"},
		{Config{Accounts: acct, Behavior: Behavior{Expired: -0.1}}, "Expired"},
		{Config{Accounts: acct, Behavior: Behavior{SubmitErrors: map[smpp.Status]float64{smpp.StatusOK: 0.1}}}, "SubmitErrors"},
		{Config{Accounts: acct, Behavior: Behavior{ThrottleAbove: -1}}, "ThrottleAbove"},
		{Config{Accounts: acct, Window: -1}, "Window"},
		{Config{Accounts: acct, ThrottledRate: -1}, "ThrottledRate"},
		{Config{Accounts: acct, Mode: Throttled + 1}, "Mode"},
	} {
		_, err := New(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want one naming %s", tc.cfg, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "toolongpassword") {
			t.Errorf("error prints the password: %v", err)
		}
	}
}
