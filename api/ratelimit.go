package api

import (
	"math"
	"sync"
	"time"

	"github.com/detourhq/detour/tokenbucket"
)

// limiter keeps one token bucket per API key id.
type limiter struct {
	rate  float64 // default tokens per second
	burst float64 // default bucket size

	mu      sync.RWMutex
	buckets map[string]*bucket
}

// bucket is one key's token bucket with its lock.
type bucket struct {
	mu sync.Mutex
	tokenbucket.Bucket
}

func newLimiter(rate float64, burst int) *limiter {
	return &limiter{rate: rate, burst: float64(burst), buckets: make(map[string]*bucket)}
}

// allow takes a token from the bucket of key id at time now. A key's own
// rate (keyRate > 0) replaces the default rate and gets a burst of twice
// that rate. When no token is left, allow returns false and how long until
// one will be.
func (l *limiter) allow(id string, keyRate float64, now time.Time) (bool, time.Duration) {
	rate, burst := l.rate, l.burst
	if keyRate > 0 {
		rate, burst = keyRate, math.Max(1, math.Ceil(2*keyRate))
	}
	l.mu.RLock()
	b := l.buckets[id]
	l.mu.RUnlock()
	if b == nil {
		l.mu.Lock()
		if b = l.buckets[id]; b == nil {
			b = &bucket{}
			l.buckets[id] = b
		}
		l.mu.Unlock()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.Take(now, rate, burst)
}

// retryAfterSeconds rounds a wait up to whole seconds, at least 1, for the
// Retry-After header.
func retryAfterSeconds(wait time.Duration) int64 {
	s := int64(math.Ceil(wait.Seconds()))
	if s < 1 {
		s = 1
	}
	return s
}
