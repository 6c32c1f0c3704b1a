// Package clocktest provides a manual clock for tests: time moves only when
// the test calls Advance or Set.
package clocktest

import (
	"sort"
	"sync"
	"time"

	"github.com/detourhq/detour"
)

// Clock is a detour.Clock whose time moves only on Advance and Set.
type Clock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []*waiter
	changed chan struct{} // closed and replaced whenever waiters change
}

type waiter struct {
	clock *Clock
	at    time.Time
	fn    func()         // AfterFunc
	ch    chan time.Time // NewTimer
	live  bool
}

var _ detour.Clock = (*Clock)(nil)

// New returns a clock set to t.
func New(t time.Time) *Clock { return &Clock{now: t, changed: make(chan struct{})} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc calls f in its own goroutine once the clock has moved d ahead.
func (c *Clock) AfterFunc(d time.Duration, f func()) detour.Stopper {
	w := &waiter{clock: c, fn: f}
	c.schedule(w, d)
	return w
}

// NewTimer returns a timer that fires once the clock has moved d ahead.
func (c *Clock) NewTimer(d time.Duration) detour.Timerer {
	w := &waiter{clock: c, ch: make(chan time.Time, 1)}
	c.schedule(w, d)
	return w
}

func (c *Clock) schedule(w *waiter, d time.Duration) {
	c.mu.Lock()
	w.at = c.now.Add(d)
	w.live = true
	c.waiters = append(c.waiters, w)
	c.notifyLocked()
	c.mu.Unlock()
	if d <= 0 {
		c.Advance(0)
	}
}

func (c *Clock) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// Advance moves the clock d ahead and fires every timer that came due, in
// time order.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.setLocked(c.now.Add(d))
}

// Set moves the clock to t (never backwards) and fires what came due.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	if t.Before(c.now) {
		t = c.now
	}
	c.setLocked(t)
}

func (c *Clock) setLocked(t time.Time) {
	c.now = t
	var due, keep []*waiter
	for _, w := range c.waiters {
		if !w.live {
			continue
		}
		if !w.at.After(t) {
			w.live = false
			due = append(due, w)
		} else {
			keep = append(keep, w)
		}
	}
	c.waiters = keep
	c.notifyLocked()
	c.mu.Unlock()
	sort.SliceStable(due, func(i, j int) bool { return due[i].at.Before(due[j].at) })
	for _, w := range due {
		if w.fn != nil {
			go w.fn()
		} else {
			select {
			case w.ch <- t:
			default:
			}
		}
	}
}

// Waiters returns how many timers are pending.
func (c *Clock) Waiters() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, w := range c.waiters {
		if w.live {
			n++
		}
	}
	return n
}

// WaitForWaiters blocks until at least n timers are pending or the real
// timeout passes, and reports whether they were.
func (c *Clock) WaitForWaiters(n int, timeout time.Duration) bool {
	deadline := time.After(timeout)
	for {
		c.mu.Lock()
		ch := c.changed
		c.mu.Unlock()
		if c.Waiters() >= n {
			return true
		}
		select {
		case <-ch:
		case <-deadline:
			return false
		}
	}
}

// C returns the timer's channel.
func (w *waiter) C() <-chan time.Time { return w.ch }

// Stop cancels the timer and reports whether it was pending.
func (w *waiter) Stop() bool {
	w.clock.mu.Lock()
	defer w.clock.mu.Unlock()
	was := w.live
	w.live = false
	if was {
		w.clock.notifyLocked()
	}
	return was
}

// Reset reschedules the timer d after the clock's current time.
func (w *waiter) Reset(d time.Duration) bool {
	was := w.Stop()
	w.clock.schedule(w, d)
	return was
}
