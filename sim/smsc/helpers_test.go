package smsc

import (
	"bufio"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/detourhq/detour/clocktest"
	"github.com/detourhq/detour/smpp"
	"github.com/detourhq/detour/smpp/coding"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// start starts a server with one account esme/secret, a manual clock and a
// seeded rand unless cfg says otherwise.
func start(t testing.TB, cfg Config) (*Server, *clocktest.Clock) {
	t.Helper()
	clk := clocktest.New(t0)
	if cfg.Clock == nil {
		cfg.Clock = clk
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.New(rand.NewPCG(1, 2))
	}
	if cfg.Accounts == nil {
		cfg.Accounts = []Account{{SystemID: "esme", Password: "secret"}}
	}
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

// client is a raw ESME driven through the codec.
type client struct {
	t   testing.TB
	nc  net.Conn
	r   *smpp.Reader
	seq uint32
}

func dial(t testing.TB, addr string) *client {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &client{t: t, nc: nc, r: smpp.NewReader(bufio.NewReader(nc), 0)}
}

func (c *client) send(cmd smpp.CommandID, body smpp.Body) uint32 {
	c.t.Helper()
	c.seq++
	c.write(smpp.PDU{Header: smpp.Header{Command: cmd, Sequence: c.seq}, Body: body})
	return c.seq
}

func (c *client) write(p smpp.PDU) {
	c.t.Helper()
	b, err := smpp.Encode(p)
	if err != nil {
		c.t.Fatal(err)
	}
	if _, err := c.nc.Write(b); err != nil {
		c.t.Fatal(err)
	}
}

// read reads the next PDU; the deadline only keeps a broken test from
// hanging.
func (c *client) read() smpp.PDU {
	c.t.Helper()
	p, err := c.tryRead()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return p
}

func (c *client) tryRead() (smpp.PDU, error) {
	c.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	return c.r.ReadPDU()
}

// expectClosed reads until the server closes the connection.
func (c *client) expectClosed() {
	c.t.Helper()
	for {
		_, err := c.tryRead()
		var de *smpp.DecodeError
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) || isReset(err) {
			return
		}
		if err != nil && !errors.As(err, &de) {
			c.t.Fatalf("want the connection closed, got %v", err)
		}
	}
}

func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && !op.Timeout()
}

func (c *client) bind(cmd smpp.CommandID, id, pw string) smpp.PDU {
	c.t.Helper()
	seq := c.send(cmd, &smpp.Bind{SystemID: id, Password: pw, InterfaceVersion: 0x34})
	p := c.read()
	if want, _ := cmd.Response(); p.Command != want || p.Sequence != seq {
		c.t.Fatalf("bind answered with %s seq %d", p.Command, p.Sequence)
	}
	return p
}

func (c *client) mustBind(cmd smpp.CommandID) {
	c.t.Helper()
	if p := c.bind(cmd, "esme", "secret"); p.Status != smpp.StatusOK {
		c.t.Fatalf("bind: %s", p.Status)
	}
}

// submit sends one submit_sm and returns its response, answering and
// keeping any deliver_sm that comes first.
func (c *client) submit(m *smpp.SubmitSM, got *[]*smpp.DeliverSM) smpp.PDU {
	c.t.Helper()
	seq := c.send(smpp.CommandSubmitSM, m)
	for {
		p := c.read()
		switch {
		case p.Command == smpp.CommandDeliverSM:
			c.ack(p, smpp.StatusOK)
			if got != nil {
				*got = append(*got, p.Body.(*smpp.DeliverSM))
			}
		case p.Command == smpp.CommandSubmitSMResp && p.Sequence == seq:
			return p
		default:
			c.t.Fatalf("unexpected %s seq %d waiting for submit_sm_resp %d", p.Command, p.Sequence, seq)
		}
	}
}

func (c *client) ack(p smpp.PDU, st smpp.Status) {
	c.t.Helper()
	c.write(smpp.PDU{Header: smpp.Header{Command: smpp.CommandDeliverSMResp, Status: st, Sequence: p.Sequence}})
}

// deliver reads the next deliver_sm and answers it with st.
func (c *client) deliver(st smpp.Status) *smpp.DeliverSM {
	c.t.Helper()
	p := c.read()
	if p.Command != smpp.CommandDeliverSM {
		c.t.Fatalf("want deliver_sm, got %s", p.Command)
	}
	c.ack(p, st)
	return p.Body.(*smpp.DeliverSM)
}

func sms(to, text string, reg byte) *smpp.SubmitSM {
	return &smpp.SubmitSM{SourceAddrTON: 5, SourceAddr: "Detour", DestAddrTON: 1, DestAddrNPI: 1,
		DestinationAddr: to, RegisteredDelivery: reg, ShortMessage: []byte(text)}
}

// waitFor polls cond; the real-time bound only keeps a broken test from
// hanging.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func receiptOf(t testing.TB, d *smpp.DeliverSM) coding.Receipt {
	t.Helper()
	if d.ESMClass != 0x04 {
		t.Fatalf("esm_class 0x%02x, want 0x04", d.ESMClass)
	}
	r, err := coding.ParseReceipt(string(d.ShortMessage))
	if err != nil {
		t.Fatalf("receipt text %q: %v", d.ShortMessage, err)
	}
	return r
}

func tlvString(t testing.TB, ts smpp.TLVs, tag smpp.Tag) string {
	t.Helper()
	v, ok := ts.Lookup(tag)
	if !ok {
		t.Fatalf("no %s TLV", tag)
	}
	s, err := v.CString()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func tlvByte(t testing.TB, ts smpp.TLVs, tag smpp.Tag) byte {
	t.Helper()
	v, ok := ts.Lookup(tag)
	if !ok {
		t.Fatalf("no %s TLV", tag)
	}
	b, err := v.Uint8()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
