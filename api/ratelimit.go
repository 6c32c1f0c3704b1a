package api

import (
	"math"
	"sync"
	"time"
)

// limiter keeps one token bucket per API key id.
type limiter struct {
	rate  float64 // default tokens per second
	burst float64 // default bucket size

	mu      sync.RWMutex
	buckets map[string]*bucket
}

// bucket is a token bucket: it holds up to burst tokens, refills at rate
// per second, and each request takes one token.
type bucket struct {
	mu     sync.Mutex
	tokens float64
	last   time.Time
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
			b = &bucket{tokens: burst, last: now}
			l.buckets[id] = b
		}
		l.mu.Unlock()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = math.Min(burst, b.tokens+elapsed.Seconds()*rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / rate * float64(time.Second))
	return false, wait
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
