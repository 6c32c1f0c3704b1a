// Package tokenbucket is the token bucket behind every rate in Detour: API
// keys, the sandbox's throughput and the simulators' throttling.
package tokenbucket

import "time"

// Bucket holds up to burst tokens and refills at rate tokens a second;
// each event takes one. The zero Bucket starts full at its first Take.
// It is not safe for concurrent use: callers hold their own lock.
type Bucket struct {
	tokens float64
	last   time.Time
}

// Take refills the bucket for the time since the last call, then takes a
// token. Without one it returns false and how long until one is there.
// Time going backwards refills nothing.
func (b *Bucket) Take(now time.Time, rate, burst float64) (ok bool, wait time.Duration) {
	switch {
	case b.last.IsZero():
		b.tokens, b.last = burst, now
	case now.After(b.last):
		b.tokens = min(burst, b.tokens+now.Sub(b.last).Seconds()*rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / rate * float64(time.Second))
}
