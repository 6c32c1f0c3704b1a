package smpp

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/detourhq/detour"
)

// Pauses after the SMSC answers ESME_RTHROTTLED or ESME_RMSGQFUL: the first
// one pauses new submits for pauseMin, each further one after that pause
// has ended doubles it, up to pauseMax; a successful answer after the pause
// starts over.
const (
	pauseMin = 250 * time.Millisecond
	pauseMax = 4 * time.Second
)

// throttle spaces submits to at most rate per second across all binds of a
// client, with a burst of a tenth of a second of traffic (at least one), and
// pauses them when the SMSC asks us to slow down. It is a GCRA (virtual
// scheduling) limiter: tat is the theoretical arrival time of the next
// submit; a submit may go at tat-tau and pushes tat one interval on.
type throttle struct {
	clock    detour.Clock
	interval time.Duration // 1/rate; 0 means no limit
	tau      time.Duration // burst tolerance: (burst-1) intervals

	mu          sync.Mutex
	tat         time.Time
	pausedUntil time.Time
	step        time.Duration // the last pause; 0 when not throttled
	throttled   atomic.Bool   // step != 0, read without the lock
}

func newThrottle(clock detour.Clock, rate float64) *throttle {
	t := &throttle{clock: clock}
	if rate > 0 {
		t.interval = time.Duration(float64(time.Second) / rate)
		if t.interval <= 0 {
			t.interval = 1
		}
		burst := math.Max(1, math.Ceil(rate/10))
		t.tau = time.Duration((burst - 1) * float64(t.interval))
	}
	return t
}

// reserve takes the next send time and returns how long to wait for it.
func (t *throttle) reserve() time.Duration {
	now := t.clock.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	tat := t.tat
	if tat.Before(now) {
		tat = now
	}
	at := tat.Add(-t.tau)
	t.tat = tat.Add(t.interval)
	if at.Before(now) {
		return 0
	}
	return at.Sub(now)
}

// unreserve gives back a reservation that was not used.
func (t *throttle) unreserve() {
	t.mu.Lock()
	t.tat = t.tat.Add(-t.interval)
	t.mu.Unlock()
}

// wait reserves a send time and waits for it, until ctx ends or stop is
// closed.
func (t *throttle) wait(ctx context.Context, stop <-chan struct{}) error {
	d := t.reserve()
	if d <= 0 {
		return nil
	}
	timer := t.clock.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C():
		return nil
	case <-ctx.Done():
		t.unreserve()
		return ctx.Err()
	case <-stop:
		t.unreserve()
		return ErrClosed
	}
}

// slowDown pauses new submits because the SMSC answered that it is
// throttling us. A pause in force is not extended.
func (t *throttle) slowDown() {
	now := t.clock.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if now.Before(t.pausedUntil) {
		return
	}
	t.step = min(max(2*t.step, pauseMin), pauseMax)
	t.throttled.Store(true)
	t.pausedUntil = now.Add(t.step)
	// The next submit goes at the end of the pause, the ones after it at
	// the configured rate again: no burst of everything that queued.
	if next := t.pausedUntil.Add(t.tau); t.tat.Before(next) {
		t.tat = next
	}
}

// recovered notes a successful answer: once a pause is over, the next
// throttled answer starts again from pauseMin.
func (t *throttle) recovered() {
	if !t.throttled.Load() {
		return
	}
	t.mu.Lock()
	if t.step != 0 && !t.clock.Now().Before(t.pausedUntil) {
		t.step = 0
		t.throttled.Store(false)
	}
	t.mu.Unlock()
}

// paused returns the end of the current pause, zero if none. It costs an
// atomic load unless the SMSC throttled us: the SMS channel asks on every
// send.
func (t *throttle) paused() time.Time {
	if !t.throttled.Load() {
		return time.Time{} // throttled stays set until any pause has ended
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.clock.Now().Before(t.pausedUntil) {
		return t.pausedUntil
	}
	return time.Time{}
}
