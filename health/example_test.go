package health_test

import (
	"fmt"
	"time"

	"github.com/detourhq/detour/clocktest"
	"github.com/detourhq/detour/health"
)

// The dispatcher asks Allow before each send on a route and reports every
// outcome; five refused connections in a row open the breaker.
func Example() {
	clock := clocktest.New(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	m, err := health.New(health.Config{
		Clock:    clock,
		OnChange: func(t health.Transition) { fmt.Printf("%s: %s → %s (%s)\n", t.Key, t.From, t.To, t.Reason) },
	})
	if err != nil {
		panic(err)
	}
	route := health.Key{Channel: "sms", Route: "smsc-1"}
	for range 10 {
		clock.Advance(100 * time.Millisecond)
		if allowed, _ := m.Allow(route); !allowed {
			fmt.Println("refused: try the next route")
			break
		}
		m.Submitted(route, clock.Now(), 30*time.Millisecond, health.Hard) // connection refused
	}
	clock.Advance(5 * time.Second)
	allowed, probe := m.Allow(route)
	fmt.Println("after the cool-off: allowed", allowed, "probe", probe)
	// Output:
	// sms/smsc-1: healthy → down (hard_errors)
	// refused: try the next route
	// after the cool-off: allowed true probe true
}

// An operator forces a route down for maintenance; no traffic, not even
// probes, goes to it until Unforce.
func ExampleMonitor_Force() {
	clock := clocktest.New(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	m, _ := health.New(health.Config{Clock: clock})
	route := health.Key{Channel: "sms", Route: "smsc-2"}
	_ = m.Force(route, health.Down, "SMSC maintenance until 14:00")
	clock.Advance(time.Hour)
	allowed, _ := m.Allow(route)
	r := m.Snapshot()[0].Routes[0]
	fmt.Println(allowed, r.State, r.Forced, r.Note)
	// Output:
	// false down true SMSC maintenance until 14:00
}
