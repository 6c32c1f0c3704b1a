package api

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/detourhq/detour"
)

// constService answers every send with the same message, so the benchmark
// measures the handler alone.
type constService struct {
	*fakeService
	m *detour.Message
}

func (c constService) SendMessage(context.Context, string, *detour.SendRequest, *detour.Idempotency) (*detour.Message, bool, error) {
	return c.m, false, nil
}

// BenchmarkSendMessage measures POST /v1/messages through the whole
// handler (auth, rate limit, decoding, encoding, metrics) over a service
// that costs nothing.
func BenchmarkSendMessage(b *testing.B) {
	e := newEnv(b, func(c *Config) { c.RateLimit = 1e12 })
	now := time.Now()
	e.srv.cfg.Messages = constService{e.svc, &detour.Message{ID: "msg_01JNC2Y8T1B3W6XQ9Z0A7K5M4P", To: "+447400123456",
		Content: detour.Content{Text: "Your code is 123456"}, Steps: []detour.Step{{Channel: "sandbox"}},
		Priority: detour.PriorityOTP, Status: detour.StatusQueued, CreatedAt: now, UpdatedAt: now, ExpiresAt: now}}
	body := `{"to":"+447400123456","content":{"text":"Your code is 123456"},"priority":"otp","channels":[{"channel":"sandbox"}]}`
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest("POST", "/v1/messages", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+e.keyA)
			w := httptest.NewRecorder()
			e.srv.ServeHTTP(w, req)
			if w.Code != 202 {
				b.Fatal(w.Code, w.Body)
			}
		}
	})
}
