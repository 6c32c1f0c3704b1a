package smsc

import (
	"time"

	"github.com/detourhq/detour/smpp"
	"github.com/detourhq/detour/smpp/coding"
)

// maxPartials bounds the concatenated messages waiting for parts.
const maxPartials = 10_000

// Message is a message as the handset receives it: all its parts, the
// text decoded and joined.
type Message struct {
	SystemID   string   // the account that submitted it
	IDs        []string // the message id of each part, in part order
	From, To   string
	Text       string // empty for a data_coding the simulator cannot decode
	DataCoding byte
	Parts      int
	// Delivered reports whether the handset got it: every part's outcome
	// is DELIVRD. Parts that the SMSC lost, reported undeliverable or
	// expired, or accepted in Silent mode, never reached it.
	Delivered bool
	At        time.Time // when its last part was submitted
	// DeliveredAt is when the handset has the whole message: the time
	// the receipt of its last part to arrive is due. Zero unless
	// Delivered.
	DeliveredAt time.Time
}

// ledger remembers recent messages: the outcome of each id (for query_sm)
// and the complete messages (for Messages), each in a ring of keep
// entries, and the parts of concatenated messages still incomplete.
type ledger struct {
	keep   int
	base   uint64 // the first id put; id n lives at (n-base) % keep
	states []idState
	msgs   []Message
	next   int // ring position of the next message once msgs is full
	total  uint64

	partials map[partKey]*partial
	order    []partKey // insertion order of partials, for eviction
}

type idState struct {
	n     uint64
	state coding.State
	due   time.Time
}

type partKey struct {
	systemID, from, to string
	ref                uint16
	total              uint8
}

type partial struct {
	ids       []string
	texts     []string
	have      int
	delivered bool
	due       time.Time // the latest due time of the parts so far
}

func newLedger(keep int) ledger {
	return ledger{keep: keep, partials: map[partKey]*partial{}}
}

func (l *ledger) put(n uint64, st coding.State, due time.Time) {
	if l.keep == 0 {
		return
	}
	if len(l.states) == 0 {
		l.base = n
	}
	e := idState{n: n, state: st, due: due}
	// Ids come in order, so the ring fills by appending.
	if i := (n - l.base) % uint64(l.keep); i < uint64(len(l.states)) {
		l.states[i] = e
	} else {
		l.states = append(l.states, e)
	}
}

func (l *ledger) get(n uint64) (idState, bool) {
	if len(l.states) == 0 || n < l.base {
		return idState{}, false
	}
	i := (n - l.base) % uint64(l.keep)
	if i >= uint64(len(l.states)) || l.states[i].n != n {
		return idState{}, false
	}
	return l.states[i], true
}

// record adds one submitted part, which reaches the handset at due if
// delivered, and returns the complete message when it was the last one
// missing.
func (l *ledger) record(systemID, id string, m submission, text string, c coding.Concat, delivered bool, at, due time.Time) (Message, bool) {
	msg := Message{SystemID: systemID, From: m.src, To: m.dst, DataCoding: m.dataCoding, At: at}
	if c.IsZero() || c.Total == 1 || c.Seq == 0 || c.Seq > c.Total {
		msg.IDs, msg.Text, msg.Parts, msg.Delivered = []string{id}, text, 1, delivered
		if delivered {
			msg.DeliveredAt = due
		}
		l.add(msg)
		return msg, true
	}
	k := partKey{systemID, m.src, m.dst, c.Ref, c.Total}
	p := l.partials[k]
	if p == nil {
		if len(l.partials) >= maxPartials {
			l.evict()
		}
		p = &partial{ids: make([]string, c.Total), texts: make([]string, c.Total), delivered: true}
		l.partials[k] = p
		l.order = append(l.order, k)
	}
	i := int(c.Seq) - 1
	if p.ids[i] == "" {
		p.have++
	}
	p.ids[i], p.texts[i] = id, text
	p.delivered = p.delivered && delivered
	if due.After(p.due) {
		p.due = due
	}
	if p.have < int(c.Total) {
		return Message{}, false
	}
	delete(l.partials, k)
	n := 0
	for _, t := range p.texts {
		n += len(t)
	}
	b := make([]byte, 0, n)
	for _, t := range p.texts {
		b = append(b, t...)
	}
	msg.IDs, msg.Text, msg.Parts, msg.Delivered = p.ids, string(b), int(c.Total), p.delivered
	if p.delivered {
		msg.DeliveredAt = p.due
	}
	l.add(msg)
	return msg, true
}

