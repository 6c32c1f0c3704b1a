package tokenbucket

import (
	"testing"
	"time"
)

func TestBucket(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var b Bucket
	for i := 0; i < 3; i++ {
		if ok, _ := b.Take(t0, 2, 3); !ok {
			t.Fatalf("take %d of a full bucket of 3", i)
		}
	}
	ok, wait := b.Take(t0, 2, 3)
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("empty bucket: %v %s, want false 500ms", ok, wait)
	}
	if ok, _ := b.Take(t0.Add(-time.Hour), 2, 3); ok {
		t.Fatal("time going backwards must not refill")
	}
	if ok, _ := b.Take(t0.Add(wait), 2, 3); !ok {
		t.Fatal("a token after the wait")
	}
	if ok, _ := b.Take(t0.Add(time.Hour), 2, 3); !ok {
		t.Fatal("refilled after an hour")
	}
	for i := 0; i < 2; i++ {
		b.Take(t0.Add(time.Hour), 2, 3)
	}
	if ok, _ := b.Take(t0.Add(time.Hour), 2, 3); ok {
		t.Fatal("refills stop at the burst")
	}
}
