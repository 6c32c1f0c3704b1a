package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/sqlite"
	"github.com/detourhq/detour/webhook"
)

// benchWorld is a real store (full durability) with one endpoint on a
// local receiver that notes when each event arrived.
type benchWorld struct {
	store *sqlite.DB
	ids   *detour.IDSource
	ten   string
	got   atomic.Int64
	mu    sync.Mutex
	delay []time.Duration
	all   chan struct{}
	want  int64
}

func newBenchWorld(b *testing.B) *benchWorld {
	w := &benchWorld{ids: detour.NewIDSource(time.Now, nil), all: make(chan struct{})}
	w.ten = w.ids.New("ten_")
	s, err := sqlite.Open(context.Background(), b.TempDir(), sqlite.Options{Exclusive: true})
	if err != nil {
		b.Fatal(err)
	}
	w.store = s
	b.Cleanup(func() { s.Close() })
	recv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		var body webhook.Body
		raw, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(raw, &body)
		d := time.Since(body.CreatedAt)
		w.mu.Lock()
		w.delay = append(w.delay, d)
		w.mu.Unlock()
		if w.got.Add(1) == w.want {
			close(w.all)
		}
		rw.WriteHeader(http.StatusNoContent)
	}))
	b.Cleanup(recv.Close)
	now := time.Now()
	e := &detour.WebhookEndpoint{ID: w.ids.New("whe_"), TenantID: w.ten, Kind: detour.EndpointURL, URL: recv.URL,
		Secrets: []detour.EndpointSecret{{Secret: webhook.NewSecret(), CreatedAt: now}}, CreatedAt: now, UpdatedAt: now}
	if err := s.CreateEndpoint(context.Background(), e); err != nil {
		b.Fatal(err)
	}
	return w
}

// events writes n message.status events from 32 writers (so that commits
// are shared), at most rate per second when rate > 0.
func (w *benchWorld) events(b *testing.B, n int, rate float64) {
	ctx := context.Background()
	var next atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				if rate > 0 {
					if d := time.Until(start.Add(time.Duration(float64(i) / rate * float64(time.Second)))); d > 0 {
						time.Sleep(d)
					}
				}
				now := time.Now()
				m := &detour.Message{ID: w.ids.New("msg_"), TenantID: w.ten, To: "+447400123456",
					Content: detour.Content{Text: "x"}, Steps: []detour.Step{{Channel: "sms"}}, Priority: detour.PriorityNormal,
					Status: detour.StatusSent, CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(time.Hour)}
				if _, _, err := w.store.CreateMessage(ctx, m, nil); err != nil {
					b.Error(err)
					return
				}
				if err := w.store.UpdateMessage(ctx, m.ID, func(m *detour.Message) error {
					m.SetStatus(detour.StatusDelivered, time.Now())
					return nil
				}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func (w *benchWorld) dispatcher(b *testing.B) *webhook.Dispatcher {
	c := webhook.NewClient(webhook.Config{AllowPrivateNetworks: true})
	d, err := webhook.NewDispatcher(webhook.DispatcherConfig{Store: w.store, Client: c, Queued: w.store.DeliveriesQueued()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { d.Stop(); c.Close() })
	return d
}

// BenchmarkDeliverBacklog: events already in the outbox, delivered to a
// local receiver as fast as the dispatcher goes (events/s).
func BenchmarkDeliverBacklog(b *testing.B) {
	w := newBenchWorld(b)
	w.want = int64(b.N)
	w.events(b, b.N, 0)
	d := w.dispatcher(b)
	b.ResetTimer()
	start := time.Now()
	if err := d.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	<-w.all
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}

// BenchmarkDeliverLive: events written at 3,000/s while the dispatcher
// runs; the delay from the status change (the event's time) to its arrival
// at the receiver, p50 and p99.
func BenchmarkDeliverLive(b *testing.B) {
	w := newBenchWorld(b)
	w.want = int64(b.N)
	d := w.dispatcher(b)
	if err := d.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	w.events(b, b.N, 3000)
	<-w.all
	b.StopTimer()
	w.mu.Lock()
	slices.Sort(w.delay)
	p := func(q float64) float64 { return float64(w.delay[int(q*float64(len(w.delay)-1))].Microseconds()) / 1000 }
	b.ReportMetric(p(0.5), "p50-ms")
	b.ReportMetric(p(0.99), "p99-ms")
	w.mu.Unlock()
}
