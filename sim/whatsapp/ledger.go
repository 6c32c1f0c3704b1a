package wasim

import (
	"time"
)

// Message is what a handset received (or will receive) from a send the
// simulator accepted.
type Message struct {
	WAMID         string
	PhoneNumberID string // the business number it came from
	To            string // the recipient's digits (wa_id), or a group id
	Type          string // text, template, image, video, audio, document, interactive, ...
	// Text is the text body, a media caption or an interactive body.
	Text string
	// Template and TemplateLanguage name a template message;
	// TemplateParams are its body parameters' texts, in order.
	Template         string
	TemplateLanguage string
	TemplateParams   []string
	// MediaLink or MediaID of a media message.
	MediaLink, MediaID string
	// Buttons are the reply button titles of an interactive button
	// message.
	Buttons []string
	// CallbackData is the biz_opaque_callback_data the send carried.
	CallbackData string
	At           time.Time // when it was accepted
	// Status is the latest status that came due: "", sent, delivered,
	// read or failed; Delivered is set once "delivered" came due, at
	// DeliveredAt.
	Status      string
	Delivered   bool
	DeliveredAt time.Time
}

func messageOf(r *sendRequest, id, pnid, to string, now time.Time) *Message {
	m := &Message{WAMID: id, PhoneNumberID: pnid, To: to, Type: r.Type, CallbackData: r.BizOpaqueCallbackData, At: now}
	mediaTo := func(md *media) {
		if md != nil {
			m.MediaLink, m.MediaID, m.Text = md.Link, md.ID, md.Caption
		}
	}
	switch r.Type {
	case "text":
		m.Text = *r.Text.Body
	case "template":
		m.Template, m.TemplateLanguage = r.Template.Name, r.Template.Language.Code
		for _, c := range r.Template.Components {
			if c.Type == "body" || c.Type == "BODY" {
				for _, p := range c.Parameters {
					if p.Text != nil {
						m.TemplateParams = append(m.TemplateParams, *p.Text)
					}
				}
			}
		}
	case "image", "video", "audio", "document", "sticker":
		mediaTo(mediaOf(r))
		if r.Type == "audio" {
			mediaTo(r.Audio)
		}
	case "interactive":
		if r.Interactive.Body != nil {
			m.Text = r.Interactive.Body.Text
		}
		for _, b := range r.Interactive.Action.Buttons {
			m.Buttons = append(m.Buttons, b.Reply.Title)
		}
	}
	return m
}

// ledger keeps the last keep messages, by wamid; guarded by Server.mu.
type ledger struct {
	keep  int
	ring  []*Message // oldest first from head
	head  int
	index map[string]*Message
}

func newLedger(keep int) ledger { return ledger{keep: keep, index: map[string]*Message{}} }

func (l *ledger) add(m *Message) {
	if l.keep <= 0 {
		return
	}
	if len(l.ring) < l.keep {
		l.ring = append(l.ring, m)
	} else {
		delete(l.index, l.ring[l.head].WAMID)
		l.ring[l.head] = m
		l.head = (l.head + 1) % l.keep
	}
	l.index[m.WAMID] = m
}

var rank = map[string]int{"sent": 1, "delivered": 2, "read": 3, "failed": 4}

// mark records status st of message id, which came due at, and returns
// the message; nil if it is no longer kept.
func (l *ledger) mark(id, st string, at time.Time) *Message {
	m := l.index[id]
	if m == nil {
		return nil
	}
	if rank[st] > rank[m.Status] {
		m.Status = st
	}
	if st == "delivered" {
		m.Delivered, m.DeliveredAt = true, at
	}
	return m
}

// clone returns a copy of m that shares no slice with it.
func (m *Message) clone() Message {
	c := *m
	c.TemplateParams = append([]string(nil), m.TemplateParams...)
	c.Buttons = append([]string(nil), m.Buttons...)
	return c
}

// Messages returns the most recent accepted messages (Config.Keep of
// them), oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, 0, len(s.ledger.ring))
	for i := range s.ledger.ring {
		out = append(out, s.ledger.ring[(s.ledger.head+i)%len(s.ledger.ring)].clone())
	}
	return out
}

// counters is what the server counts; guarded by s.mu.
type counters struct {
	requests, accepted, held, silenced int64
	errors                             map[int]int64
	statuses, posted                   map[string]int64
	posts, postFailures, postsDropped  int64
	inbound, inboundPosted, dropped    int64
}

func newCounters() counters {
	return counters{errors: map[int]int64{}, statuses: map[string]int64{}, posted: map[string]int64{}}
}

func (s *Server) count(f func(*counters)) {
	s.mu.Lock()
	f(&s.ctr)
	s.mu.Unlock()
}

// Counters is a snapshot of what the server has done since New.
type Counters struct {
	Requests int64 // HTTP requests received
	Accepted int64 // sends answered with a wamid
	// Errors counts the error answers by Graph error code (100 malformed,
	// 190 token, 130429 throttled, 131026 not on WhatsApp, 2 Down5xx).
	Errors map[int]int64
	Held   int64 // requests held unanswered in DownTimeout
	// Silenced counts messages accepted in Silent mode: never delivered.
	Silenced int64
	// Statuses counts the statuses that came due, by status; Posted
	// those Detour took (2xx).
	Statuses, Posted map[string]int64
	Posts            int64 // webhook POSTs answered 2xx
	PostFailures     int64 // webhook POSTs answered otherwise or not at all
	PostsDropped     int64 // webhook POSTs given up after MaxTries
	Inbound          int64 // inbound messages injected
	InboundPosted    int64 // of them, taken by Detour
	Dropped          int64 // statuses and inbound messages dropped: queue full or given up
	Queued           int   // statuses and payloads waiting to be posted
}

// Counters returns a snapshot of the counters.
func (s *Server) Counters() Counters {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.ctr
	cp := func(m map[string]int64) map[string]int64 {
		out := make(map[string]int64, len(m))
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	errs := make(map[int]int64, len(c.errors))
	for k, v := range c.errors {
		errs[k] = v
	}
	return Counters{Requests: c.requests, Accepted: c.accepted, Errors: errs, Held: c.held, Silenced: c.silenced,
		Statuses: cp(c.statuses), Posted: cp(c.posted), Posts: c.posts, PostFailures: c.postFailures,
		PostsDropped: c.postsDropped, Inbound: c.inbound, InboundPosted: c.inboundPosted, Dropped: c.dropped,
		Queued: s.out.queued()}
}
