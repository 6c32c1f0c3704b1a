package smpp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/detourhq/detour/clocktest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const testPassword = "pw!x7Q"

// startClient starts a client against s with quick reconnects; the test's
// cleanup stops it.
func startClient(t testing.TB, s *testSMSC, cfg ClientConfig) *Client {
	t.Helper()
	cfg.Addr = s.addr()
	if cfg.SystemID == "" {
		cfg.SystemID = "detour"
	}
	if cfg.Password == "" {
		cfg.Password = testPassword
	}
	if cfg.ReconnectMin == 0 {
		cfg.ReconnectMin = time.Millisecond
		cfg.ReconnectMax = 5 * time.Millisecond
	}
	c := NewClient(cfg)
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c.Stop(ctx)
	})
	return c
}

func waitBound(t testing.TB, c *Client, n int) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%d bound connections", n), func() bool {
		k := 0
		for _, b := range c.Stats().Binds {
			if b.State == StateBound {
				k++
			}
		}
		return k >= n
	})
}

func msg(to string) *SubmitSM {
	return &SubmitSM{DestAddrTON: 1, DestAddrNPI: 1, DestinationAddr: to, ShortMessage: []byte("hello")}
}

// submitAsync submits m in a goroutine and returns the channel of its
// outcome.
type outcome struct {
	res SubmitResult
	err error
}

func submitAsync(ctx context.Context, c *Client, m *SubmitSM) <-chan outcome {
	ch := make(chan outcome, 1)
	go func() {
		r, err := c.Submit(ctx, m)
		ch <- outcome{r, err}
	}()
	return ch
}

func recv(t *testing.T, ch <-chan outcome) outcome {
	t.Helper()
	select {
	case o := <-ch:
		return o
	case <-time.After(10 * time.Second):
		t.Fatal("submit never returned")
		return outcome{}
	}
}

func TestSubmit(t *testing.T) {
	s := newTestSMSC(t)
	c := startClient(t, s, ClientConfig{SystemType: "OTP"})
	res, err := c.Submit(context.Background(), msg("447700900123"))
	if err != nil {
		t.Fatal(err)
	}
	if res.MessageID != "m1" || res.Status != StatusOK {
		t.Errorf("result %+v, want m1 ESME_ROK", res)
	}
	s.mu.Lock()
	bind := s.binds[0]
	sub := s.submits[0]
	s.mu.Unlock()
	b := bind.Body.(*Bind)
	if bind.Command != CommandBindTransceiver || b.SystemID != "detour" || b.Password != testPassword || b.SystemType != "OTP" || b.InterfaceVersion != 0x34 {
		t.Errorf("bind %s %+v", bind.Command, b)
	}
	if got := sub.Body.(*SubmitSM).DestinationAddr; got != "447700900123" || sub.Sequence == 1 {
		t.Errorf("submit_sm to %q seq %d", got, sub.Sequence)
	}
	res, err = c.SubmitData(context.Background(), &DataSM{DestinationAddr: "447700900123"})
	if err != nil || res.MessageID != "m2" {
		t.Errorf("data_sm: %+v %v", res, err)
	}
	st := c.Stats().Binds[0]
	if st.State != StateBound || st.Mode != "transceiver" || st.Submitted != 2 || st.Responses[StatusOK] != 2 || st.InFlight != 0 || st.Window != 100 {
		t.Errorf("stats %+v", st)
	}
}

func TestSubmitInvalidMessageFailsWithoutSending(t *testing.T) {
	s := newTestSMSC(t)
	c := startClient(t, s, ClientConfig{})
	_, err := c.Submit(context.Background(), &SubmitSM{DestinationAddr: strings.Repeat("1", 30)})
	if !errors.Is(err, ErrTooLong) {
		t.Fatalf("err %v, want ErrTooLong", err)
	}
	if n := s.nsubmits(); n != 0 {
		t.Errorf("%d submits reached the SMSC", n)
	}
}

