package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/config"
	"github.com/detourhq/detour/server"
	"github.com/detourhq/detour/whatsapp"
)

// BenchmarkWebhookStatusesIngested measures WhatsApp status webhooks
// ingested end to end: signed POSTs of 100 statuses each, from 4 concurrent
// senders (like Meta's), verified, parsed and committed to the store as
// delivered, over HTTP on loopback. b.N counts statuses.
//
//	go test -run XXX -bench WebhookStatusesIngested -benchtime 20000x ./server/
func BenchmarkWebhookStatusesIngested(b *testing.B) {
	dir := b.TempDir()
	cfg, err := config.Load("", nil, map[string]any{"server.addr": "127.0.0.1:0", "server.data": dir})
	if err != nil {
		b.Fatal(err)
	}
	cfg.Channels.WhatsApp = config.WhatsApp{BaseURL: "http://127.0.0.1:1", Token: "tok", AppSecret: "appsecret", VerifyToken: "v",
		Numbers: []config.WhatsAppNumber{{Name: "main", PhoneNumberID: "106540352242922"}}}
	n, err := server.New(context.Background(), cfg, server.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if err := n.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer n.Stop(context.Background())
	store := n.Store()
	// Messages already sent on WhatsApp, one attempt each, waiting for
	// their receipts.
	ids := detour.NewIDSource(time.Now, nil)
	now := time.Now()
	wamids := make([]string, b.N)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for i := range wamids {
		wamids[i] = fmt.Sprintf("wamid.BENCH%08d", i)
		m := &detour.Message{ID: ids.New("msg_"), TenantID: "ten_bench", To: "+447400123456",
			Content: detour.Content{Text: "x"}, Steps: []detour.Step{{Channel: "whatsapp"}}, Priority: detour.PriorityNormal,
			Status: detour.StatusSent, CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(time.Hour),
			Timer: &detour.Timer{Kind: detour.TimerExpire, RunAt: now.Add(time.Hour)},
			Attempts: []*detour.Attempt{{ID: ids.New("att_"), Channel: "whatsapp", Route: "main", ProviderID: wamids[i],
				Status: detour.AttemptSent, CreatedAt: now, SentAt: now, UpdatedAt: now}}}
		m.Attempts[0].MessageID = m.ID
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if _, _, err := store.CreateMessage(context.Background(), m, nil); err != nil {
				b.Error(err)
			}
		}()
	}
	wg.Wait()
	bodies := make([][]byte, 0, b.N/100+1)
	for start := 0; start < b.N; start += 100 {
		var st []string
		for i := start; i < min(start+100, b.N); i++ {
			st = append(st, fmt.Sprintf(`{"id":"%s","status":"delivered","timestamp":"%d","recipient_id":"447400123456"}`, wamids[i], now.Unix()))
		}
		bodies = append(bodies, []byte(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":`+
			`{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550001111","phone_number_id":"106540352242922"},`+
			`"statuses":[`+strings.Join(st, ",")+`]}}]}]}`))
	}
	url := "http://" + n.Addr() + "/webhooks/whatsapp"
	b.ResetTimer()
	next := make(chan []byte)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for body := range next {
				req, _ := http.NewRequest("POST", url, strings.NewReader(string(body)))
				req.Header.Set("X-Hub-Signature-256", whatsapp.Sign(body, "appsecret"))
				resp, err := http.DefaultClient.Do(req)
				if err != nil || resp.StatusCode != 200 {
					b.Errorf("webhook: %v %v", resp, err)
				}
				if resp != nil {
					resp.Body.Close()
				}
			}
		}()
	}
	for _, body := range bodies {
		next <- body
	}
	close(next)
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "statuses/s")
	page, err := store.Messages(context.Background(), detour.MessageFilter{TenantID: "ten_bench", Status: detour.StatusDelivered, Limit: 1})
	if err != nil || len(page.Messages) == 0 {
		b.Fatalf("no message was delivered: %v", err)
	}
}
