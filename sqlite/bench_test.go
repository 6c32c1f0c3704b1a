package sqlite_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/sqlite"
)

// benchMessage is a typical accepted message: text, a two-step policy, a
// client reference, metadata and its first send timer.
func benchMessage(ids *detour.IDSource, now time.Time) *detour.Message {
	return &detour.Message{
		ID: ids.New("msg_"), TenantID: "ten_bench", To: "+447400123456",
		Content: detour.Content{Text: "Your verification code is 123456. It expires in 10 minutes."},
		Steps: []detour.Step{{Channel: "sms", FallbackAfter: detour.Duration(30 * time.Second)},
			{Channel: "whatsapp"}},
		Priority:  detour.PriorityOTP,
		ClientRef: "order-42",
		Metadata:  map[string]string{"user": "u-1234"},
		Status:    detour.StatusQueued,
		CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(10 * time.Minute),
		Timer: &detour.Timer{Kind: detour.TimerSend, RunAt: now},
	}
}

func reportRate(b *testing.B, db *sqlite.DB) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	if st := db.Stats(); st.Commits > 0 {
		b.ReportMetric(float64(st.Ops)/float64(st.Commits), "ops/commit")
	}
}

// BenchmarkCreateMessageParallel accepts messages from 32 callers per
// GOMAXPROCS (64 on a 2-core machine, like the HTTP load test).
func BenchmarkCreateMessageParallel(b *testing.B) {
	db := open(b, b.TempDir(), sqlite.Options{})
	ids := detour.NewIDSource(time.Now, nil)
	now := time.Now()
	b.SetParallelism(32)
	var mu sync.Mutex
	var lat []time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			start := time.Now()
			if _, _, err := db.CreateMessage(context.Background(), benchMessage(ids, now), nil); err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, time.Since(start))
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	b.StopTimer()
	reportRate(b, db)
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	}
}

// BenchmarkClaimAndComplete runs the dispatcher's store traffic for each
// message: one claim (batches of 256) that starts the send and adds an
// attempt, then one concurrent update per message that records the
// provider's acceptance and waits for a receipt.
func BenchmarkClaimAndComplete(b *testing.B) {
	db := open(b, b.TempDir(), sqlite.Options{})
	ids := detour.NewIDSource(time.Now, nil)
	now := time.Now()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for range b.N {
		m := benchMessage(ids, now)
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if _, _, err := db.CreateMessage(context.Background(), m, nil); err != nil {
				b.Error(err)
			}
		})
	}
	wg.Wait()
	before := db.Stats()
	b.ReportAllocs()
	b.ResetTimer()

	claimAt := now.Add(time.Second)
	done := 0
	for done < b.N {
		claimed, err := db.Claim(context.Background(), detour.ClaimRequest{Owner: "node_bench", Now: claimAt, Lease: 30 * time.Second, Limit: 256},
			func(m *detour.Message) error {
				m.Status, m.StepStartedAt, m.UpdatedAt = detour.StatusSending, claimAt, claimAt
				m.Attempts = append(m.Attempts, &detour.Attempt{ID: ids.New("att_"), MessageID: m.ID, Channel: "sms",
					Status: detour.AttemptPending, CreatedAt: claimAt, UpdatedAt: claimAt})
				return nil
			})
		if err != nil {
			b.Fatal(err)
		}
		if len(claimed) == 0 {
			b.Fatalf("nothing left to claim after %d of %d", done, b.N)
		}
		for _, m := range claimed {
			attID := m.Attempts[len(m.Attempts)-1].ID
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				err := db.UpdateMessage(context.Background(), m.ID, func(m *detour.Message) error {
					a := m.Attempt(attID)
					a.ProviderID = "prov-" + attID
					a.SetStatus(detour.AttemptSent, claimAt)
					m.SetStatus(detour.StatusSent, claimAt)
					m.Timer = &detour.Timer{Kind: detour.TimerExpire, RunAt: m.ExpiresAt}
					return nil
				})
				if err != nil {
					b.Error(err)
				}
			})
		}
		done += len(claimed)
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	after := db.Stats()
	b.ReportMetric(float64(after.Ops-before.Ops)/float64(after.Commits-before.Commits), "ops/commit")
}
