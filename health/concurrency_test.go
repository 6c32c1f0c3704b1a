package health_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/clocktest"
	"github.com/detourhq/detour/health"
)

// Many goroutines observe, ask, force and snapshot at once while the clock
// moves; run with -race. Transitions reach OnChange one at a time, and
// OnChange may call the Monitor.
func TestConcurrentUse(t *testing.T) {
	clock := clocktest.New(t0)
	var inCallback atomic.Int32
	var calls atomic.Int64
	var m *health.Monitor
	m, err := health.New(health.Config{Clock: clock, OnChange: func(tr health.Transition) {
		if inCallback.Add(1) != 1 {
			t.Error("OnChange called concurrently")
		}
		calls.Add(1)
		m.Snapshot() // calling back does not deadlock
		m.Allow(tr.Key)
		inCallback.Add(-1)
	}})
	if err != nil {
		t.Fatal(err)
	}
	keys := []health.Key{{Channel: "sms", Route: "a"}, {Channel: "sms", Route: "b"}, {Channel: "whatsapp"}}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				k := keys[(g+i)%len(keys)]
				now := clock.Now()
				if ok, _ := m.Allow(k); ok {
					c := health.OK
					if (i/50)%3 == g%3 { // bursts of hard errors
						c = health.Hard
					}
					m.Submitted(k, now, time.Millisecond, c)
					if c == health.OK && i%2 == 0 {
						m.Delivered(k, now, now.Add(time.Second))
					}
				}
				m.ChannelUp(k.Channel)
				switch i % 500 {
				case 0:
					m.Snapshot()
				case 100:
					m.Tick()
				case 250:
					if g == 0 {
						_ = m.Force(k, health.Down, "test")
						m.Unforce(k)
					}
				}
			}
		}()
	}
	for range 200 {
		clock.Advance(50 * time.Millisecond)
		time.Sleep(time.Millisecond) // real time, only to let the goroutines interleave with the clock
	}
	close(stop)
	wg.Wait()
	if calls.Load() == 0 {
		t.Fatal("no transitions at all")
	}
	t.Logf("%d transitions", calls.Load())
}

// Each route's transitions reach OnChange in the order they happened.
func TestTransitionsInOrder(t *testing.T) {
	clock := clocktest.New(t0)
	last := map[health.Key]health.State{}
	var mu sync.Mutex
	m, err := health.New(health.Config{Clock: clock, OnChange: func(tr health.Transition) {
		mu.Lock()
		defer mu.Unlock()
		if s, ok := last[tr.Key]; ok && s != tr.From {
			t.Errorf("%s: transition from %s after one to %s", tr.Key, tr.From, s)
		}
		last[tr.Key] = tr.To
	}})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := health.Key{Channel: "sms", Route: fmt.Sprint(g % 2)}
			for i := range 2000 {
				if i%2 == 0 {
					_ = m.Force(k, health.Down, "")
				} else {
					_ = m.Force(k, health.Healthy, "")
				}
			}
		}()
	}
	wg.Wait()
}

var _ detour.Clock = (*clocktest.Clock)(nil)
