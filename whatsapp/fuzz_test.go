package whatsapp

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzParseWebhook posts arbitrary bodies, validly signed, through the
// handler and the parser: nothing panics; the parser either errors or
// yields events, and the handler answers 200 or 400.
func FuzzParseWebhook(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "whatsapp", "*.json"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	route := func(id string) (string, bool) { return routeOf(testConfig("", nil).Numbers, id) }
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := ParseWebhook(body, route, time.Unix(0, 0))
		if (err == nil) == (ev == nil) {
			t.Fatalf("err %v and events %v", err, ev)
		}
		if ev != nil {
			for _, s := range ev.Statuses {
				if s.Receipt.ProviderID == "" || !s.Receipt.Status.Valid() {
					t.Fatalf("bad receipt %+v", s)
				}
			}
			for _, m := range ev.Messages {
				if m.Inbound.ProviderID == "" || m.Inbound.Channel != Channel {
					t.Fatalf("bad inbound %+v", m)
				}
			}
		}
		s := &sinks{}
		if len(body) > MaxWebhookBody {
			return
		}
		w := post(newHandler(t, s), body, Sign(body, testAppSecret))
		if w.Code != 200 && w.Code != 400 {
			t.Fatalf("status %d", w.Code)
		}
		if w.Code == 400 && s.calls() != 0 {
			t.Fatal("sinks called for a refused body")
		}
	})
}
