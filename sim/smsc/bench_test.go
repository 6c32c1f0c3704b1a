package smsc

import (
	"bufio"
	"context"
	"net"
	"sync"
	"testing"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/smpp"
)

// BenchmarkSubmit measures the submits a second the simulator sustains from
// one transceiver bind with a window of 100 over loopback: one goroutine
// writes submit_sm while the window has room, another reads the responses
// (and, with receipts, answers the deliver_sm that come back on the same
// bind).
func BenchmarkSubmit(b *testing.B) {
	b.Run("no-receipts", func(b *testing.B) { benchSubmit(b, 0) })
	b.Run("receipts", func(b *testing.B) { benchSubmit(b, 1) })
}

func benchSubmit(b *testing.B, reg byte) {
	s, _ := start(b, Config{Clock: detour.SystemClock{}, Keep: 10_000})
	nc, err := net.Dial("tcp", s.Addr())
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	c := &client{t: b, nc: nc, r: smpp.NewReader(bufio.NewReaderSize(nc, 64<<10), 0)}
	c.mustBind(smpp.CommandBindTransceiver)

	var wmu sync.Mutex
	w := bufio.NewWriterSize(nc, 64<<10)
	window := make(chan struct{}, 100)
	m := sms("447700900123", "Your code is 123456", reg)
	var buf []byte
	done := make(chan error, 1)
	n := b.N

	b.ResetTimer()
	go func() {
		resps, receipts := 0, 0
		for resps < n || receipts < n*int(reg) {
			p, err := c.r.ReadPDU()
			if err != nil {
				done <- err
				return
			}
			switch p.Command {
			case smpp.CommandSubmitSMResp:
				resps++
				<-window
			case smpp.CommandDeliverSM:
				receipts++
				ack, _ := smpp.Encode(smpp.PDU{Header: smpp.Header{Command: smpp.CommandDeliverSMResp, Sequence: p.Sequence}})
				wmu.Lock()
				w.Write(ack)
				w.Flush()
				wmu.Unlock()
			}
		}
		done <- nil
	}()
	for i := 0; i < n; i++ {
		select {
		case window <- struct{}{}:
		default:
			wmu.Lock()
			w.Flush()
			wmu.Unlock()
			window <- struct{}{}
		}
		buf, _ = smpp.AppendPDU(buf[:0], smpp.PDU{Header: smpp.Header{Command: smpp.CommandSubmitSM, Sequence: uint32(i + 10)}, Body: m})
		wmu.Lock()
		w.Write(buf)
		wmu.Unlock()
	}
	wmu.Lock()
	w.Flush()
	wmu.Unlock()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "submits/s")
	s.Stop(context.Background())
}
