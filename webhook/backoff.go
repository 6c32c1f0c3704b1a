package webhook

import (
	"math/rand/v2"
	"time"
)

// RetryWindow is how long an event is retried: the scheduler keeps trying
// while less than RetryWindow has passed since the first attempt, then
// gives the event up. With the schedule below (half an hour apart on
// average once past the first five) that is about 50 tries.
const RetryWindow = 24 * time.Hour

// MinBackoff and MaxBackoff bound the wait between two tries.
const (
	MinBackoff = 5 * time.Second
	MaxBackoff = time.Hour
)

// backoffCeilings are the longest waits after the 1st, 2nd ... failed
// attempt; every later one waits at most MaxBackoff.
var backoffCeilings = [...]time.Duration{
	5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute, MaxBackoff,
}

// Backoff returns how long to wait after attempt failed (attempt counts
// from 1): exponential with full jitter, a uniform draw between MinBackoff
// and the ceiling for that attempt —
//
//	attempt   1    2     3    4     5     6 and later
//	ceiling   5s   30s   2m   10m   30m   1h
//
// so the first retry comes after 5 s and retries then spread out until they
// are at most an hour apart. rnd returns a number in [0, 1); nil uses
// math/rand/v2.
func Backoff(attempt int, rnd func() float64) time.Duration {
	if rnd == nil {
		rnd = rand.Float64
	}
	ceiling := MaxBackoff
	if attempt < 1 {
		attempt = 1
	}
	if attempt <= len(backoffCeilings) {
		ceiling = backoffCeilings[attempt-1]
	}
	f := rnd()
	if f < 0 || f >= 1 {
		f = 0
	}
	return MinBackoff + time.Duration(f*float64(ceiling-MinBackoff))
}
