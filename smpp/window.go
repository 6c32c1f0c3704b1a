package smpp

import (
	"container/list"
	"context"
	"fmt"
	"sync"
)

// window hands out submit slots across the client's bound transmitting
// sessions: a session offers Window slots while it is bound, a submit takes
// one before it is written and gives it back when it is resolved. Submits
// that find every window full queue in FIFO order and get a slot handed to
// them directly when one frees, so a busy client stays fair.
type window struct {
	mu       sync.Mutex
	sessions []*session // bound sessions that may submit, in bind order
	next     int        // round-robin start for the next acquire
	waiters  list.List  // of chan *session, buffered 1
	closed   bool
}

// acquire returns a session with a slot reserved for the caller, waiting
// for one until ctx ends or the window is closed.
func (w *window) acquire(ctx context.Context) (*session, error) {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil, ErrClosed
	}
	if s := w.freeLocked(); s != nil {
		s.inflight++
		w.mu.Unlock()
		return s, nil
	}
	ch := make(chan *session, 1)
	el := w.waiters.PushBack(ch)
	w.mu.Unlock()

	select {
	case s := <-ch:
		if s == nil {
			return nil, ErrClosed
		}
		return s, nil
	case <-ctx.Done():
	}
	// Slots are handed over under the lock, so once we are off the queue
	// ch holds whatever we were given, for good.
	w.mu.Lock()
	bound := len(w.sessions) > 0
	w.waiters.Remove(el)
	w.mu.Unlock()
	select {
	case s := <-ch: // handed over just as ctx ended: give it back
		if s != nil {
			w.release(s)
		}
	default:
	}
	if !bound {
		return nil, fmt.Errorf("%w: %w", ErrNotBound, ctx.Err())
	}
	return nil, fmt.Errorf("smpp: waiting for a window slot: %w", ctx.Err())
}

// freeLocked returns a bound session with a free slot, round-robin, or nil.
func (w *window) freeLocked() *session {
	n := len(w.sessions)
	for i := range n {
		s := w.sessions[(w.next+i)%n]
		if s.inflight < s.window {
			w.next = (w.next + i + 1) % n
			return s
		}
	}
	return nil
}

// handLocked gives free slots of s to queued waiters.
func (w *window) handLocked(s *session) {
	for s.inflight < s.window && w.waiters.Len() > 0 {
		ch := w.waiters.Remove(w.waiters.Front()).(chan *session)
		s.inflight++
		ch <- s
	}
}

// release gives back the slot a submit held on s.
func (w *window) release(s *session) {
	w.mu.Lock()
	s.inflight--
	if s.usable {
		w.handLocked(s)
	}
	w.mu.Unlock()
}

// add offers the slots of a newly bound session. It reports false if the
// window is closed or the session was removed already: its reader may
// close it before serve offers it.
func (w *window) add(s *session) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed || s.removed {
		return false
	}
	s.usable = true
	w.sessions = append(w.sessions, s)
	w.handLocked(s)
	return true
}

// remove stops handing out slots of s; slots already taken stay taken until
// released.
func (w *window) remove(s *session) {
	w.mu.Lock()
	defer w.mu.Unlock()
	s.removed = true
	if !s.usable {
		return
	}
	s.usable = false
	for i, x := range w.sessions {
		if x == s {
			w.sessions = append(w.sessions[:i], w.sessions[i+1:]...)
			break
		}
	}
	if w.next >= len(w.sessions) {
		w.next = 0
	}
}

// close fails every queued and future acquire with ErrClosed.
func (w *window) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	for w.waiters.Len() > 0 {
		ch := w.waiters.Remove(w.waiters.Front()).(chan *session)
		ch <- nil
	}
}

// inUse returns the slots taken on s.
func (w *window) inUse(s *session) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return s.inflight
}

// bound reports whether a session that may submit is bound.
func (w *window) bound() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.sessions) > 0
}
