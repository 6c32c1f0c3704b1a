package detour

import "time"

// Clock tells the time and makes timers. Everything that waits (dispatch,
// fallback deadlines, leases, rate limits) takes a Clock so tests can move
// time without sleeping; see package clocktest.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f in its own goroutine once d has passed.
	AfterFunc(d time.Duration, f func()) Stopper
	// NewTimer returns a timer that sends on its channel once d has passed.
	NewTimer(d time.Duration) Timerer
}

// Stopper stops a pending AfterFunc call.
type Stopper interface{ Stop() bool }

// Timerer is a resettable timer, like *time.Timer.
type Timerer interface {
	C() <-chan time.Time
	Stop() bool
	Reset(d time.Duration) bool
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now() }

// AfterFunc wraps time.AfterFunc.
func (SystemClock) AfterFunc(d time.Duration, f func()) Stopper { return time.AfterFunc(d, f) }

// NewTimer wraps time.NewTimer.
func (SystemClock) NewTimer(d time.Duration) Timerer { return sysTimer{time.NewTimer(d)} }

type sysTimer struct{ t *time.Timer }

func (s sysTimer) C() <-chan time.Time        { return s.t.C }
func (s sysTimer) Stop() bool                 { return s.t.Stop() }
func (s sysTimer) Reset(d time.Duration) bool { return s.t.Reset(d) }
