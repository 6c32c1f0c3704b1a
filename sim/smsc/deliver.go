package smsc

import (
	"container/heap"
	"sort"
	"time"

	"github.com/detourhq/detour/smpp"
	"github.com/detourhq/detour/smpp/coding"
	"github.com/detourhq/detour/tokenbucket"
)

// delivery is one deliver_sm to send to an account: a receipt or an MO
// message.
type delivery struct {
	acct     *account
	due      time.Time
	sm       *smpp.DeliverSM
	state    coding.State // the receipt's state; 0 for an MO message
	attempts int
	order    uint64 // FIFO order among equal due times, and queue order after a requeue
	index    int    // in dueHeap
}

// account is the state of one ESME account.
type account struct {
	Account
	binds     int
	receivers []*session
	rr        int
	queue     []*delivery // waiting for a receiver with room; queue[head:] is live
	head      int
	throttle  bucket // Behavior.ThrottleAbove
	cut       bucket // Throttled mode
}

// bucket is a token bucket that holds at most one second's worth.
type bucket struct{ tokenbucket.Bucket }

// allow takes one token at rate a second.
func (b *bucket) allow(now time.Time, rate float64) bool {
	ok, _ := b.Take(now, rate, max(rate, 1))
	return ok
}

func (a *account) queued() int { return len(a.queue) - a.head }

func (a *account) push(d *delivery) { a.queue = append(a.queue, d) }

func (a *account) pop() *delivery {
	d := a.queue[a.head]
	a.queue[a.head] = nil
	a.head++
	if a.head == len(a.queue) {
		a.queue, a.head = a.queue[:0], 0
	} else if a.head > 1024 && a.head > len(a.queue)/2 {
		n := copy(a.queue, a.queue[a.head:])
		clear(a.queue[n:])
		a.queue, a.head = a.queue[:n], 0
	}
	return d
}

// pushFront puts ds, in order, before everything queued.
func (a *account) pushFront(ds []*delivery) {
	if len(ds) <= a.head {
		a.head -= len(ds)
		copy(a.queue[a.head:], ds)
		return
	}
	q := make([]*delivery, 0, len(ds)+a.queued())
	q = append(q, ds...)
	q = append(q, a.queue[a.head:]...)
	a.queue, a.head = q, 0
}

// receiver returns a receiving bind with room in its window, taking binds
// in turn; nil if none.
func (a *account) receiver(window int) *session {
	n := len(a.receivers)
	for i := 0; i < n; i++ {
		a.rr = (a.rr + 1) % n
		if ss := a.receivers[a.rr]; len(ss.outstanding) < window && !ss.gone && !ss.broken {
			return ss
		}
	}
	return nil
}

func sortDeliveries(ds []*delivery) {
	sort.Slice(ds, func(i, j int) bool { return ds[i].order < ds[j].order })
}

// dueHeap orders deliveries by due time.
type dueHeap []*delivery

func (h dueHeap) Len() int { return len(h) }
func (h dueHeap) Less(i, j int) bool {
	if h[i].due.Equal(h[j].due) {
		return h[i].order < h[j].order
	}
	return h[i].due.Before(h[j].due)
}
func (h dueHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *dueHeap) Push(x any) {
	d := x.(*delivery)
	d.index = len(*h)
	*h = append(*h, d)
}
func (h *dueHeap) Pop() any {
	old := *h
	d := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return d
}

