package main

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/detourhq/detour/logtest"
	"github.com/detourhq/detour/sim/smsc"
	"github.com/detourhq/detour/smpp"
)

func TestSimSMSC(t *testing.T) {
	f := smscFlags{addr: "127.0.0.1:0", systemID: "shop", password: "s3cr3t!", smscID: "opsim", delay: "0s",
		mode: "healthy", idFormat: "decimal", hexIDs: true, delivered: 1, window: 10, maxBinds: 2,
		interval: time.Hour, submitErrors: "0x58=0"}
	cfg, err := f.config()
	if err != nil {
		t.Fatal(err)
	}
	var progress logtest.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- runSimSMSC(ctx, &progress, cfg, time.Hour, func(s *smsc.Server) { addr <- s.Addr() }) }()

	nc, err := net.Dial("tcp", <-addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	r := smpp.NewReader(bufio.NewReader(nc), 0)
	write := func(p smpp.PDU) {
		b, err := smpp.Encode(p)
		if err != nil {
			t.Fatal(err)
		}
		nc.Write(b)
	}
	write(smpp.PDU{Header: smpp.Header{Command: smpp.CommandBindTransceiver, Sequence: 1},
		Body: &smpp.Bind{SystemID: "shop", Password: "s3cr3t!", InterfaceVersion: 0x34}})
	if p, err := r.ReadPDU(); err != nil || p.Status != smpp.StatusOK || p.Body.(*smpp.BindResp).SystemID != "opsim" {
		t.Fatalf("bind: %+v %v", p, err)
	}
	write(smpp.PDU{Header: smpp.Header{Command: smpp.CommandSubmitSM, Sequence: 2},
		Body: &smpp.SubmitSM{SourceAddr: "Shop", DestinationAddr: "447700900123", RegisteredDelivery: 1, ShortMessage: []byte("hi")}})
	var id string
	for got := 0; got < 2; got++ {
		p, err := r.ReadPDU()
		if err != nil {
			t.Fatal(err)
		}
		switch p.Command {
		case smpp.CommandSubmitSMResp:
			id = p.Body.(*smpp.SubmitSMResp).MessageID
		case smpp.CommandDeliverSM:
			if !strings.Contains(string(p.Body.(*smpp.DeliverSM).ShortMessage), "stat:DELIVRD") {
				t.Fatalf("receipt %q", p.Body.(*smpp.DeliverSM).ShortMessage)
			}
			write(smpp.PDU{Header: smpp.Header{Command: smpp.CommandDeliverSMResp, Sequence: p.Sequence}})
		}
	}
	if strings.Trim(id, "0123456789abcdef") != "" {
		t.Fatalf("--hex-ids gave id %q", id)
	}
	// Stopping unbinds the client; answer it.
	go func() {
		for {
			p, err := r.ReadPDU()
			if err != nil {
				return
			}
			if p.Command == smpp.CommandUnbind {
				write(smpp.PDU{Header: smpp.Header{Command: smpp.CommandUnbindResp, Sequence: p.Sequence}})
			}
		}
	}()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	out := progress.String()
	for _, want := range []string{"SMSC simulator on 127.0.0.1:", "submits 1 (ESME_ROK 1)", "DELIVRD 1"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "s3cr3t!") {
		t.Errorf("output shows the password:\n%s", out)
	}
}

func TestSimSMSCFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--mode", "sideways"}, "--mode"},
		{[]string{"--receipt-delay", "soon"}, "--receipt-delay"},
		{[]string{"--delivered", "0.9", "--undeliverable", "0.2"}, "add up"},
		{[]string{"--submit-errors", "0x58"}, "--submit-errors"},
		{[]string{"--submit-errors", "0x58=2"}, "SubmitErrors"},
		{[]string{"--password", "muchtoolong"}, "Password"},
		{[]string{"--id-format", "octal"}, "--id-format"},
	} {
		_, err := run(t, append([]string{"sim", "smsc", "--addr", "127.0.0.1:0"}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one naming %s", tc.args, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "muchtoolong") {
			t.Errorf("error shows the password: %v", err)
		}
	}
}
