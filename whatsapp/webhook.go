package whatsapp

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/detourhq/detour"
)

// MaxWebhookBody is the largest webhook body accepted; larger ones are
// answered 413 without being read further.
const MaxWebhookBody = 1 << 20

// SignatureHeader carries the HMAC-SHA256 of the raw body, keyed with the
// app secret: "sha256=<64 hex digits>".
const SignatureHeader = "X-Hub-Signature-256"

// InboundFunc takes one inbound message. It must be idempotent on
// (channel, route, provider id): Meta redelivers webhooks.
type InboundFunc func(ctx context.Context, in *detour.Inbound) error

// WebhookHandler serves the callback URL configured in the Meta app:
// GET for the verification handshake, POST for signed event payloads.
type WebhookHandler struct {
	cfg      Config
	receipts detour.ReceiptSink
	inbound  InboundFunc
	route    func(string) (string, bool)
}

// NewWebhookHandler returns the handler. Receipts go to receipts, inbound
// messages to inbound (statuses first, then messages, each in payload
// order), and the request
// is answered 200 only once every one of them returned nil (otherwise 500,
// so that Meta delivers the payload again). Duplicates are not filtered
// here: the sinks are idempotent.
func NewWebhookHandler(cfg Config, receipts detour.ReceiptSink, inbound InboundFunc) (*WebhookHandler, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if receipts == nil || inbound == nil {
		return nil, errors.New("whatsapp: the webhook handler needs a receipt sink and an inbound function")
	}
	numbers := cfg.Numbers
	return &WebhookHandler{cfg: cfg, receipts: receipts, inbound: inbound,
		route: func(id string) (string, bool) { return routeOf(numbers, id) }}, nil
}

// ServeHTTP answers GET (verification) and POST (events).
func (h *WebhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		h.verify(w, r)
	case http.MethodPost:
		h.events(w, r)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// verify answers Meta's subscription handshake: hub.mode=subscribe and
// hub.verify_token equal to ours (compared in constant time) echo
// hub.challenge; anything else is 403.
func (h *WebhookHandler) verify(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("hub.mode") != "subscribe" || !equalSecret(q.Get("hub.verify_token"), h.cfg.VerifyToken.Reveal()) {
		h.cfg.Logger.LogAttrs(r.Context(), slog.LevelWarn, "whatsapp webhook verification refused",
			slog.String("mode", truncate(q.Get("hub.mode"), 32)))
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	io.WriteString(w, q.Get("hub.challenge"))
}

// equalSecret compares in constant time, also in the length: both sides
// are hashed first.
func equalSecret(got, want string) bool {
	a, b := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1 && want != ""
}

func (h *WebhookHandler) events(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxWebhookBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "payload too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	if !ValidSignature(body, r.Header.Get(SignatureHeader), h.cfg.AppSecret) {
		h.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, "whatsapp webhook signature refused",
			slog.Int("bytes", len(body)), slog.Bool("header_present", r.Header.Get(SignatureHeader) != ""))
		http.Error(w, "invalid signature", http.StatusUnauthorized)
		return
	}
	ev, err := ParseWebhook(body, h.route, h.cfg.Clock.Now())
	if err != nil {
		// Signed by Meta yet unreadable: a retry brings the same bytes.
		h.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, "whatsapp webhook unreadable", slog.Int("bytes", len(body)))
		http.Error(w, "malformed payload", http.StatusBadRequest)
		return
	}
	if ev.Foreign > 0 {
		h.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, "whatsapp webhook events for numbers not configured were ignored",
			slog.Int("events", ev.Foreign))
	}
	if err := h.deliver(ctx, ev); err != nil {
		h.cfg.Logger.LogAttrs(ctx, slog.LevelError, "whatsapp webhook not stored; Meta will retry", slog.String("error", err.Error()))
		http.Error(w, "not stored, retry later", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// deliverConcurrency bounds how many events of one webhook are handed to
// the sinks at once: each waits for a durable commit, and concurrent ones
// share it (the store's group commit).
const deliverConcurrency = 64

// deliver hands every status to the receipt sink, concurrently (statuses
// only move forward, so their order does not matter), then the messages
// from users in payload order, and returns the first error.
func (h *WebhookHandler) deliver(ctx context.Context, ev *Events) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		sem   = make(chan struct{}, deliverConcurrency)
	)
	run := func(f func() error) {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := f(); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	for i := range ev.Statuses {
		r := ev.Statuses[i].Receipt
		run(func() error { return h.receipts.Receipt(ctx, r) })
	}
	wg.Wait()
	if first != nil {
		return first
	}
	for i := range ev.Messages {
		if err := h.inbound(ctx, &ev.Messages[i].Inbound); err != nil {
			return err
		}
	}
	return nil
}

// ValidSignature reports whether header is "sha256=" followed by the hex
// HMAC-SHA256 of body keyed with appSecret. The comparison takes constant
// time; an empty secret never validates.
func ValidSignature(body []byte, header string, appSecret detour.Secret) bool {
	hexSig, ok := strings.CutPrefix(header, "sha256=")
	if !ok || len(hexSig) != 2*sha256.Size || appSecret == "" {
		return false
	}
	got := make([]byte, sha256.Size)
	if _, err := hex.Decode(got, []byte(hexSig)); err != nil {
		return false
	}
	mac := hmac.New(sha256.New, []byte(appSecret.Reveal()))
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}

// Sign returns the X-Hub-Signature-256 value for body, as Meta computes
// it. Tests and the Cloud API simulator use it.
func Sign(body []byte, appSecret detour.Secret) string {
	mac := hmac.New(sha256.New, []byte(appSecret.Reveal()))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}
