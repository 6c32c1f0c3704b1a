package whatsapp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// batchOfStatuses builds a realistic payload: 10 entries × 5 changes × 20
// statuses (1,000 statuses), as Meta batches them under load.
func batchOfStatuses() ([]byte, int) {
	var b bytes.Buffer
	b.WriteString(`{"object":"whatsapp_business_account","entry":[`)
	n := 0
	for e := 0; e < 10; e++ {
		if e > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"id":"102290129340398","changes":[`)
		for c := 0; c < 5; c++ {
			if c > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"statuses":[`)
			for s := 0; s < 20; s++ {
				if s > 0 {
					b.WriteByte(',')
				}
				st := []string{"sent", "delivered", "read"}[n%3]
				fmt.Fprintf(&b, `{"id":"wamid.HBgLMTY1MDUwNzY1MjAVAgARGBI5QTNDQTVCM0Q0Q0Q2%010d","status":%q,"timestamp":"1749416383","recipient_id":"16505551234","biz_opaque_callback_data":"att_01JD7ZQ6W5K3T9X2M4N8P%05d","pricing":{"billable":true,"pricing_model":"PMP","category":"utility"}}`, n, st, n)
				n++
			}
			b.WriteString(`]}}`)
		}
		b.WriteString(`]}`)
	}
	b.WriteString(`]}`)
	if !json.Valid(b.Bytes()) {
		panic("bad benchmark payload")
	}
	return b.Bytes(), n
}

// BenchmarkParseStatuses reports statuses parsed per second, signature
// check included, from a 1,000-status batch.
func BenchmarkParseStatuses(b *testing.B) {
	body, n := batchOfStatuses()
	sig := Sign(body, testAppSecret)
	route := func(id string) (string, bool) { return routeOf(testConfig("", nil).Numbers, id) }
	now := time.Now()
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if !ValidSignature(body, sig, testAppSecret) {
			b.Fatal("signature")
		}
		ev, err := ParseWebhook(body, route, now)
		if err != nil || len(ev.Statuses) != n {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "statuses/s")
}

// BenchmarkWebhookStatuses is the same through the HTTP handler with
// sinks that only count.
func BenchmarkWebhookStatuses(b *testing.B) {
	body, n := batchOfStatuses()
	sig := Sign(body, testAppSecret)
	s := &sinks{}
	h := newHandler(b, s)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.receipts = s.receipts[:0]
		if w := post(h, body, sig); w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "statuses/s")
}
