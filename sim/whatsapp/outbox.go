package wasim

import (
	"bytes"
	"container/heap"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/detourhq/detour/whatsapp"
)

// status is one status webhook entry to post.
type status struct {
	wamid, pnid, recipient, callback, category string
	status                                     string // sent, delivered, read, failed
	errCode                                    int    // of a failed status
	at                                         time.Time
}

// batch is one webhook body ready to post, and its tries so far.
type batch struct {
	body     []byte
	tries    int
	statuses map[string]int // how many of each status it carries
	inbound  int
}

// item is a status (or a batch to retry) waiting for its time.
type item struct {
	due   time.Time
	order uint64 // FIFO among equal due times
	st    status
	b     *batch // a retry; st is unused
}

// outbox holds what is waiting to be posted; guarded by Server.mu.
type outbox struct {
	due     itemHeap
	ready   []status // due, waiting for a poster; ready[head:] is live
	head    int
	batches []*batch // ready to post first: retries and inbound messages
	order   uint64
}

func (o *outbox) queued() int { return len(o.due) + len(o.ready) - o.head + len(o.batches) }

// enqueueLocked schedules st at time at.
func (s *Server) enqueueLocked(at time.Time, st status) {
	if s.out.queued() >= s.cfg.MaxQueued {
		s.ctr.dropped++
		return
	}
	st.at = at
	s.pushLocked(&item{due: at, st: st})
}

