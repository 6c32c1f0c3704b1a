package health_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/health"
)

// frozenClock always tells the same time, to measure the Monitor's own
// cost without the clock's (time.Now costs about 115 ns on a kvm-clock VM).
type frozenClock struct{ t time.Time }

func (c frozenClock) Now() time.Time                               { return c.t }
func (frozenClock) AfterFunc(time.Duration, func()) detour.Stopper { panic("unused") }
func (frozenClock) NewTimer(time.Duration) detour.Timerer          { panic("unused") }

var clocks = []struct {
	name  string
	clock detour.Clock
}{{"system", detour.SystemClock{}}, {"frozen", frozenClock{time.Now()}}}

var benchKeys = []health.Key{{Channel: "sms", Route: "smsc-1"}, {Channel: "sms", Route: "smsc-2"},
	{Channel: "sms", Route: "smsc-3"}, {Channel: "whatsapp"}}

// bench runs f for each clock: serially, or from every CPU (one route per
// goroutine among routes) when parallel.
func bench(b *testing.B, parallel bool, routes int, f func(m *health.Monitor, clock detour.Clock, k health.Key, i int)) {
	for _, c := range clocks {
		b.Run("clock="+c.name, func(b *testing.B) {
			m, err := health.New(health.Config{Clock: c.clock})
			if err != nil {
				b.Fatal(err)
			}
			for _, k := range benchKeys {
				m.Register(k)
			}
			b.ReportAllocs()
			if !parallel {
				for i := 0; b.Loop(); i++ {
					f(m, c.clock, benchKeys[0], i)
				}
				return
			}
			var g atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				k := benchKeys[int(g.Add(1))%routes]
				for i := 0; pb.Next(); i++ {
					f(m, c.clock, k, i)
				}
			})
		})
	}
}

func submit(m *health.Monitor, clock detour.Clock, k health.Key, i int) {
	c := health.OK
	if i%100 == 0 {
		c = health.Throttled
	}
	m.Submitted(k, clock.Now(), 3*time.Millisecond, c)
}

func allow(m *health.Monitor, _ detour.Clock, k health.Key, _ int) {
	if ok, _ := m.Allow(k); !ok {
		panic("refused")
	}
}

// message is what the dispatcher will call per message: Allow, Submitted,
// and Delivered when its receipt comes.
func message(m *health.Monitor, clock detour.Clock, k health.Key, _ int) {
	if ok, _ := m.Allow(k); ok {
		now := clock.Now()
		m.Submitted(k, now, 3*time.Millisecond, health.OK)
		m.Delivered(k, now.Add(-time.Second), now)
	}
}

func BenchmarkSubmitted(b *testing.B)                 { bench(b, false, 1, submit) }
func BenchmarkSubmittedParallelOneRoute(b *testing.B) { bench(b, true, 1, submit) }
func BenchmarkSubmittedParallelRoutes(b *testing.B)   { bench(b, true, 4, submit) }
func BenchmarkAllow(b *testing.B)                     { bench(b, false, 1, allow) }
func BenchmarkAllowParallel(b *testing.B)             { bench(b, true, 1, allow) }
func BenchmarkMessage(b *testing.B)                   { bench(b, false, 1, message) }
func BenchmarkMessageParallel(b *testing.B)           { bench(b, true, 1, message) }

// Snapshot of four routes.
func BenchmarkSnapshot(b *testing.B) {
	m, err := health.New(health.Config{})
	if err != nil {
		b.Fatal(err)
	}
	for _, k := range benchKeys {
		m.Submitted(k, time.Now(), time.Millisecond, health.OK)
	}
	b.ReportAllocs()
	for b.Loop() {
		m.Snapshot()
	}
}
