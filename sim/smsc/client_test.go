package smsc

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/smpp"
	"github.com/detourhq/detour/smpp/coding"
)

// The project's own ESME client against the simulator: submits over a
// window, receipts back through OnDeliver, in both bind modes.
func TestWithTheSMPPClient(t *testing.T) {
	for _, mode := range []smpp.BindMode{smpp.Transceiver, smpp.TransmitterReceiver} {
		t.Run(mode.String(), func(t *testing.T) {
			s, _ := start(t, Config{Clock: detour.SystemClock{}, IDFormat: IDHexDecimal,
				Behavior: Behavior{Delivered: 0.9, Undeliverable: 0.1}})
			const n = 300
			var mu sync.Mutex
			receipts := map[string]coding.State{}
			all := make(chan struct{})
			c := smpp.NewClient(smpp.ClientConfig{Addr: s.Addr(), SystemID: "esme", Password: "secret", BindMode: mode,
				OnDeliver: func(_ context.Context, m *smpp.DeliverSM) smpp.Status {
					r, err := coding.ParseReceipt(string(m.ShortMessage))
					if err != nil {
						t.Errorf("receipt %q: %v", m.ShortMessage, err)
						return smpp.StatusOK
					}
					id, _ := m.TLVs.Lookup(smpp.TagReceiptedMessageID)
					v, _ := id.CString()
					mu.Lock()
					receipts[v] = r.State
					if len(receipts) == n {
						close(all)
					}
					mu.Unlock()
					return smpp.StatusOK
				}})
			if err := c.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			defer c.Stop(context.Background())
			var wg sync.WaitGroup
			ids := make([]string, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					res, err := c.Submit(context.Background(), sms("447700900123", "hello", 1))
					if err != nil {
						t.Errorf("submit %d: %v", i, err)
						return
					}
					ids[i] = res.MessageID
				}()
			}
			wg.Wait()
			if t.Failed() {
				return
			}
			select {
			case <-all:
			case <-time.After(30 * time.Second): // only keeps a broken test from hanging
				t.Fatal("receipts missing")
			}
			mu.Lock()
			defer mu.Unlock()
			for _, id := range ids {
				if _, ok := receipts[id]; !ok {
					t.Fatalf("no receipt for %s", id)
				}
			}
			if ctr := s.Counters(); ctr.SubmitResps[smpp.StatusOK] != n || ctr.Receipts[coding.StateDelivered]+ctr.Receipts[coding.StateUndeliverable] != n {
				t.Fatalf("counters %+v", ctr)
			}
		})
	}
}
