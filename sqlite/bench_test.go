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

// BenchmarkLifecycle runs the store traffic of one SMS sent on the direct
// path, from 64 concurrent callers: the accept (message and leased
// timer), the provider's acceptance (a new attempt with its provider id, a
// receipt-wait timer, a status event) and the delivery receipt (found by
// provider id; attempt and message delivered, timer gone, another event).
// Three writes per message, as in `bench/http.sh sms`.
func BenchmarkLifecycle(b *testing.B) { benchLifecycle(b, false) }

// BenchmarkLifecycleCoalesced is BenchmarkLifecycle with the provider's
// acceptance and the receipt recorded in one write (one status event, the
// rows written once): a bound on what coalescing a message's transitions
// within a batch could save.
func BenchmarkLifecycleCoalesced(b *testing.B) { benchLifecycle(b, true) }

func benchLifecycle(b *testing.B, coalesce bool) {
	db := open(b, b.TempDir(), sqlite.Options{Exclusive: true}) // as `detour serve` opens it
	ids := detour.NewIDSource(time.Now, nil)
	now := time.Now()
	ctx := context.Background()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		m := benchMessage(ids, now)
		m.Timer.Owner, m.Timer.Lease = "node_bench", 1
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if _, _, err := db.CreateMessage(ctx, m, nil); err != nil {
				b.Error(err)
				return
			}
			attID := ids.New("att_")
			provider := "prov-" + attID
			err := db.UpdateMessage(ctx, m.ID, func(m *detour.Message) error {
				a := &detour.Attempt{ID: attID, MessageID: m.ID, Channel: "sms", Route: "op1", ProviderID: provider,
					Segments: 1, CreatedAt: now, UpdatedAt: now}
				a.SetStatus(detour.AttemptSent, now)
				m.Attempts = append(m.Attempts, a)
				m.SetStatus(detour.StatusSent, now)
				m.Timer = &detour.Timer{Kind: detour.TimerFallback, RunAt: now.Add(30 * time.Second)}
				if coalesce { // the receipt in the same write
					a.SetStatus(detour.AttemptDelivered, now)
					m.SetStatus(detour.StatusDelivered, now)
					m.Timer = nil
				}
				return nil
			})
			if err != nil || coalesce {
				if err != nil {
					b.Error(err)
				}
				return
			}
			r := detour.Receipt{Channel: "sms", Route: "op1", ProviderID: provider, Status: detour.AttemptDelivered, At: now}
			matched, err := db.ApplyReceipt(ctx, r, func(m *detour.Message, a *detour.Attempt) error {
				a.SetStatus(detour.AttemptDelivered, now)
				m.SetStatus(detour.StatusDelivered, now)
				m.Timer = nil
				return nil
			})
			if err != nil || !matched {
				b.Error("receipt", matched, err)
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	reportRate(b, db)
}
