package main

import (
	"context"
	"testing"
	"time"
)

// TestSystems runs a small workload through every system,
// which also verifies that each stored every message with its outcome.
func TestSystems(t *testing.T) {
	cfg := config{
		N: 300, Warmup: 50, Producers: 16, Workers: 32, Timeout: time.Minute,
		RiverConns: 1, RiverCooldown: 5 * time.Millisecond, RiverPoll: 20 * time.Millisecond, BatchMax: 64,
	}
	for _, v := range allVariants {
		t.Run(v.name, func(t *testing.T) {
			r, err := runOne(context.Background(), v, t.TempDir(), cfg, false)
			if err != nil {
				t.Fatal(err)
			}
			if r.Accepted <= 0 || r.Completed <= 0 || r.AcceptP50 <= 0 || r.AcceptP99 < r.AcceptP50 || r.CompleteP99 < r.CompleteP50 {
				t.Errorf("implausible result %+v", r)
			}
		})
	}
}

func TestPercentile(t *testing.T) {
	d := make([]time.Duration, 100)
	for i := range d {
		d[i] = time.Duration(100-i) * time.Millisecond
	}
	if got := percentile(d, 50); got != 50*time.Millisecond {
		t.Errorf("p50 = %s, want 50ms", got)
	}
	if got := percentile(d, 99); got != 99*time.Millisecond {
		t.Errorf("p99 = %s, want 99ms", got)
	}
	if got := percentile(nil, 99); got != 0 {
		t.Errorf("p99 of nothing = %s", got)
	}
}

func TestMedian(t *testing.T) {
	m := median([]result{
		{System: "x", Accepted: 3, AcceptP99: 9},
		{System: "x", Accepted: 1, AcceptP99: 7},
		{System: "x", Accepted: 2, AcceptP99: 8},
	})
	if m.Accepted != 2 || m.AcceptP99 != 8 {
		t.Errorf("median = %+v", m)
	}
}
