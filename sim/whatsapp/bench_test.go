package wasim

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/detourhq/detour"
)

// BenchmarkSend measures the send endpoint through our client, statuses
// scheduled but not posted.
func BenchmarkSend(b *testing.B) {
	s, err := New(Config{Token: testToken, AppSecret: testAppSecret, Numbers: []Number{{PhoneNumberID: testPNID}}, Keep: 1000})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer s.Stop(context.Background())
	cfg := clientConfig(s.URL())
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	cfg.HTTPClient = &http.Client{Transport: tr, Timeout: 10 * time.Second}
	c, err := newClientWith(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if out, _ := send(c, "+16505551234", detour.Content{Text: "Your code is 123456"}); out.Result != detour.Accepted {
				b.Fatalf("%+v", out)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sends/s")
}

// BenchmarkWebhooks measures status posting: b.N statuses due at once,
// posted in batches to a handler that only counts.
func BenchmarkWebhooks(b *testing.B) {
	got := make(chan int, 1<<16)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- bytes.Count(body, []byte(`"status":`))
	}))
	defer ts.Close()
	s, err := New(Config{Token: testToken, AppSecret: testAppSecret, WebhookURL: ts.URL, Numbers: []Number{{PhoneNumberID: testPNID}}, Keep: 1, MaxQueued: b.N + 1})
	if err != nil {
		b.Fatal(err)
	}
	s.mu.Lock()
	now := s.clock.Now()
	for i := 0; i < b.N; i++ {
		s.enqueueLocked(now, status{wamid: "wamid.X", pnid: testPNID, recipient: "16505551234", callback: "att_1", category: "utility", status: "delivered"})
	}
	s.mu.Unlock()
	b.ResetTimer()
	if err := s.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	for n := 0; n < b.N; n += <-got {
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "statuses/s")
	s.Stop(context.Background())
}