func (s *Server) pushLocked(it *item) {
	s.out.order++
	it.order = s.out.order
	heap.Push(&s.out.due, it)
	if s.out.due[0] == it {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

// schedule moves due statuses to the ready queue and wakes posters: the
// only timer of the server.
func (s *Server) schedule() {
	defer s.wg.Done()
	var t interface {
		C() <-chan time.Time
		Stop() bool
		Reset(time.Duration) bool
	}
	defer func() {
		if t != nil {
			t.Stop()
		}
	}()
	var delivered []Message
	for {
		s.mu.Lock()
		now := s.clock.Now()
		delivered = delivered[:0]
		for len(s.out.due) > 0 && !s.out.due[0].due.After(now) {
			it := heap.Pop(&s.out.due).(*item)
			if it.b != nil {
				s.out.batches = append(s.out.batches, it.b)
				continue
			}
			s.ctr.statuses[it.st.status]++
			m := s.ledger.mark(it.st.wamid, it.st.status, it.st.at)
			if m != nil && it.st.status == "delivered" && s.cfg.OnDelivered != nil {
				delivered = append(delivered, m.clone())
			}
			if s.hookURL != "" {
				s.out.ready = append(s.out.ready, it.st)
			}
		}
		posts := len(s.out.batches) + (len(s.out.ready)-s.out.head+s.cfg.MaxBatch-1)/s.cfg.MaxBatch
		wait := time.Duration(-1)
		if len(s.out.due) > 0 {
			wait = s.out.due[0].due.Sub(now)
		}
		s.mu.Unlock()
		for _, m := range delivered {
			s.cfg.OnDelivered(m)
		}
		for range min(posts, s.cfg.Posters) {
			select {
			case s.kick <- struct{}{}:
			default:
			}
		}
		var tc <-chan time.Time
		if wait >= 0 {
			if t == nil {
				t = s.clock.NewTimer(wait)
			} else {
				t.Reset(wait)
			}
			tc = t.C()
		}
		select {
		case <-tc:
		case <-s.wake:
		case <-s.done:
			return
		}
	}
}

// poster posts ready webhooks until Stop.
func (s *Server) poster() {
	defer s.wg.Done()
	for {
		select {
		case <-s.kick:
		case <-s.done:
			return
		}
		for {
			b := s.take()
			if b == nil {
				break
			}
			s.post(b)
			select {
			case <-s.done:
				return
			default:
			}
		}
	}
}

// take returns the next batch to post: a retry or inbound payload first,
// else up to MaxBatch ready statuses in one body; nil if nothing waits.
func (s *Server) take() *batch {
	s.mu.Lock()
	if len(s.out.batches) > 0 {
		b := s.out.batches[0]
		s.out.batches[0] = nil
		s.out.batches = s.out.batches[1:]
		s.mu.Unlock()
		return b
	}
	n := min(len(s.out.ready)-s.out.head, s.cfg.MaxBatch)
	if n == 0 {
		s.mu.Unlock()
		return nil
	}
	sts := make([]status, n)
	copy(sts, s.out.ready[s.out.head:])
	s.out.head += n
	if s.out.head == len(s.out.ready) {
		s.out.ready, s.out.head = s.out.ready[:0], 0
	} else if s.out.head > 4096 && s.out.head > len(s.out.ready)/2 {
		k := copy(s.out.ready, s.out.ready[s.out.head:])
		s.out.ready, s.out.head = s.out.ready[:k], 0
	}
	s.mu.Unlock()
	return s.statusBatch(sts)
}

// statusBatch builds one webhook body: one entry for the business
// account, one change per business number, in the order the statuses
// came due.
func (s *Server) statusBatch(sts []status) *batch {
	b := &batch{statuses: map[string]int{}}
	p := hookPayload{Object: "whatsapp_business_account", Entry: []hookEntry{{ID: s.cfg.BusinessAccountID}}}
	changes := map[string]int{}
	for _, st := range sts {
		i, ok := changes[st.pnid]
		if !ok {
			i = len(p.Entry[0].Changes)
			changes[st.pnid] = i
			p.Entry[0].Changes = append(p.Entry[0].Changes, s.change(st.pnid))
		}
		v := &p.Entry[0].Changes[i].Value
		v.Statuses = append(v.Statuses, hookStatusOf(&st))
		b.statuses[st.status]++
	}
	b.body, _ = json.Marshal(&p)
	return b
}

func (s *Server) change(pnid string) hookChange {
	return hookChange{Field: "messages", Value: hookValue{MessagingProduct: "whatsapp",
		Metadata: hookMetadata{DisplayPhoneNumber: s.numbers[pnid].DisplayPhoneNumber, PhoneNumberID: pnid}}}
}

func hookStatusOf(st *status) hookStatus {
	ts := strconv.FormatInt(st.at.Unix(), 10)
	h := hookStatus{ID: st.wamid, Status: st.status, Timestamp: ts, RecipientID: st.recipient,
		BizOpaqueCallbackData: st.callback}
	switch st.status {
	case "sent", "delivered":
		f := fnv.New128a()
		f.Write([]byte(st.pnid + "/" + st.recipient))
		h.Conversation = &hookConversation{ID: hex.EncodeToString(f.Sum(nil)),
			ExpirationTimestamp: strconv.FormatInt(st.at.Add(24*time.Hour).Unix(), 10)}
		h.Conversation.Origin.Type = st.category
		h.Pricing = &hookPricing{Billable: true, PricingModel: "PMP", Category: st.category}
	case "failed":
		h.Errors = []hookError{{Code: st.errCode, Title: "Message undeliverable", Message: "Message undeliverable"}}
		h.Errors[0].ErrorData.Details = "Message Undeliverable."
	}
	return h
}

// post sends one batch, signed over the exact bytes, and schedules a retry
// with backoff if Detour does not answer 2xx.
func (s *Server) post(b *batch) {
	s.mu.Lock()
	hookURL := s.hookURL
	if hookURL == "" {
		// Posting was turned off since the batch was made.
		for _, n := range b.statuses {
			s.ctr.dropped += int64(n)
		}
		s.ctr.dropped += int64(b.inbound)
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, hookURL, bytes.NewReader(b.body))
	if err != nil {
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "facebookexternalua")
	req.Header.Set(whatsapp.SignatureHeader, whatsapp.Sign(b.body, s.cfg.AppSecret))
	resp, err := s.client.Do(req)
	code := 0
	if err == nil {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		code = resp.StatusCode
	}
	if s.ctx.Err() != nil {
		return // stopping
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b.tries++
	if code/100 == 2 {
		s.ctr.posts++
		for st, n := range b.statuses {
			s.ctr.posted[st] += int64(n)
		}
		s.ctr.inboundPosted += int64(b.inbound)
		return
	}
	s.ctr.postFailures++
	if b.tries >= s.cfg.MaxTries {
		s.ctr.postsDropped++
		for _, n := range b.statuses {
			s.ctr.dropped += int64(n)
		}
		s.ctr.dropped += int64(b.inbound)
		s.log.Warn("whatsapp simulator gave up a webhook", "tries", b.tries, "http_status", code)
		return
	}
	backoff := s.cfg.RetryMax
	if sh := b.tries - 1; sh < 30 && s.cfg.RetryBase<<sh < s.cfg.RetryMax {
		backoff = s.cfg.RetryBase << sh
	}
	s.pushLocked(&item{due: s.clock.Now().Add(backoff), b: b})
}

// InjectInbound posts a signed messages webhook as if the WhatsApp user
// from (E.164 or digits) had written text to the business number
// phoneNumberID. It is queued and retried like statuses.
func (s *Server) InjectInbound(from, phoneNumberID, text string) error {
	digits, ok := recipientDigits(from)
	switch {
	case !ok:
		return fmt.Errorf("wasim: InjectInbound: %q is not a phone number", from)
	case s.numbers[phoneNumberID].PhoneNumberID == "":
		return fmt.Errorf("wasim: InjectInbound: phone number id %q is not configured", phoneNumberID)
	}
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hookURL == "" {
		return errors.New("wasim: InjectInbound: no WebhookURL configured")
	}
	if s.stopped {
		return errors.New("wasim: InjectInbound: the server is stopped")
	}
	if s.out.queued() >= s.cfg.MaxQueued {
		s.ctr.dropped++
		return errors.New("wasim: InjectInbound: the webhook queue is full")
	}
	ch := s.change(phoneNumberID)
	ch.Value.Contacts = []hookContact{{WaID: digits}}
	ch.Value.Contacts[0].Profile.Name = "WhatsApp user " + digits[max(0, len(digits)-4):]
	m := hookMessage{From: digits, ID: s.wamidLocked(digits), Timestamp: strconv.FormatInt(now.Unix(), 10), Type: "text"}
	m.Text.Body = text
	ch.Value.Messages = []hookMessage{m}
	body, _ := json.Marshal(&hookPayload{Object: "whatsapp_business_account",
		Entry: []hookEntry{{ID: s.cfg.BusinessAccountID, Changes: []hookChange{ch}}}})
	s.ctr.inbound++
	s.out.batches = append(s.out.batches, &batch{body: body, inbound: 1})
	select {
	case s.kick <- struct{}{}:
	default:
	}
	return nil
}

// The webhook payload, in the field order of Meta's examples and of
// testdata/whatsapp: WebhookPayload, Entry, Change, StatusMessageValue,
// Statuses, IncomingMessageValueGeneral in the spec.
type hookPayload struct {
	Object string      `json:"object"`
	Entry  []hookEntry `json:"entry"`
}

type hookEntry struct {
	ID      string       `json:"id"`
	Changes []hookChange `json:"changes"`
}

type hookChange struct {
	Field string    `json:"field"`
	Value hookValue `json:"value"`
}

type hookValue struct {
	MessagingProduct string        `json:"messaging_product"`
	Metadata         hookMetadata  `json:"metadata"`
	Contacts         []hookContact `json:"contacts,omitempty"`
	Messages         []hookMessage `json:"messages,omitempty"`
	Statuses         []hookStatus  `json:"statuses,omitempty"`
}

type hookMetadata struct {
	DisplayPhoneNumber string `json:"display_phone_number"`
	PhoneNumberID      string `json:"phone_number_id"`
}

type hookContact struct {
	Profile struct {
		Name string `json:"name"`
	} `json:"profile"`
	WaID string `json:"wa_id"`
}

type hookMessage struct {
	From      string `json:"from"`
	ID        string `json:"id"`
	Timestamp string `json:"timestamp"`
	Type      string `json:"type"`
	Text      struct {
		Body string `json:"body"`
	} `json:"text"`
}

type hookStatus struct {
	ID                    string            `json:"id"`
	Status                string            `json:"status"`
	Timestamp             string            `json:"timestamp"`
	RecipientID           string            `json:"recipient_id"`
	BizOpaqueCallbackData string            `json:"biz_opaque_callback_data,omitempty"`
	Conversation          *hookConversation `json:"conversation,omitempty"`
	Pricing               *hookPricing      `json:"pricing,omitempty"`
	Errors                []hookError       `json:"errors,omitempty"`
}

type hookConversation struct {
	ID                  string `json:"id"`
	ExpirationTimestamp string `json:"expiration_timestamp"`
	Origin              struct {
		Type string `json:"type"`
	} `json:"origin"`
}

type hookPricing struct {
	Billable     bool   `json:"billable"`
	PricingModel string `json:"pricing_model"`
	Category     string `json:"category"`
}

type hookError struct {
	Code      int    `json:"code"`
	Title     string `json:"title"`
	Message   string `json:"message"`
	ErrorData struct {
		Details string `json:"details"`
	} `json:"error_data"`
}

// itemHeap orders items by due time, then FIFO.
type itemHeap []*item

func (h itemHeap) Len() int { return len(h) }
func (h itemHeap) Less(i, j int) bool {
	if h[i].due.Equal(h[j].due) {
		return h[i].order < h[j].order
	}
	return h[i].due.Before(h[j].due)
}
func (h itemHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *itemHeap) Push(x any)   { *h = append(*h, x.(*item)) }
func (h *itemHeap) Pop() any {
	old := *h
	n := len(old)
	it := old[n-1]
	old[n-1] = nil
	*h = old[:n-1]
	return it
}