// evict forgets the oldest incomplete message still waiting.
func (l *ledger) evict() {
	for len(l.order) > 0 {
		k := l.order[0]
		l.order = l.order[1:]
		if _, ok := l.partials[k]; ok {
			delete(l.partials, k)
			return
		}
	}
}

func (l *ledger) add(m Message) {
	l.total++
	if len(l.order) > 2*maxPartials {
		// Drop keys of partials completed long ago.
		live := l.order[:0]
		for _, k := range l.order {
			if _, ok := l.partials[k]; ok {
				live = append(live, k)
			}
		}
		l.order = live
	}
	if l.keep == 0 {
		return
	}
	if len(l.msgs) < l.keep {
		l.msgs = append(l.msgs, m)
		return
	}
	l.msgs[l.next] = m
	l.next = (l.next + 1) % l.keep
}

// messages returns the kept messages, oldest first.
func (l *ledger) messages() []Message {
	out := make([]Message, 0, len(l.msgs))
	out = append(out, l.msgs[l.next:]...)
	return append(out, l.msgs[:l.next]...)
}

// Messages returns the most recent complete messages (at most Config.Keep),
// oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ledger.messages()
}

// counters is what the server counts; guarded by s.mu.
type counters struct {
	connections, binds, bindsRefused, unbinds int64
	submits                                   int64
	submitResps                               map[smpp.Status]int64
	noReceipt, notAsked                       int64
	receipts                                  map[coding.State]int64
	redeliveries, mo                          int64
	deliverResps                              map[smpp.Status]int64
	unexpected, malformed, dropped            int64
}

func newCounters() counters {
	return counters{submitResps: map[smpp.Status]int64{}, receipts: map[coding.State]int64{},
		deliverResps: map[smpp.Status]int64{}}
}

func (s *Server) count(f func(*counters)) {
	s.mu.Lock()
	f(&s.ctr)
	s.mu.Unlock()
}

// Counters is a snapshot of what the server has done since New.
type Counters struct {
	Connections  int64 // TCP connections accepted
	Binds        int64 // successful binds
	BindsRefused int64 // binds answered with an error
	Unbinds      int64 // bound connections that ended, by unbind or not
	Bound        int   // bound connections now

	Submits int64 // submit_sm and data_sm received
	// SubmitResps counts the answers to submits by command_status
	// (ESME_ROK for accepted ones).
	SubmitResps map[smpp.Status]int64
	// NoReceipt counts accepted messages that will never get a receipt:
	// accepted in Silent mode or left to the remainder of the shares.
	NoReceipt int64
	// NotAsked counts accepted messages whose registered_delivery asked
	// for no receipt of their outcome.
	NotAsked int64

	// Receipts counts receipts sent, the first time, by state.
	Receipts     map[coding.State]int64
	MO           int64 // MO messages sent, the first time
	Redeliveries int64 // deliver_sm sent again after an error or a dropped bind
	// DeliverResps counts the client's answers to deliver_sm by
	// command_status (a generic_nack counts with its status).
	DeliverResps map[smpp.Status]int64

	Scheduled   int // receipts waiting for their delay (or redelivery)
	Queued      int // deliver_sm waiting for a receiving bind or window room
	Outstanding int // deliver_sm sent and not yet answered

	Unexpected int64 // responses to nothing the server sent
	Malformed  int64 // PDUs that did not decode
	Dropped    int64 // receipts and MO dropped because MaxQueued was reached
}

// Counters returns a snapshot of the counters.
func (s *Server) Counters() Counters {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.ctr
	out := Counters{
		Connections: c.connections, Binds: c.binds, BindsRefused: c.bindsRefused, Unbinds: c.unbinds,
		Submits: c.submits, SubmitResps: make(map[smpp.Status]int64, len(c.submitResps)),
		NoReceipt: c.noReceipt, NotAsked: c.notAsked,
		Receipts: make(map[coding.State]int64, len(c.receipts)), MO: c.mo, Redeliveries: c.redeliveries,
		DeliverResps: make(map[smpp.Status]int64, len(c.deliverResps)),
		Scheduled:    s.due.Len(),
		Unexpected:   c.unexpected, Malformed: c.malformed, Dropped: c.dropped,
	}
	for k, v := range c.submitResps {
		out.SubmitResps[k] = v
	}
	for k, v := range c.receipts {
		out.Receipts[k] = v
	}
	for k, v := range c.deliverResps {
		out.DeliverResps[k] = v
	}
	for ss := range s.sessions {
		if ss.acct != nil {
			out.Bound++
			out.Outstanding += len(ss.outstanding)
		}
	}
	for _, a := range s.accounts {
		out.Queued += a.queued()
	}
	return out
}
