package verify

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/dispatch"
	"github.com/detourhq/detour/sqlite"
)

// The benchmarks run the service on the embedded store as the server does
// (one SQLite file, WAL, synchronous=FULL: every answer is fsynced, group
// commit) over the real dispatcher, which is not started: they measure
// what a start or a check costs, not the sends. 64 callers at once, like
// the API under load: go test -bench . -benchtime 20000x ./verify/

// nullChannel takes every send.
type nullChannel string

func (c nullChannel) Name() string                    { return string(c) }
func (c nullChannel) Carries(detour.ContentKind) bool { return true }
func (c nullChannel) Send(context.Context, *detour.Send) detour.Outcome {
	return detour.AcceptedOutcome("", "x")
}

func benchService(b *testing.B) (*Service, *sqlite.DB) { return benchServiceT(b) }

func benchServiceT(b testing.TB) (*Service, *sqlite.DB) {
	b.Helper()
	store, err := sqlite.Open(context.Background(), b.TempDir(), sqlite.Options{Exclusive: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	engine, err := dispatch.New(dispatch.Config{Store: store, Channels: []detour.Channel{nullChannel("whatsapp"), nullChannel("sms")},
		DefaultPolicy: []detour.Step{{Channel: "sms"}}})
	if err != nil {
		b.Fatal(err)
	}
	svc, err := New(Config{Messages: engine, Store: store, Secret: "a benchmark secret of thirty-two bytes or more",
		Channels: []string{"whatsapp", "sms"}, Known: []string{"whatsapp", "sms"}})
	if err != nil {
		b.Fatal(err)
	}
	return svc, store
}

// reportCommits reports how many writes shared a commit (group commit).
func reportCommits(b *testing.B, db *sqlite.DB) {
	if st := db.Stats(); st.Commits > 0 {
		b.ReportMetric(float64(st.Ops)/float64(st.Commits), "writes/commit")
	}
}

func benchNumber(i int64) string { return fmt.Sprintf("+4474%08d", i) }

// BenchmarkStart starts verifications of distinct numbers: three durable
// writes each (the verification, its message, the message id recorded).
func BenchmarkStart(b *testing.B) {
	svc, store := benchService(b)
	var n atomic.Int64
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := svc.StartVerification(context.Background(), "ten_1", &detour.VerificationRequest{To: benchNumber(n.Add(1))}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "starts/s")
	reportCommits(b, store)
}

// started makes n verifications to check, concurrently, before the clock
// runs.
func started(b *testing.B, svc *Service, n int) []*detour.Verification {
	b.Helper()
	out := make([]*detour.Verification, n)
	var wg sync.WaitGroup
	var next atomic.Int64
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				v, _, err := svc.StartVerification(context.Background(), "ten_1", &detour.VerificationRequest{To: benchNumber(int64(i))})
				if err != nil {
					b.Error(err)
					return
				}
				out[i] = v
			}
		}()
	}
	wg.Wait()
	return out
}

// BenchmarkCheckWrong checks wrong codes: each check takes an attempt in
// one durable write. Every verification takes four, so it stays pending.
func BenchmarkCheckWrong(b *testing.B) {
	svc, _ := benchService(b)
	vs := started(b, svc, b.N/4+1)
	var n atomic.Int64
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1) - 1
			v, err := svc.CheckVerification(context.Background(), "ten_1", vs[i/4].ID, "00000000000")
			if err != nil || v.Status != detour.VerificationPending {
				b.Errorf("check: %v %v", v, err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "checks/s")
}

// BenchmarkCheckRight approves verifications with their code: the check's
// write, then canceling the pending message (a second write).
func BenchmarkCheckRight(b *testing.B) {
	svc, _ := benchService(b)
	vs := started(b, svc, b.N)
	codes := make([]string, len(vs))
	for i, v := range vs {
		codes[i] = svc.codes.derive(v.ID, v.CodeSeed, v.CodeLength)
	}
	var n atomic.Int64
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1) - 1
			v, err := svc.CheckVerification(context.Background(), "ten_1", vs[i].ID, codes[i])
			if err != nil || v.Status != detour.VerificationApproved {
				b.Errorf("check: %v %v", v, err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "checks/s")
}
