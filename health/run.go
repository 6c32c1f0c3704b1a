package health

import (
	"context"
	"errors"
	"sync"
)

// runState is the lifecycle of Start's loop.
type runState struct {
	mu      sync.Mutex
	cancel  context.CancelFunc
	done    chan struct{}
	stopped bool
}

// Start runs a loop that calls Tick every Config.TickInterval of the
// clock until ctx ends or Stop. The Monitor works without it if its owner
// calls Tick.
func (m *Monitor) Start(ctx context.Context) error {
	m.run.mu.Lock()
	defer m.run.mu.Unlock()
	if m.run.cancel != nil || m.run.stopped {
		return errors.New("health: already started")
	}
	ctx, m.run.cancel = context.WithCancel(ctx)
	m.run.done = make(chan struct{})
	go func(done chan struct{}) {
		defer close(done)
		m.loop(ctx)
	}(m.run.done)
	return nil
}

// Stop ends Start's loop and waits for it. Safe to call twice, and before
// Start.
func (m *Monitor) Stop() {
	m.run.mu.Lock()
	m.run.stopped = true
	cancel, done := m.run.cancel, m.run.done
	m.run.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

func (m *Monitor) loop(ctx context.Context) {
	t := m.clock.NewTimer(m.cfg.TickInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C():
			m.Tick()
			t.Reset(m.cfg.TickInterval)
		}
	}
}
