package dispatch

import (
	"context"
	"sync"
	"time"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/health"
)

// The engine and the outage detector (package health): every send outcome
// and every receipt feeds it; before a step is sent, it says whether the
// step's channel (or route) may be used; a route going down moves the
// messages waiting on it to their next step at once.

// routeKeys lists the health keys of a channel, made once by New.
func (e *Engine) routeKeys(channel string) []health.Key {
	if keys, ok := e.healthKeys[channel]; ok {
		return keys
	}
	return []health.Key{{Channel: channel}}
}

// routeKeysOf lists the health keys of a channel: one per route, or one
// with no route for a channel without routes.
func routeKeysOf(channel string, names []string) []health.Key {
	if len(names) == 0 {
		return []health.Key{{Channel: channel}}
	}
	keys := make([]health.Key, len(names))
	for i, r := range names {
		keys[i] = health.Key{Channel: channel, Route: r}
	}
	return keys
}

// usable reports whether a step may be sent now: its route, or any route
// of its channel, is not down, or lets a probe through. For a probe it
// also returns the route probed.
func (e *Engine) usable(step detour.Step) (ok bool, probe *health.Key) {
	h := e.cfg.Health
	if h == nil {
		return true, nil
	}
	keys := e.routeKeys(step.Channel)
	if step.Route != "" {
		keys = []health.Key{{Channel: step.Channel, Route: step.Route}}
	}
	for _, k := range keys {
		if ok, isProbe := h.Allow(k); ok {
			if isProbe {
				return true, &k // the channel picks the route; most have one
			}
			return true, nil
		}
	}
	return false, nil
}

// probeDeadline shortens the wait for a probe's receipt: a message sent
// to probe a route that is down falls back as soon as it is overdue (the
// route's expected receipt time), not at its step's full fallback_after.
func (e *Engine) probeDeadline(m *detour.Message, k *health.Key, now time.Time) {
	t := m.Timer
	if k == nil || t == nil || t.Kind != detour.TimerFallback {
		return
	}
	if at := now.Add(e.cfg.Health.ExpectedReceipt(*k)); at.Before(t.RunAt) {
		t.RunAt = at
	}
}

// observeSend tells the detector what a send came to.
func (e *Engine) observeSend(j *detour.Attempt, channel string, out detour.Outcome, at time.Time, took time.Duration) {
	if e.cfg.Health == nil {
		return
	}
	route := out.Route
	if route == "" {
		route = j.Route
	}
	e.cfg.Health.Submitted(health.Key{Channel: channel, Route: route}, at, took, health.ClassOf(out))
}

// observeReceipt tells the detector that an attempt reached the handset
// (or did not).
func (e *Engine) observeReceipt(a *detour.Attempt, status detour.AttemptStatus, at time.Time) {
	if e.cfg.Health == nil || a.SentAt.IsZero() {
		return
	}
	k := health.Key{Channel: a.Channel, Route: a.Route}
	switch status {
	case detour.AttemptDelivered, detour.AttemptRead:
		e.cfg.Health.Delivered(k, a.SentAt, at)
	case detour.AttemptFailed, detour.AttemptExpired:
		e.cfg.Health.Undelivered(k, a.SentAt, at)
	}
}

// RouteDown moves every message waiting for a receipt on the channel's
// route (every route when route is "") to its next step now instead of at
// its fallback deadline. The server calls it when the detector marks a
// route down. It returns how many messages moved.
func (e *Engine) RouteDown(ctx context.Context, channel, route string) (int, error) {
	ids, err := e.store.WaitingOn(ctx, channel, route)
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	// Concurrent updates share commits.
	var (
		mu    sync.Mutex
		moved int
		first error
		wg    sync.WaitGroup
		next  = make(chan string)
	)
	for range min(64, len(ids)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range next {
				did := false
				err := e.store.UpdateMessage(ctx, id, func(m *detour.Message) error {
					did = false
					t := m.Timer
					if m.Status.Final() || t == nil || t.Kind != detour.TimerFallback || t.Owner != "" {
						return nil
					}
					step := m.Steps[m.Step]
					if step.Channel != channel {
						return nil
					}
					now := e.clock.Now()
					if t.RunAt.After(now) {
						t.RunAt, did = now, true
					}
					return nil
				})
				mu.Lock()
				if err != nil && first == nil {
					first = err
				}
				if did {
					moved++
				}
				mu.Unlock()
			}
		}()
	}
	for _, id := range ids {
		next <- id
	}
	close(next)
	wg.Wait()
	if moved > 0 {
		e.metrics.expedited.Add(float64(moved))
		e.Notify()
	}
	return moved, first
}
