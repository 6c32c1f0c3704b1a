package whatsapp

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/detourhq/detour"
)

func newHandler(t testing.TB, s *sinks) *WebhookHandler {
	h, err := NewWebhookHandler(testConfig("https://graph.facebook.com", nil), s, s.Inbound)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func post(h http.Handler, body []byte, sig string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", "/webhooks/whatsapp", bytes.NewReader(body))
	if sig != "" {
		r.Header.Set(SignatureHeader, sig)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestWebhookPayloads(t *testing.T) {
	at := func(s int64) time.Time { return time.Unix(s, 0).UTC() }
	const wamid = "wamid.HBgLMTY1MDUwNzY1MjAVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA"
	receipt := func(st detour.AttemptStatus, ts int64, reason detour.Code, detail string) detour.Receipt {
		return detour.Receipt{Channel: "whatsapp", Route: "main", ProviderID: wamid, Status: st, At: at(ts), Reason: reason, Detail: detail}
	}
	in := func(n, text string, ts int64) detour.Inbound {
		return detour.Inbound{Channel: "whatsapp", Route: "main", ProviderID: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0" + n + "A=",
			From: "+16505551234", To: "+15550783881", Text: text, ReceivedAt: at(ts)}
	}
	tests := []struct {
		file     string
		receipts []detour.Receipt
		inbound  []detour.Inbound
	}{
		{"status_sent.json", []detour.Receipt{receipt("sent", 1749416383, "", "")}, nil},
		{"status_delivered.json", []detour.Receipt{receipt("delivered", 1749416390, "", "")}, nil},
		{"status_read.json", []detour.Receipt{receipt("read", 1749416455, "", "")}, nil},
		{"status_failed_window.json", []detour.Receipt{receipt("failed", 1749416400, detour.ReasonOutsideWindow,
			"131047: Re-engagement message: Message failed to send because more than 24 hours have passed since the customer last replied to this number.")}, nil},
		{"status_failed_undeliverable.json", []detour.Receipt{receipt("failed", 1749416401, detour.ReasonInvalidRecipient, "131026: Message undeliverable: Message Undeliverable.")}, nil},
		{"status_failed_unknown_code.json", []detour.Receipt{receipt("failed", 1749416402, detour.ReasonUndeliverable,
			"131049: This message was not delivered to maintain healthy ecosystem engagement.: In order to maintain a healthy ecosystem engagement, the message failed to be delivered.")}, nil},
		{"message_text.json", nil, []detour.Inbound{in("01", "Does it come in another color?", 1749416383)}},
		{"message_text_reply.json", nil, []detour.Inbound{in("14", "Yes, 3pm works", 1749416399)}},
		{"message_image.json", nil, []detour.Inbound{in("02", "Taj Mahal", 1749416384)}},
		{"message_image_nocaption.json", nil, []detour.Inbound{in("03", "[image]", 1749416385)}},
		{"message_audio.json", nil, []detour.Inbound{in("04", "[audio]", 1749416386)}},
		{"message_video.json", nil, []detour.Inbound{in("05", "My vacation video", 1749416387)}},
		{"message_document.json", nil, []detour.Inbound{in("06", "Receipt", 1749416388)}},
		{"message_sticker.json", nil, []detour.Inbound{in("07", "[sticker]", 1749416389)}},
		{"message_reaction.json", nil, []detour.Inbound{in("08", "👍", 1749419544)}},
		{"message_button.json", nil, []detour.Inbound{in("09", "Unsubscribe", 1750091045)}},
		{"message_interactive_button_reply.json", nil, []detour.Inbound{in("10", "Cancel", 1749854575)}},
		{"message_interactive_list_reply.json", nil, []detour.Inbound{in("11", "Priority Mail Express", 1749854576)}},
		{"message_location.json", nil, []detour.Inbound{in("12", "37.44221496582,-122.16165924072 Philz Coffee", 1744344496)}},
		{"message_unsupported.json", nil, []detour.Inbound{in("13", "[unsupported]", 1750090702)}},
		{"unknown_types.json", nil, nil},
		{"batch.json", []detour.Receipt{
			{Channel: "whatsapp", Route: "main", ProviderID: "wamid.BATCH001", Status: "sent", At: at(1749416383)},
			{Channel: "whatsapp", Route: "main", ProviderID: "wamid.BATCH002", Status: "delivered", At: at(1749416384)},
			{Channel: "whatsapp", Route: "support", ProviderID: "wamid.BATCH003", Status: "read", At: at(1749416386)},
			{Channel: "whatsapp", Route: "support", ProviderID: "wamid.BATCH004", Status: "failed", At: at(1749416387), Reason: detour.ReasonThrottled,
				Detail: "130429: Rate limit hit: Cloud API message throughput has been reached."},
		}, []detour.Inbound{
			{Channel: "whatsapp", Route: "main", ProviderID: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ020A=", From: "+16505551234", To: "+15550783881", Text: "first", ReceivedAt: at(1749416385)},
			{Channel: "whatsapp", Route: "support", ProviderID: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ021A=", From: "+4915112345678", To: "+15550783882", Text: "second", ReceivedAt: at(1749416389)},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			s := &sinks{}
			body := readTestdata(t, tt.file)
			w := post(newHandler(t, s), body, Sign(body, testAppSecret))
			if w.Code != 200 {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			// Statuses are handed over concurrently: their order is free.
			sort.Slice(s.receipts, func(i, j int) bool { return s.receipts[i].ProviderID < s.receipts[j].ProviderID })
			sort.Slice(tt.receipts, func(i, j int) bool { return tt.receipts[i].ProviderID < tt.receipts[j].ProviderID })
			if !reflect.DeepEqual(s.receipts, tt.receipts) {
				t.Errorf("receipts:\n%+v\nwant\n%+v", s.receipts, tt.receipts)
			}
			if !reflect.DeepEqual(s.inbound, tt.inbound) {
				t.Errorf("inbound:\n%+v\nwant\n%+v", s.inbound, tt.inbound)
			}
		})
	}
}

func TestWebhookEventDetails(t *testing.T) {
	route := func(id string) (string, bool) { return routeOf(testConfig("", nil).Numbers, id) }
	ev, err := ParseWebhook(readTestdata(t, "status_failed_window.json"), route, time.Now())
	if err != nil || len(ev.Statuses) != 1 {
		t.Fatal(err, ev)
	}
	if s := ev.Statuses[0]; s.CallbackData != "att_01JD7ZQ6W5K3T9X2M4N8P0R1S2" || s.ErrorCode != 131047 || s.RecipientID != "16505551234" || s.PhoneNumberID != testPNID {
		t.Errorf("%+v", s)
	}
	ev, _ = ParseWebhook(readTestdata(t, "message_interactive_list_reply.json"), route, time.Now())
	if m := ev.Messages[0]; m.Type != "interactive" || m.ReplyID != "priority_express" || m.ContextID != "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJGMzEyNzhENTZDMzNGODlDRDgA" {
		t.Errorf("%+v", m)
	}
	ev, _ = ParseWebhook(readTestdata(t, "message_image.json"), route, time.Now())
	if m := ev.Messages[0]; m.Type != "image" || m.MediaID != "1003383421387256" {
		t.Errorf("%+v", m)
	}
	ev, _ = ParseWebhook(readTestdata(t, "batch.json"), route, time.Now())
	if ev.Foreign != 1 {
		t.Errorf("foreign %d, want 1", ev.Foreign)
	}
}

func TestWebhookRefusesBadSignatures(t *testing.T) {
	body := readTestdata(t, "batch.json")
	good := Sign(body, testAppSecret)
	tests := map[string]string{
		"missing":          "",
		"wrong secret":     Sign(body, "another-secret"),
		"other body":       Sign(append([]byte(" "), body...), testAppSecret),
		"no prefix":        strings.TrimPrefix(good, "sha256="),
		"sha1":             "sha1=" + strings.TrimPrefix(good, "sha256="),
		"short":            good[:len(good)-2],
		"not hex":          "sha256=" + strings.Repeat("zz", 32),
		"upper-case label": "SHA256=" + strings.TrimPrefix(good, "sha256="),
	}
	for name, sig := range tests {
		t.Run(name, func(t *testing.T) {
			s := &sinks{}
			if w := post(newHandler(t, s), body, sig); w.Code != 401 {
				t.Errorf("status %d, want 401", w.Code)
			}
			if s.calls() != 0 {
				t.Errorf("sinks called %d times", s.calls())
			}
		})
	}
}

func TestWebhookLimitsAndFailures(t *testing.T) {
	s := &sinks{}
	h := newHandler(t, s)
	big := bytes.Repeat([]byte(" "), MaxWebhookBody+1)
	if w := post(h, big, Sign(big, testAppSecret)); w.Code != 413 {
		t.Errorf("oversized: %d, want 413", w.Code)
	}
	junk := []byte("{not json")
	if w := post(h, junk, Sign(junk, testAppSecret)); w.Code != 400 {
		t.Errorf("malformed: %d, want 400", w.Code)
	}
	s.err = errors.New("store down")
	body := readTestdata(t, "status_sent.json")
	if w := post(h, body, Sign(body, testAppSecret)); w.Code != 500 {
		t.Errorf("sink error: %d, want 500", w.Code)
	}
	r := httptest.NewRequest("PUT", "/", nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 405 {
		t.Errorf("PUT: %d", w.Code)
	}
}

func TestWebhookVerification(t *testing.T) {
	h := newHandler(t, &sinks{})
	get := func(mode, token string) *httptest.ResponseRecorder {
		q := url.Values{"hub.mode": {mode}, "hub.verify_token": {token}, "hub.challenge": {"1158201444"}}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/webhooks/whatsapp?"+q.Encode(), nil))
		return w
	}
	if w := get("subscribe", testVerifyToken); w.Code != 200 || w.Body.String() != "1158201444" {
		t.Errorf("good token: %d %q", w.Code, w.Body)
	}
	for _, tc := range [][2]string{{"subscribe", "wrong"}, {"subscribe", ""}, {"unsubscribe", testVerifyToken}, {"", ""}} {
		if w := get(tc[0], tc[1]); w.Code != 403 || strings.Contains(w.Body.String(), "1158201444") {
			t.Errorf("%v: %d %q", tc, w.Code, w.Body)
		}
	}
}
