package storetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/detourhq/detour"
)

func (e *env) inbound(from, providerID string) *detour.Inbound {
	return &detour.Inbound{ID: e.ids.New("in_"), Channel: "sms", Route: "op1", ProviderID: providerID,
		From: from, To: "447400000001", Text: "STOP ünïcode ✓", ReceivedAt: t0}
}

func testInbound(t *testing.T, e *env) {
	in := e.inbound("+447400123456", "mo-1")
	got, dup, err := e.s.SaveInbound(e.ctx, in)
	if err != nil || dup {
		t.Fatalf("SaveInbound = %v, %v", dup, err)
	}
	if !got.ReceivedAt.Equal(t0.Truncate(1000)) {
		t.Fatalf("received_at %v", got.ReceivedAt)
	}
	// A redelivery of the same deliver_sm stores nothing.
	again := e.inbound("+447400123456", "mo-1")
	first, dup, err := e.s.SaveInbound(e.ctx, again)
	if err != nil || !dup || first.ID != in.ID {
		t.Fatalf("redelivery: %+v %v %v", first, dup, err)
	}
	// Without a provider id every message is new; the same id on another
	// route is another message.
	for _, x := range []*detour.Inbound{e.inbound("+447400123456", ""), e.inbound("+447400123456", ""), e.inbound("+33612345678", "mo-1")} {
		if x.ProviderID == "mo-1" {
			x.Route = "op2"
		}
		if _, dup, err := e.s.SaveInbound(e.ctx, x); err != nil || dup {
			t.Fatalf("%+v: %v %v", x, dup, err)
		}
	}
	e.reopen(t)
	all, err := e.s.InboundMessages(e.ctx, detour.InboundFilter{})
	if err != nil || len(all) != 4 {
		t.Fatalf("list: %d %v", len(all), err)
	}
	for i := 1; i < len(all); i++ {
		if all[i-1].ID <= all[i].ID {
			t.Fatal("newest first")
		}
	}
	if all[3].Text != in.Text || all[3].From != in.From || all[3].To != in.To {
		t.Fatalf("round trip: %+v", all[3])
	}
	fromUK, err := e.s.InboundMessages(e.ctx, detour.InboundFilter{From: "+447400123456", Limit: 2})
	if err != nil || len(fromUK) != 2 {
		t.Fatalf("filter by sender: %d %v", len(fromUK), err)
	}
	older, err := e.s.InboundMessages(e.ctx, detour.InboundFilter{From: "+447400123456", Before: fromUK[1].ID})
	if err != nil || len(older) != 1 || older[0].ID != in.ID {
		t.Fatalf("cursor: %v %v", older, err)
	}
}

func testInboundRedeliveryRace(t *testing.T, e *env) {
	var wg sync.WaitGroup
	ids := make([]string, 10)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, _, err := e.s.SaveInbound(e.ctx, e.inbound("+447400123456", "dup"))
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = got.ID
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("racing redeliveries stored more than one message: %v", ids)
		}
	}
	all, _ := e.s.InboundMessages(e.ctx, detour.InboundFilter{})
	if len(all) != 1 {
		t.Fatal(fmt.Sprint("stored ", len(all)))
	}
}
