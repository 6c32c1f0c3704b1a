package wasim

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/detourhq/detour/tokenbucket"
)

// maxSendBody bounds a send request body.
const maxSendBody = 1 << 20

// serveHTTP routes /{version}/{phone-number-id}/messages; every other path
// gets Graph's answer to an unknown path.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	mode := s.mode
	s.ctr.requests++
	s.mu.Unlock()
	switch mode {
	case DownRefused:
		// A request on a connection that raced the listener closing.
		panic(http.ErrAbortHandler)
	case DownTimeout:
		s.count(func(c *counters) { c.held++ })
		select {
		case <-r.Context().Done():
		case <-s.done:
		}
		panic(http.ErrAbortHandler)
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) != 3 || parts[0] != s.cfg.Version || parts[2] != "messages" {
		s.writeError(w, unknownPath(r.URL.Path))
		return
	}
	if !s.authorized(r.Header.Get("Authorization")) {
		s.writeError(w, badToken())
		return
	}
	if r.Method != http.MethodPost {
		s.writeError(w, &graphError{status: http.StatusBadRequest, Type: "GraphMethodException", Code: CodeInvalidParam,
			Message: "Unsupported " + strings.ToLower(r.Method) + " request."})
		return
	}
	pnid := parts[1]
	num, ok := s.numbers[pnid]
	if !ok {
		s.writeError(w, noSuchObject(pnid))
		return
	}
	if mode == Down5xx {
		s.writeError(w, transientErr())
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxSendBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.writeError(w, invalidParam("The request body is larger than 1 MiB"))
			return
		}
		panic(http.ErrAbortHandler) // the client went away
	}
	req, err := decodeSend(body)
	if err != nil {
		s.writeError(w, invalidParam(err.Error()))
		return
	}
	res, gerr, latency := s.accept(num, req)
	if latency > 0 && !s.wait(r, latency) {
		panic(http.ErrAbortHandler)
	}
	if gerr != nil {
		s.writeError(w, gerr)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(res)))
	w.Write(res)
}

// wait holds an answer for d on the server's clock; false if the client
// or the server went away first.
func (s *Server) wait(r *http.Request, d time.Duration) bool {
	t := s.clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return true
	case <-r.Context().Done():
	case <-s.done:
	}
	return false
}

// authorized compares the Bearer token in constant time.
func (s *Server) authorized(h string) bool {
	tok, ok := strings.CutPrefix(h, "Bearer ")
	want := s.cfg.Token.Reveal()
	return ok && len(tok) == len(want) && subtle.ConstantTimeCompare([]byte(tok), []byte(want)) == 1
}

// accept decides the answer to a valid request: throttled, not on
// WhatsApp, or accepted with a wamid and its statuses scheduled. It
// returns the success body or the error, and how long to wait before
// answering.
func (s *Server) accept(num Number, req *sendRequest) ([]byte, *graphError, time.Duration) {
	digits, isPhone := recipientDigits(req.To)
	if !isPhone {
		digits = req.To // a group id
	}
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.beh
	latency := b.Latency.Sample(s.rnd)
	if b.ThrottleAbove > 0 && !take(s.buckets, num.PhoneNumberID, now, b.ThrottleAbove) {
		return nil, throttledErr(), latency
	}
	if s.mode == Throttled && !take(s.cut, num.PhoneNumberID, now, s.cfg.ThrottledRate) {
		return nil, throttledErr(), latency
	}
	notOnWA := isPhone && b.NotOnWhatsApp != nil && b.NotOnWhatsApp(digits)
	if notOnWA && !b.UndeliverableAsStatus {
		return nil, undeliverable(), latency
	}
	id := s.wamidLocked(digits)
	s.ctr.accepted++
	m := messageOf(req, id, num.PhoneNumberID, digits, now)
	silent := s.mode == Silent
	s.ledger.add(m)

	// The statuses, on the clock from when the answer goes out.
	at := now.Add(latency)
	st := status{wamid: id, pnid: num.PhoneNumberID, recipient: digits, callback: req.BizOpaqueCallbackData,
		category: category(req.Type)}
	switch {
	case notOnWA:
		st.status, st.errCode = "failed", CodeUndeliverable
		s.enqueueLocked(at.Add(b.SentDelay.Sample(s.rnd)), st)
	default:
		at = at.Add(b.SentDelay.Sample(s.rnd))
		st.status = "sent"
		s.enqueueLocked(at, st)
		if silent {
			s.ctr.silenced++
			break
		}
		at = at.Add(b.StatusDelay.Sample(s.rnd))
		st.status = "delivered"
		s.enqueueLocked(at, st)
		if b.ReadShare > 0 && s.rnd.Float64() < b.ReadShare {
			st.status = "read"
			s.enqueueLocked(at.Add(b.ReadDelay.Sample(s.rnd)), st)
		}
	}
	res, _ := json.Marshal(sendResponse{
		MessagingProduct: "whatsapp",
		Contacts:         []sendContact{{Input: req.To, WaID: digits}},
		Messages:         []sendMessage{{ID: id}},
	})
	return res, nil, latency
}

// take takes a token at rate a second from the bucket of number id in
// buckets, which holds one second's worth.
func take(buckets map[string]*tokenbucket.Bucket, id string, now time.Time, rate float64) bool {
	bk := buckets[id]
	if bk == nil {
		bk = &tokenbucket.Bucket{}
		buckets[id] = bk
	}
	ok, _ := bk.Take(now, rate, max(rate, 1))
	return ok
}

type sendResponse struct {
	MessagingProduct string        `json:"messaging_product"`
	Contacts         []sendContact `json:"contacts"`
	Messages         []sendMessage `json:"messages"`
}

type sendContact struct {
	Input string `json:"input"`
	WaID  string `json:"wa_id"`
}

type sendMessage struct {
	ID string `json:"id"`
}

// category is the pricing category of a message: business-initiated
// templates are billed as utility here, replies as service.
func category(typ string) string {
	if typ == "template" {
		return "utility"
	}
	return "service"
}

// wamidLocked returns a new message id shaped like Meta's:
// "wamid." and the base64 of a small record naming the recipient and an
// 18-hex-digit unique id.
func (s *Server) wamidLocked(digits string) string {
	s.nextID++
	const hex = "0123456789ABCDEF"
	if len(digits) > 32 {
		digits = digits[:32]
	}
	raw := make([]byte, 0, 48)
	raw = append(raw, 0x15, 0x02, 0x00, 0x11, 0x18, 0x12)
	raw = append(append([]byte{0x1c, 0x18, byte(len(digits))}, digits...), raw...)
	n := s.nextID
	var u [18]byte
	for i := 17; i >= 0; i-- {
		u[i] = hex[n&15]
		n >>= 4
	}
	raw = append(append(raw, u[:]...), 0)
	return "wamid." + base64.StdEncoding.EncodeToString(raw)
}
