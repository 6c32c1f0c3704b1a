package smpp

import (
	"context"
	"runtime"
	"testing"
)

// benchSubmit submits from more goroutines than there are window slots,
// over loopback, to an SMSC that answers at once, and reports submits/s.
func benchSubmit(b *testing.B, binds, window int) {
	s := newTestSMSC(b)
	c := startClient(b, s, ClientConfig{Binds: binds, Window: window})
	waitBound(b, c, binds)
	m := msg("447700900123")
	ctx := context.Background()
	b.SetParallelism(max(1, 2*binds*window/runtime.GOMAXPROCS(0)))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Submit(ctx, m); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "submits/s")
}

func BenchmarkSubmitWindow1(b *testing.B)   { benchSubmit(b, 1, 1) }
func BenchmarkSubmitWindow10(b *testing.B)  { benchSubmit(b, 1, 10) }
func BenchmarkSubmitWindow100(b *testing.B) { benchSubmit(b, 1, 100) }

// BenchmarkSubmit4Binds spreads the load over four connections.
func BenchmarkSubmit4Binds(b *testing.B) { benchSubmit(b, 4, 100) }
