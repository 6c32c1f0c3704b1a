package smpp

import (
	"testing"
	"time"

	"github.com/detourhq/detour/clocktest"
)

func TestThrottleGCRA(t *testing.T) {
	clk := clocktest.New(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	th := newThrottle(clk, 100) // burst 10, one per 10ms
	for i := range 10 {
		if d := th.reserve(); d != 0 {
			t.Fatalf("reservation %d waits %v within the burst", i, d)
		}
	}
	for i := 1; i <= 5; i++ {
		if d, want := th.reserve(), time.Duration(i)*10*time.Millisecond; d != want {
			t.Errorf("reservation %d waits %v, want %v", 10+i, d, want)
		}
	}
	th.unreserve()
	clk.Advance(time.Second) // the bucket refills, up to its burst
	for i := range 10 {
		if d := th.reserve(); d != 0 {
			t.Fatalf("after a second, reservation %d waits %v", i, d)
		}
	}
	if d := th.reserve(); d != 10*time.Millisecond {
		t.Errorf("the 11th waits %v", d)
	}

	// Throttled: pauses grow while the SMSC keeps throttling, and reset
	// once it answers OK after a pause.
	th = newThrottle(clk, 0)
	for _, want := range []time.Duration{pauseMin, 2 * pauseMin, 4 * pauseMin} {
		th.slowDown()
		th.slowDown() // within the pause: no change
		if d := th.reserve(); d != want {
			t.Errorf("pause %v, want %v", d, want)
		}
		clk.Advance(want)
	}
	for range 10 {
		th.slowDown()
		clk.Advance(pauseMax)
	}
	th.slowDown()
	if d := th.reserve(); d != pauseMax {
		t.Errorf("pause %v, want the cap %v", d, pauseMax)
	}
	clk.Advance(pauseMax)
	th.recovered()
	th.slowDown()
	if d := th.reserve(); d != pauseMin {
		t.Errorf("after recovery pause %v, want %v", d, pauseMin)
	}
}
