package health

import "sync"

// notifier delivers transitions to OnChange outside the routes' locks, one
// at a time and in the order they were queued: routes queue them under
// their own lock, and whoever finds nobody delivering delivers the queue.
type notifier struct {
	fn    func(Transition)
	mu    sync.Mutex
	queue []Transition
	busy  bool // a goroutine is delivering
}

// push queues t and reports whether there is anyone to deliver it to.
func (n *notifier) push(t Transition) bool {
	if n.fn == nil {
		return false
	}
	n.mu.Lock()
	n.queue = append(n.queue, t)
	n.mu.Unlock()
	return true
}

// drain delivers the queue unless another goroutine already does; that
// one then delivers what was queued here too.
func (n *notifier) drain() {
	n.mu.Lock()
	if n.busy {
		n.mu.Unlock()
		return
	}
	n.busy = true
	for len(n.queue) > 0 {
		q := n.queue
		n.queue = nil
		n.mu.Unlock()
		n.deliver(q)
		n.mu.Lock()
	}
	n.busy = false
	n.mu.Unlock()
}

// deliver calls fn for each of q; if fn panics, the next drain delivers.
func (n *notifier) deliver(q []Transition) {
	done := false
	defer func() {
		if !done {
			n.mu.Lock()
			n.busy = false
			n.mu.Unlock()
		}
	}()
	for _, t := range q {
		n.fn(t)
	}
	done = true
}
