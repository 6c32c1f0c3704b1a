package simworld

import (
	"container/list"
	"slices"
	"sync"
	"time"
)

// Received is one message a virtual handset received, as the phone shows
// it.
type Received struct {
	// Channel is "whatsapp" or "sms".
	Channel string `json:"channel"`
	// Simulator is the simulator that delivered it: whatsapp, smsc-1 or
	// smsc-2.
	Simulator string `json:"simulator"`
	// Route is the Detour route it came through.
	Route string `json:"route"`
	// From is the sender the phone shows: the business number or the SMS
	// sender id.
	From string `json:"from"`
	// Text is what the phone shows: the text, a WhatsApp template's name
	// and parameters, a caption; an SMS sent in parts reassembled.
	Text string `json:"text"`
	// At is when the phone got it.
	At time.Time `json:"at"`
	// ProviderMessageID is the simulator's id for it (the wamid, or the
	// SMSC's id of its first part), as in the attempt that sent it.
	ProviderMessageID string `json:"provider_message_id"`
	// Parts is how many SMS parts it came in; 0 for WhatsApp.
	Parts int `json:"parts,omitempty"`
}

// handsets keeps the last keep messages of each of at most max numbers;
// the number written to least recently is forgotten first. Messages may
// be recorded before their time (an SMSC knows when a message will reach
// the phone when it accepts it): they show from their At on.
type handsets struct {
	keep, max int

	mu     sync.Mutex
	phones map[string]*list.Element // of *phone
	lru    list.List                // most recently written first
}

type phone struct {
	number string
	ring   []Received // oldest first from next once full
	next   int
}

func newHandsets(keep, max int) *handsets {
	h := &handsets{keep: keep, max: max, phones: map[string]*list.Element{}}
	h.lru.Init()
	return h
}

// record adds a message to the handset of number (E.164).
func (h *handsets) record(number string, r Received) {
	h.mu.Lock()
	defer h.mu.Unlock()
	e, ok := h.phones[number]
	if ok {
		h.lru.MoveToFront(e)
	} else {
		if len(h.phones) >= h.max {
			old := h.lru.Back()
			h.lru.Remove(old)
			delete(h.phones, old.Value.(*phone).number)
		}
		e = h.lru.PushFront(&phone{number: number})
		h.phones[number] = e
	}
	p := e.Value.(*phone)
	if len(p.ring) < h.keep {
		p.ring = append(p.ring, r)
		return
	}
	p.ring[p.next] = r
	p.next = (p.next + 1) % h.keep
}

// list returns what the handset of number had received by now, oldest
// first.
func (h *handsets) list(number string, now time.Time) []Received {
	h.mu.Lock()
	var all []Received
	if e, ok := h.phones[number]; ok {
		p := e.Value.(*phone)
		all = append(append(all, p.ring[p.next:]...), p.ring[:p.next]...)
	}
	h.mu.Unlock()
	out := all[:0]
	for _, r := range all {
		if !r.At.After(now) {
			out = append(out, r)
		}
	}
	slices.SortStableFunc(out, func(a, b Received) int { return a.At.Compare(b.At) })
	return out
}

// numbers returns how many handsets are kept.
func (h *handsets) numbers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.phones)
}
