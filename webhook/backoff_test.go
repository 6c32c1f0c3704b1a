package webhook

import (
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	fixed := func(f float64) func() float64 { return func() float64 { return f } }
	ceilings := []time.Duration{5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute, time.Hour, time.Hour, time.Hour}
	for i, ceiling := range ceilings {
		attempt := i + 1
		if got := Backoff(attempt, fixed(0)); got != MinBackoff {
			t.Errorf("Backoff(%d, 0) = %v, want %v", attempt, got, MinBackoff)
		}
		if got := Backoff(attempt, fixed(0.5)); got != MinBackoff+(ceiling-MinBackoff)/2 {
			t.Errorf("Backoff(%d, 0.5) = %v, want halfway to %v", attempt, got, ceiling)
		}
		if got := Backoff(attempt, fixed(0.999999)); got > ceiling || got < ceiling-time.Second {
			t.Errorf("Backoff(%d, ~1) = %v, want just under %v", attempt, got, ceiling)
		}
	}
	for _, attempt := range []int{-1, 0} {
		if got := Backoff(attempt, fixed(0.9)); got != MinBackoff {
			t.Errorf("Backoff(%d) = %v, want %v", attempt, got, MinBackoff)
		}
	}
	if got := Backoff(1000, fixed(1.5)); got != MinBackoff { // out-of-range draw is treated as 0
		t.Errorf("Backoff with a bad draw = %v", got)
	}
	for range 100 {
		if got := Backoff(7, nil); got < MinBackoff || got > MaxBackoff {
			t.Fatalf("Backoff(7, nil) = %v", got)
		}
	}
	// Retrying for RetryWindow at the mean wait takes dozens of tries, not
	// a handful, and not thousands.
	var total time.Duration
	n := 0
	for ; total < RetryWindow; n++ {
		total += Backoff(n+1, fixed(0.5))
	}
	if n < 30 || n > 80 {
		t.Errorf("%d tries fill the retry window at the mean wait", n)
	}
}