func TestWindowLimit(t *testing.T) {
	s := newTestSMSC(t)
	s.setHold(true)
	const window, total = 5, 23
	c := startClient(t, s, ClientConfig{Window: window})
	var chans []<-chan outcome
	for i := range total {
		chans = append(chans, submitAsync(context.Background(), c, msg(fmt.Sprint(i))))
	}
	answered := 0
	for answered < total {
		waitFor(t, "held submits", func() bool { return s.nheld() == min(window, total-answered) })
		// A full window at the SMSC is the client's whole window. (In the
		// last round the client may not have read every answer yet.)
		if got := c.Stats().Binds[0].InFlight; s.nheld() == window && got != window {
			t.Errorf("InFlight %d with a full window at the SMSC", got)
		}
		for _, h := range s.take() {
			h.c.send(okResp(h.p, "x"))
			answered++
		}
	}
	for _, ch := range chans {
		if o := recv(t, ch); o.err != nil {
			t.Error(o.err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.maxHeld != window {
		t.Errorf("at most %d outstanding at the SMSC, want %d", s.maxHeld, window)
	}
}

func TestResponsesOutOfOrder(t *testing.T) {
	s := newTestSMSC(t)
	s.setHold(true)
	c := startClient(t, s, ClientConfig{})
	const n = 10
	chans := make([]<-chan outcome, n)
	for i := range n {
		chans[i] = submitAsync(context.Background(), c, msg(fmt.Sprint(1000+i)))
	}
	waitFor(t, "all held", func() bool { return s.nheld() == n })
	held := s.take()
	for i := len(held) - 1; i >= 0; i-- {
		h := held[i]
		h.c.send(okResp(h.p, "id-"+h.p.Body.(*SubmitSM).DestinationAddr))
	}
	for i, ch := range chans {
		o := recv(t, ch)
		if want := fmt.Sprintf("id-%d", 1000+i); o.err != nil || o.res.MessageID != want {
			t.Errorf("submit %d: %+v %v, want %s", i, o.res, o.err, want)
		}
	}
}

func TestBindDropResolvesOutstanding(t *testing.T) {
	s := newTestSMSC(t)
	s.setHold(true)
	c := startClient(t, s, ClientConfig{})
	waitBound(t, c, 1)
	const n = 10
	var chans []<-chan outcome
	for i := range n {
		chans = append(chans, submitAsync(context.Background(), c, msg(fmt.Sprint(i))))
	}
	waitFor(t, "all held", func() bool { return s.nheld() == n })
	s.take()
	s.drop()
	for _, ch := range chans {
		if o := recv(t, ch); !errors.Is(o.err, ErrConnectionLost) {
			t.Errorf("err %v, want ErrConnectionLost", o.err)
		}
	}
	s.setHold(false)
	waitFor(t, "a second bind", func() bool { return s.nbinds() >= 2 })
	if _, err := c.Submit(context.Background(), msg("1")); err != nil {
		t.Fatalf("after rebind: %v", err)
	}
	st := c.Stats().Binds[0]
	if st.Lost != n || st.Reconnects < 1 || st.LastError == "" {
		t.Errorf("stats %+v", st)
	}
}

func TestBindRefusedBacksOff(t *testing.T) {
	s := newTestSMSC(t)
	s.set(func() { s.bindStatus = StatusInvPaswd })
	clk := clocktest.New(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	var logs bytes.Buffer
	c := startClient(t, s, ClientConfig{
		Clock:        clk,
		ReconnectMin: time.Second,
		ReconnectMax: time.Minute,
		Logger:       slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	waitFor(t, "the first bind", func() bool { return s.nbinds() == 1 })
	// The binder now waits on the clock, which does not move: it cannot
	// bind again.
	if !clk.WaitForWaiters(1, 10*time.Second) {
		t.Fatal("no backoff timer")
	}
	if n := s.nbinds(); n != 1 {
		t.Fatalf("%d binds without the clock moving", n)
	}
	st := c.Stats().Binds[0]
	if st.State != StateConnecting || !strings.Contains(st.LastError, "ESME_RINVPASWD") {
		t.Errorf("stats %+v", st)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	_, err := c.Submit(ctx, msg("1"))
	cancel()
	if !errors.Is(err, ErrNotBound) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("submit while unbound: %v", err)
	}
	clk.Advance(time.Minute)
	waitFor(t, "a second bind", func() bool { return s.nbinds() == 2 })
	s.set(func() { s.bindStatus = StatusOK })
	if !clk.WaitForWaiters(1, 10*time.Second) {
		t.Fatal("no backoff timer")
	}
	clk.Advance(time.Minute)
	waitBound(t, c, 1)
	if _, err := c.Submit(context.Background(), msg("1")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c.Stop(ctx)
	if strings.Contains(logs.String(), testPassword) {
		t.Errorf("the password was logged:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "ESME_RINVPASWD") {
		t.Errorf("the refusal was not logged:\n%s", logs.String())
	}
}

func TestBackoff(t *testing.T) {
	lo, hi := time.Second, 30*time.Second
	for n, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, hi, hi, hi} {
		if got := backoff(n, lo, hi, 0.999999); got < want-time.Millisecond || got > want {
			t.Errorf("backoff(%d, r≈1) = %v, want %v", n, got, want)
		}
		if got, floor := backoff(n, lo, hi, 0), max(want/2, lo); got != floor {
			t.Errorf("backoff(%d, 0) = %v, want %v", n, got, floor)
		}
	}
	if got := backoff(1000, lo, hi, 0.5); got > hi || got < lo {
		t.Errorf("backoff(1000) = %v", got)
	}
}

func TestAnswersEnquireLink(t *testing.T) {
	s := newTestSMSC(t)
	c := startClient(t, s, ClientConfig{})
	waitBound(t, c, 1)
	s.last().send(PDU{Header: Header{Command: CommandEnquireLink, Sequence: 77}})
	waitFor(t, "enquire_link_resp", func() bool { return len(s.responses()) == 1 })
	if r := s.responses()[0]; r.Command != CommandEnquireLinkResp || r.Sequence != 77 || r.Status != StatusOK {
		t.Errorf("answer %+v", r.Header)
	}
}

func TestEnquireLinkWhenIdle(t *testing.T) {
	s := newTestSMSC(t)
	clk := clocktest.New(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	c := startClient(t, s, ClientConfig{Clock: clk, EnquireLink: 4 * time.Second, ResponseTimeout: time.Hour})
	waitBound(t, c, 1)
	waitFor(t, "an enquire_link", func() bool {
		clk.Advance(time.Second)
		return s.nenquires() > 0
	})
	// Answered: still the same bind, and keep-alives go on.
	waitFor(t, "more enquire_links", func() bool {
		clk.Advance(time.Second)
		return s.nenquires() > 3
	})
	if n := s.nbinds(); n != 1 {
		t.Errorf("%d binds, want 1", n)
	}
}

func TestUnansweredEnquireLinkReconnects(t *testing.T) {
	s := newTestSMSC(t)
	s.set(func() { s.ignoreEnquire = true })
	clk := clocktest.New(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	c := startClient(t, s, ClientConfig{Clock: clk, EnquireLink: 4 * time.Second, ResponseTimeout: 4 * time.Second})
	waitBound(t, c, 1)
	waitFor(t, "a rebind", func() bool {
		clk.Advance(time.Second)
		return s.nbinds() >= 2
	})
	if s.nenquires() == 0 {
		t.Error("no enquire_link was sent")
	}
	if st := c.Stats().Binds[0]; !strings.Contains(st.LastError, "enquire_link") {
		t.Errorf("last error %q", st.LastError)
	}
}

func TestResponseTimeout(t *testing.T) {
	s := newTestSMSC(t)
	s.setHold(true)
	clk := clocktest.New(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	c := startClient(t, s, ClientConfig{Clock: clk, EnquireLink: time.Hour, ResponseTimeout: 4 * time.Second})
	waitBound(t, c, 1)
	ch := submitAsync(context.Background(), c, msg("1"))
	waitFor(t, "held", func() bool { return s.nheld() == 1 })
	var o outcome
	waitFor(t, "the timeout", func() bool {
		clk.Advance(time.Second)
		select {
		case o = <-ch:
			return true
		default:
			return false
		}
	})
	if !errors.Is(o.err, ErrResponseTimeout) {
		t.Fatalf("err %v, want ErrResponseTimeout", o.err)
	}
	// The timeout sent an enquire_link, which was answered: the bind
	// stays. A late response is dropped.
	waitFor(t, "a probe answered", func() bool {
		c.binders[0].mu.Lock()
		ss := c.binders[0].session
		c.binders[0].mu.Unlock()
		ss.mu.Lock()
		defer ss.mu.Unlock()
		return s.nenquires() == 1 && ss.enquireSeq == 0
	})
	h := s.take()[0]
	h.c.send(okResp(h.p, "late"))
	if st := c.Stats().Binds[0]; st.Timeouts != 1 || s.nbinds() != 1 {
		t.Errorf("stats %+v, %d binds", st, s.nbinds())
	}
	// maxTimeouts in a row close the connection, even if enquire_link is
	// answered.
	var chans []<-chan outcome
	for i := range maxTimeouts {
		chans = append(chans, submitAsync(context.Background(), c, msg(fmt.Sprint(i))))
	}
	waitFor(t, "held", func() bool { return s.nheld() == maxTimeouts })
	waitFor(t, "a rebind", func() bool {
		clk.Advance(time.Second)
		return s.nbinds() == 2
	})
	for _, ch := range chans {
		if o := recv(t, ch); !errors.Is(o.err, ErrResponseTimeout) {
			t.Errorf("err %v, want ErrResponseTimeout", o.err)
		}
	}
}

func TestSMSCUnbindReconnects(t *testing.T) {
	s := newTestSMSC(t)
	c := startClient(t, s, ClientConfig{})
	waitBound(t, c, 1)
	s.last().send(PDU{Header: Header{Command: CommandUnbind, Sequence: 9}})
	waitFor(t, "unbind_resp", func() bool { return len(s.responses()) == 1 })
	if r := s.responses()[0]; r.Command != CommandUnbindResp || r.Sequence != 9 {
		t.Errorf("answer %+v", r.Header)
	}
	waitFor(t, "a rebind", func() bool { return s.nbinds() == 2 })
	if _, err := c.Submit(context.Background(), msg("1")); err != nil {
		t.Fatal(err)
	}
}

func TestDeliverSM(t *testing.T) {
	s := newTestSMSC(t)
	var mu sync.Mutex
	var got []string
	c := startClient(t, s, ClientConfig{
		OnDeliver: func(ctx context.Context, m *DeliverSM) Status {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, string(m.ShortMessage))
			if string(m.ShortMessage) == "busy" {
				return StatusXTAppn
			}
			return StatusOK
		},
		OnDataSM: func(ctx context.Context, m *DataSM) Status { return StatusXPAppn },
	})
	waitBound(t, c, 1)
	conn := s.last()
	conn.send(PDU{Header: Header{Command: CommandDeliverSM, Sequence: 5}, Body: &DeliverSM{ESMClass: 0x04, ShortMessage: []byte("id:1 stat:DELIVRD")}})
	conn.send(PDU{Header: Header{Command: CommandDeliverSM, Sequence: 6}, Body: &DeliverSM{ShortMessage: []byte("busy")}})
	conn.send(PDU{Header: Header{Command: CommandDataSM, Sequence: 7}, Body: &DataSM{}})
	waitFor(t, "three answers", func() bool { return len(s.responses()) == 3 })
	want := []Header{
		{Command: CommandDeliverSMResp, Sequence: 5, Status: StatusOK},
		{Command: CommandDeliverSMResp, Sequence: 6, Status: StatusXTAppn},
		{Command: CommandDataSMResp, Sequence: 7, Status: StatusXPAppn},
	}
	for i, r := range s.responses() {
		r.Header.Length = 0
		if r.Header != want[i] {
			t.Errorf("answer %d: %+v, want %+v", i, r.Header, want[i])
		}
	}
	mu.Lock()
	if strings.Join(got, "|") != "id:1 stat:DELIVRD|busy" {
		t.Errorf("handled %q", got)
	}
	mu.Unlock()
	if st := c.Stats().Binds[0]; st.DeliverSM != 2 || st.Receipts != 1 || st.DataSM != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestGenericNackResolvesItsSubmit(t *testing.T) {
	s := newTestSMSC(t)
	s.setHold(true)
	c := startClient(t, s, ClientConfig{})
	var chans []<-chan outcome
	for i := range 3 {
		chans = append(chans, submitAsync(context.Background(), c, msg(fmt.Sprint(i))))
	}
	waitFor(t, "held", func() bool { return s.nheld() == 3 })
	for _, h := range s.take() {
		if h.p.Body.(*SubmitSM).DestinationAddr == "1" {
			h.c.send(PDU{Header: Header{Command: CommandGenericNack, Status: StatusInvCmdLen, Sequence: h.p.Sequence}})
		} else {
			h.c.send(okResp(h.p, "ok"))
		}
	}
	for i, ch := range chans {
		o := recv(t, ch)
		var se *StatusError
		switch {
		case i == 1 && (!errors.As(o.err, &se) || se.Status != StatusInvCmdLen || se.Command != CommandGenericNack):
			t.Errorf("submit 1: %v, want a generic_nack StatusError", o.err)
		case i != 1 && o.err != nil:
			t.Errorf("submit %d: %v", i, o.err)
		}
	}
}

func TestStatusErrorAndThrottledPause(t *testing.T) {
	s := newTestSMSC(t)
	clk := clocktest.New(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	c := startClient(t, s, ClientConfig{Clock: clk, EnquireLink: time.Hour, ResponseTimeout: time.Hour})
	waitBound(t, c, 1)
	s.setHandle(func(c *smscConn, p PDU) bool {
		if p.Command != CommandSubmitSM {
			return false
		}
		s.setHandle(nil)
		c.reply(PDU{Header: Header{Command: CommandSubmitSMResp, Status: StatusThrottled, Sequence: p.Sequence}})
		return true
	})
	res, err := c.Submit(context.Background(), msg("1"))
	var se *StatusError
	if !errors.As(err, &se) || se.Status != StatusThrottled || res.Status != StatusThrottled {
		t.Fatalf("%+v %v, want ESME_RTHROTTLED", res, err)
	}
	if got, want := c.Stats().PausedUntil, clk.Now().Add(pauseMin); !got.Equal(want) {
		t.Errorf("paused until %v, want %v", got, want)
	}
	const base = 1 // the session's ticker
	if !clk.WaitForWaiters(base, 10*time.Second) {
		t.Fatal("no ticker")
	}
	ch := submitAsync(context.Background(), c, msg("2"))
	if !clk.WaitForWaiters(base+1, 10*time.Second) {
		t.Fatal("the submit did not wait for the pause")
	}
	if n := s.nsubmits(); n != 0 {
		t.Fatalf("%d submits reached the SMSC during the pause", n)
	}
	clk.Advance(pauseMin)
	if o := recv(t, ch); o.err != nil {
		t.Fatal(o.err)
	}
	if !c.Stats().PausedUntil.IsZero() {
		t.Error("still paused")
	}
}

func TestThroughputLimit(t *testing.T) {
	s := newTestSMSC(t)
	clk := clocktest.New(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	// 10/s: a burst of one, then one every 100ms of the clock.
	c := startClient(t, s, ClientConfig{Clock: clk, Throughput: 10, EnquireLink: time.Hour, ResponseTimeout: time.Hour})
	waitBound(t, c, 1)
	const base = 1 // the session's ticker
	if !clk.WaitForWaiters(base, 10*time.Second) {
		t.Fatal("no ticker")
	}
	results := make(chan outcome, 3)
	for i := range 3 {
		go func() {
			r, err := c.Submit(context.Background(), msg(fmt.Sprint(i)))
			results <- outcome{r, err}
		}()
	}
	done := 0
	for want := 1; want <= 3; want++ {
		// Everything not yet allowed waits on the clock.
		if !clk.WaitForWaiters(base+3-want, 10*time.Second) {
			t.Fatal("submits do not wait for the clock")
		}
		for done < want {
			if o := <-results; o.err != nil {
				t.Fatal(o.err)
			}
			done++
		}
		if n := s.nsubmits(); n != want {
			t.Fatalf("%d submits at the SMSC after %v, want %d", n, time.Duration(want-1)*100*time.Millisecond, want)
		}
		clk.Advance(100 * time.Millisecond)
	}
}

func TestDecodeErrors(t *testing.T) {
	s := newTestSMSC(t)
	c := startClient(t, s, ClientConfig{})
	waitBound(t, c, 1)
	conn := s.last()
	// An unknown command: answered with generic_nack, the bind stays.
	conn.mu.Lock()
	conn.w.Write([]byte{0, 0, 0, 16, 0, 0, 0, 0x99, 0, 0, 0, 0, 0, 0, 0, 42})
	conn.w.Flush()
	conn.mu.Unlock()
	waitFor(t, "generic_nack", func() bool { return len(s.responses()) == 1 })
	if r := s.responses()[0]; r.Command != CommandGenericNack || r.Status != StatusInvCmdID || r.Sequence != 42 {
		t.Errorf("answer %+v", r.Header)
	}
	if _, err := c.Submit(context.Background(), msg("1")); err != nil {
		t.Fatal(err)
	}
	// A command_length that cannot be framed: the client closes and
	// rebinds.
	conn.mu.Lock()
	conn.w.Write([]byte{0, 0, 0, 5, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 43})
	conn.w.Flush()
	conn.mu.Unlock()
	waitFor(t, "a rebind", func() bool { return s.nbinds() == 2 })
	if _, err := c.Submit(context.Background(), msg("1")); err != nil {
		t.Fatal(err)
	}
}

func TestStopUnbindsGracefully(t *testing.T) {
	s := newTestSMSC(t)
	s.setHold(true)
	c := startClient(t, s, ClientConfig{Binds: 2})
	waitBound(t, c, 2)
	var chans []<-chan outcome
	for i := range 4 {
		chans = append(chans, submitAsync(context.Background(), c, msg(fmt.Sprint(i))))
	}
	waitFor(t, "held", func() bool { return s.nheld() == 4 })
	stopped := make(chan error, 1)
	go func() { stopped <- c.Stop(context.Background()) }()
	// New submits are refused at once; the outstanding ones are answered
	// before the unbind.
	waitFor(t, "Stop to begin", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.stopped
	})
	if _, err := c.Submit(context.Background(), msg("late")); !errors.Is(err, ErrClosed) {
		t.Errorf("submit during Stop: %v, want ErrClosed", err)
	}
	if n := s.nunbinds(); n != 0 {
		t.Errorf("%d unbinds before the window drained", n)
	}
	for _, h := range s.take() {
		h.c.send(okResp(h.p, "ok"))
	}
	for _, ch := range chans {
		if o := recv(t, ch); o.err != nil {
			t.Error(o.err)
		}
	}
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	if n := s.nunbinds(); n != 2 {
		t.Errorf("%d unbinds, want 2", n)
	}
	for _, b := range c.Stats().Binds {
		if b.State != StateClosed {
			t.Errorf("bind %d %s", b.Bind, b.State)
		}
	}
	if err := c.Stop(context.Background()); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if err := c.Start(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("Start after Stop: %v", err)
	}
}

func TestStopBoundedByContext(t *testing.T) {
	s := newTestSMSC(t)
	s.setHold(true)
	s.setHandle(func(c *smscConn, p PDU) bool { return p.Command == CommandUnbind }) // never answered
	c := startClient(t, s, ClientConfig{})
	waitBound(t, c, 1)
	ch := submitAsync(context.Background(), c, msg("1"))
	waitFor(t, "held", func() bool { return s.nheld() == 1 })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Stop(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Stop: %v", err)
	}
	if o := recv(t, ch); !errors.Is(o.err, ErrConnectionLost) {
		t.Errorf("outstanding submit: %v, want ErrConnectionLost", o.err)
	}
}

func TestTransmitterReceiver(t *testing.T) {
	s := newTestSMSC(t)
	delivered := make(chan string, 1)
	c := startClient(t, s, ClientConfig{BindMode: TransmitterReceiver, OnDeliver: func(ctx context.Context, m *DeliverSM) Status {
		delivered <- string(m.ShortMessage)
		return StatusOK
	}})
	waitBound(t, c, 2)
	if _, err := c.Submit(context.Background(), msg("1")); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	var rx *smscConn
	for i, b := range s.binds {
		if b.Command == CommandBindReceiver {
			rx = s.bindConns[i]
		}
	}
	s.mu.Unlock()
	rx.send(PDU{Header: Header{Command: CommandDeliverSM, Sequence: 3}, Body: &DeliverSM{ShortMessage: []byte("mo")}})
	if got := <-delivered; got != "mo" {
		t.Errorf("delivered %q", got)
	}
	st := c.Stats().Binds
	if len(st) != 2 || st[0].Mode != "transmitter" || st[1].Mode != "receiver" || st[0].Submitted != 1 || st[1].Window != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestConfigValidation(t *testing.T) {
	for _, tc := range []struct {
		cfg   ClientConfig
		field string
	}{
		{ClientConfig{SystemID: "a"}, "Addr"},
		{ClientConfig{Addr: "x:1"}, "SystemID"},
		{ClientConfig{Addr: "x:1", SystemID: "a", Password: "123456789"}, "Password"},
		{ClientConfig{Addr: "x:1", SystemID: "a", Throughput: -1}, "Throughput"},
		{ClientConfig{Addr: "x:1", SystemID: "a", BindMode: 7}, "BindMode"},
	} {
		err := NewClient(tc.cfg).Start(context.Background())
		if err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%+v: %v, want an error naming %s", tc.cfg, err, tc.field)
		}
		if err != nil && strings.Contains(err.Error(), "123456789") {
			t.Errorf("the error shows the password: %v", err)
		}
	}
}

func TestSequenceWraps(t *testing.T) {
	s := &session{seq: maxSequence - 1, pending: map[uint32]*call{1: {}}}
	if got := s.nextSeqLocked(); got != maxSequence {
		t.Errorf("got %d", got)
	}
	if got := s.nextSeqLocked(); got != 2 {
		t.Errorf("after the wrap got %d, want 2 (1 is outstanding)", got)
	}
}

// syncWriter serializes writes to w.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}

func TestBrokenResponseResolvedByItsHeader(t *testing.T) {
	s := newTestSMSC(t)
	s.setHold(true)
	c := startClient(t, s, ClientConfig{})
	ch := submitAsync(context.Background(), c, msg("1"))
	waitFor(t, "held", func() bool { return s.nheld() == 1 })
	h := s.take()[0]
	seq := h.p.Sequence
	// submit_sm_resp, ESME_RSYSERR, a message_id with no NUL.
	raw := []byte{0, 0, 0, 19, 0x80, 0, 0, 4, 0, 0, 0, 8, byte(seq >> 24), byte(seq >> 16), byte(seq >> 8), byte(seq), 'a', 'b', 'c'}
	h.c.mu.Lock()
	h.c.w.Write(raw)
	h.c.w.Flush()
	h.c.mu.Unlock()
	var se *StatusError
	if o := recv(t, ch); !errors.As(o.err, &se) || se.Status != StatusSysErr {
		t.Errorf("err %v, want ESME_RSYSERR", o.err)
	}
	waitFor(t, "generic_nack", func() bool { return len(s.responses()) == 1 })
	if r := s.responses()[0]; r.Command != CommandGenericNack || r.Sequence != seq {
		t.Errorf("answer %+v", r.Header)
	}
	// ESME_ROK with a message_id longer than 64 octets: the SMSC took the
	// message, so it is not a failure (sending it again would deliver it
	// twice), and it is answered at once, not after a timeout.
	ch = submitAsync(context.Background(), c, msg("2"))
	waitFor(t, "held", func() bool { return s.nheld() == 1 })
	h = s.take()[0]
	seq = h.p.Sequence
	long := append(bytes.Repeat([]byte{'x'}, 70), 0)
	raw = append([]byte{0, 0, 0, byte(16 + len(long)), 0x80, 0, 0, 4, 0, 0, 0, 0, byte(seq >> 24), byte(seq >> 16), byte(seq >> 8), byte(seq)}, long...)
	h.c.mu.Lock()
	h.c.w.Write(raw)
	h.c.w.Flush()
	h.c.mu.Unlock()
	if o := recv(t, ch); o.err != nil || o.res.Status != StatusOK || o.res.MessageID != "" {
		t.Errorf("submit: %+v %v, want accepted without an id", o.res, o.err)
	}
	if st := c.Stats().Binds[0]; st.Timeouts != 0 {
		t.Errorf("%d timeouts", st.Timeouts)
	}
}

func TestStopDuringBackoffAndWhileSubmitsWait(t *testing.T) {
	s := newTestSMSC(t)
	s.set(func() { s.bindStatus = StatusBindFail })
	clk := clocktest.New(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	c := startClient(t, s, ClientConfig{Clock: clk, ReconnectMin: time.Minute, ReconnectMax: time.Hour})
	ch := submitAsync(context.Background(), c, msg("1"))
	if !clk.WaitForWaiters(1, 10*time.Second) {
		t.Fatal("no backoff timer")
	}
	if err := c.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if o := recv(t, ch); !errors.Is(o.err, ErrClosed) {
		t.Errorf("waiting submit: %v, want ErrClosed", o.err)
	}
	if st := c.Stats().Binds[0]; st.State != StateClosed {
		t.Errorf("state %s", st.State)
	}
}

// A session its reader closed before serve offered its slots never offers
// them: the window would hand out a dead connection for ever.
func TestClosedSessionNeverOffersSlots(t *testing.T) {
	var w window
	s := &session{window: 10}
	w.remove(s) // the reader closed it first
	if w.add(s) {
		t.Fatal("a closed session was added to the window")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if got, err := w.acquire(ctx); got != nil || !errors.Is(err, ErrNotBound) {
		t.Fatalf("acquire: %v %v, want ErrNotBound", got, err)
	}
}

// An SMSC that answers every bind and hangs up at once (a flapping or
// licence-limited one): once it is gone, the client is not bound and a
// submit ends with its context, whatever races the binds lost.
func TestSMSCClosingRightAfterBind(t *testing.T) {
	s := newTestSMSC(t)
	s.setHandle(func(c *smscConn, p PDU) bool {
		if p.Command != CommandBindTransceiver {
			return false
		}
		c.handle(p)
		c.mu.Lock()
		c.w.Flush()
		c.mu.Unlock()
		c.conn.Close()
		return true
	})
	c := startClient(t, s, ClientConfig{})
	waitFor(t, "binds", func() bool { return s.nbinds() >= 200 })
	s.close()
	waitFor(t, "the client to see it is not bound", func() bool { return !c.Bound() })
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	select {
	case o := <-submitAsync(ctx, c, msg("1")):
		if !errors.Is(o.err, ErrNotBound) {
			t.Fatalf("submit: %v, want ErrNotBound", o.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("submit ignored its context")
	}
}