// later schedules d for its due time; the caller holds s.mu.
func (s *Server) later(d *delivery) {
	heap.Push(&s.due, d)
	if d.index == 0 {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

// enqueue puts d in its account's queue now and sends what the windows
// allow; the caller holds s.mu.
func (s *Server) enqueue(d *delivery) {
	a := d.acct
	a.push(d)
	s.pump(a)
}

// pump sends queued deliver_sm to the account's receiving binds while
// their windows have room. The caller holds s.mu.
func (s *Server) pump(a *account) {
	for a.queued() > 0 {
		ss := a.receiver(s.cfg.Window)
		if ss == nil {
			return
		}
		d := a.pop()
		p := ss.request(smpp.CommandDeliverSM, d.sm)
		if err := ss.c.send(p, false, true); err != nil {
			// The connection is closing; its reader will remove it.
			a.pushFront([]*delivery{d})
			ss.broken = true
			continue
		}
		ss.outstanding[p.Sequence] = d
		if d.attempts == 0 {
			if d.state != 0 {
				s.ctr.receipts[d.state]++
			} else {
				s.ctr.mo++
			}
		} else {
			s.ctr.redeliveries++
		}
		d.attempts++
	}
}

// deliverResp takes the answer to a deliver_sm: done, or sent again after
// RedeliveryDelay if the client answered with an error.
func (s *Server) deliverResp(ss *session, seq uint32, st smpp.Status) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := ss.outstanding[seq]
	if !ok {
		s.ctr.unexpected++
		return
	}
	delete(ss.outstanding, seq)
	s.ctr.deliverResps[st]++
	if st != smpp.StatusOK {
		d.due = s.clock.Now().Add(s.cfg.RedeliveryDelay)
		s.later(d)
	} else {
		s.pending--
	}
	s.pump(ss.acct)
}

// admit counts a new delivery against MaxQueued; false if it must be
// dropped. The caller holds s.mu.
func (s *Server) admit() bool {
	if s.pending >= s.cfg.MaxQueued {
		s.ctr.dropped++
		return false
	}
	s.pending++
	return true
}

// schedule is the one goroutine that moves due deliveries to their
// accounts' queues.
func (s *Server) schedule() {
	defer s.wg.Done()
	t := s.clock.NewTimer(time.Hour)
	defer t.Stop()
	for {
		s.mu.Lock()
		now := s.clock.Now()
		var wait time.Duration = -1
		for s.due.Len() > 0 {
			d := s.due[0]
			if d.due.After(now) {
				wait = d.due.Sub(now)
				break
			}
			heap.Pop(&s.due)
			if !s.stopped {
				s.enqueue(d)
			}
		}
		s.mu.Unlock()
		if wait >= 0 {
			t.Reset(wait)
		} else {
			t.Stop()
		}
		select {
		case <-t.C():
		case <-s.wake:
		case <-s.done:
			return
		}
	}
}

// InjectMO sends a mobile-originated message from a handset (from) to a
// number of the first account (to) as deliver_sm with esm_class 0: GSM
// 7-bit (data_coding 0) when every character fits, else UCS-2
// (data_coding 8); a long text in several parts with a concatenation
// header. It is queued until a receiver or transceiver of the account is
// bound.
func (s *Server) InjectMO(from, to, text string) error {
	return s.InjectMOFor(s.cfg.Accounts[0].SystemID, from, to, text)
}

// InjectMOFor is InjectMO for the account systemID.
func (s *Server) InjectMOFor(systemID, from, to, text string) error {
	if len(from) > 20 || len(to) > 20 || from == "" || to == "" {
		return errorf("from and to must be 1 to 20 characters")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[systemID]
	if !ok {
		return errorf("no account %q", systemID)
	}
	if s.stopped {
		return errorf("stopped")
	}
	s.moRef++
	enc, err := coding.Split(text, coding.Options{}, s.moRef)
	if err != nil {
		return errorf("MO text: %v", err)
	}
	for _, part := range enc.Parts {
		if !s.admit() {
			return errorf("queue for %q is full", systemID)
		}
		sm := &smpp.DeliverSM{
			SourceAddrTON: ton(from), SourceAddrNPI: 1, SourceAddr: from,
			DestAddrTON: ton(to), DestAddrNPI: 1, DestinationAddr: to,
			ESMClass: part.ESMClass, DataCoding: enc.DataCoding, ShortMessage: part.ShortMessage,
		}
		s.order++
		s.enqueue(&delivery{acct: a, sm: sm, order: s.order})
	}
	return nil
}

// ton returns the type of number of an address: international (1) for
// digits, alphanumeric (5) otherwise.
func ton(addr string) byte {
	for i := 0; i < len(addr); i++ {
		if c := addr[i]; c < '0' || c > '9' {
			if i == 0 && c == '+' {
				continue
			}
			return 5
		}
	}
	return 1
}
