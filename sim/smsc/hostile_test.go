package smsc

import (
	"encoding/binary"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"github.com/detourhq/detour/smpp"
)

func rawPDU(cmd smpp.CommandID, seq uint32, body []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(smpp.HeaderLen+len(body)))
	b = binary.BigEndian.AppendUint32(b, uint32(cmd))
	b = binary.BigEndian.AppendUint32(b, 0)
	b = binary.BigEndian.AppendUint32(b, seq)
	return append(b, body...)
}

func TestMalformedInput(t *testing.T) {
	s, _ := start(t, Config{})
	c := dial(t, s.Addr())
	c.mustBind(smpp.CommandBindTransceiver)

	// An unknown command: generic_nack, and the link stays up.
	c.nc.Write(rawPDU(0x99, 41, nil))
	if p := c.read(); p.Command != smpp.CommandGenericNack || p.Status != smpp.StatusInvCmdID || p.Sequence != 41 {
		t.Fatalf("unknown command: %s %s seq %d", p.Command, p.Status, p.Sequence)
	}
	// A submit_sm whose body stops short: submit_sm_resp with the error.
	c.nc.Write(rawPDU(smpp.CommandSubmitSM, 42, []byte{0, 1, 1, '4', '4'}))
	if p := c.read(); p.Command != smpp.CommandSubmitSMResp || p.Status == smpp.StatusOK || p.Sequence != 42 {
		t.Fatalf("broken submit_sm: %s %s seq %d", p.Command, p.Status, p.Sequence)
	}
	// outbind and deliver_sm are not for an SMSC to receive.
	c.send(smpp.CommandOutbind, &smpp.Outbind{SystemID: "x"})
	if p := c.read(); p.Command != smpp.CommandGenericNack {
		t.Fatalf("outbind answered with %s", p.Command)
	}
	c.send(smpp.CommandDeliverSM, &smpp.DeliverSM{})
	if p := c.read(); p.Command != smpp.CommandDeliverSMResp || p.Status == smpp.StatusOK {
		t.Fatalf("deliver_sm answered with %s %s", p.Command, p.Status)
	}
	// Stray responses are ignored.
	c.write(smpp.PDU{Header: smpp.Header{Command: smpp.CommandDeliverSMResp, Sequence: 999}})
	c.write(smpp.PDU{Header: smpp.Header{Command: smpp.CommandSubmitSMResp, Sequence: 998}, Body: &smpp.SubmitSMResp{}})
	c.send(smpp.CommandEnquireLink, nil)
	if p := c.read(); p.Command != smpp.CommandEnquireLinkResp {
		t.Fatalf("after stray responses: %s", p.Command)
	}
	// A command_length that cannot be framed: generic_nack, then close.
	c.nc.Write([]byte{0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 43})
	if p := c.read(); p.Command != smpp.CommandGenericNack || p.Status != smpp.StatusInvCmdLen {
		t.Fatalf("bad length: %s %s", p.Command, p.Status)
	}
	c.expectClosed()
	if ctr := s.Counters(); ctr.Malformed != 3 || ctr.Unexpected != 1 {
		t.Fatalf("counters %+v", ctr)
	}
}

// Random garbage on many connections never takes the server down.
func TestGarbageNeverCrashes(t *testing.T) {
	s, _ := start(t, Config{BindTimeout: time.Second})
	rnd := rand.New(rand.NewPCG(3, 4))
	valid, _ := smpp.Encode(smpp.PDU{Header: smpp.Header{Command: smpp.CommandBindTransceiver, Sequence: 1},
		Body: &smpp.Bind{SystemID: "esme", Password: "secret"}})
	for i := 0; i < 200; i++ {
		nc, err := net.Dial("tcp", s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		var b []byte
		if i%2 == 0 {
			b = append(b, valid...)
		}
		for j := rnd.IntN(5); j >= 0; j-- {
			cmd := []smpp.CommandID{smpp.CommandSubmitSM, smpp.CommandDeliverSMResp, smpp.CommandQuerySM,
				smpp.CommandDataSM, smpp.CommandBindReceiver, smpp.CommandEnquireLink, 0x1234}[rnd.IntN(7)]
			body := make([]byte, rnd.IntN(80))
			for k := range body {
				body[k] = byte(rnd.IntN(256))
			}
			b = append(b, rawPDU(cmd, rnd.Uint32(), body)...)
		}
		if i%7 == 0 {
			b = append(b, byte(rnd.IntN(256)), 0, 0) // a torn header
		}
		nc.Write(b)
		nc.Close()
	}
	// Half of them bound before their garbage: wait until the server has
	// let them all go, or the account's bind limit refuses the next bind.
	waitFor(t, "the garbage connections to be closed", func() bool { return s.Counters().Bound == 0 })
	c := dial(t, s.Addr())
	c.mustBind(smpp.CommandBindTransceiver)
	if p := c.submit(sms("4477", "still here", 0), nil); p.Status != smpp.StatusOK {
		t.Fatal(p.Status)
	}
}

func TestBindTimeout(t *testing.T) {
	s, _ := start(t, Config{BindTimeout: 50 * time.Millisecond})
	c := dial(t, s.Addr())
	c.expectClosed()
}
