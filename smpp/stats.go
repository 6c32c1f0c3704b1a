package smpp

import (
	"maps"
	"sync"
	"time"

	"github.com/detourhq/detour"
)

// State is the state of one connection of a client.
type State int

// Connection states.
const (
	StateConnecting State = iota // dialing, binding, or waiting to try again
	StateBound                   // bound and serving
	StateClosed                  // the client stopped
)

func (s State) String() string {
	switch s {
	case StateConnecting:
		return "connecting"
	case StateBound:
		return "bound"
	case StateClosed:
		return "closed"
	}
	return "invalid"
}

// Stats is a snapshot of a client's connections and traffic.
type Stats struct {
	Binds       []BindStats
	SubmitRate  float64   // submits per second over the last few seconds
	PausedUntil time.Time // new submits wait until then (the SMSC throttled us); zero if not paused
}

// BindStats describes one connection of a client. Counters run from the
// client's start, across reconnects.
type BindStats struct {
	Bind        int    // which bind (0..Binds-1); a transmitter and receiver pair share it
	Mode        string // transceiver, transmitter or receiver
	State       State
	Since       time.Time // when State began
	Window      int       // slots; 0 for a receiver
	InFlight    int       // submits outstanding
	Submitted   uint64    // submit_sm and data_sm written
	Responses   map[Status]uint64
	Timeouts    uint64 // submits resolved with ErrResponseTimeout
	Lost        uint64 // submits resolved with ErrConnectionLost
	DeliverSM   uint64 // deliver_sm received, receipts included
	Receipts    uint64 // deliver_sm that were receipts or acknowledgements
	DataSM      uint64 // data_sm received
	Reconnects  uint64 // binds after the first
	LastError   string
	LastErrorAt time.Time
}

// Stats returns a snapshot of the client's connections and traffic.
func (c *Client) Stats() Stats {
	st := Stats{
		Binds:       make([]BindStats, 0, len(c.binders)),
		SubmitRate:  c.meter.rate(),
		PausedUntil: c.throttle.paused(),
	}
	for _, b := range c.binders {
		b.mu.Lock()
		bs := BindStats{
			Bind:        b.index,
			Mode:        b.mode(),
			State:       b.state,
			Since:       b.since,
			Submitted:   b.sent.Load(),
			Responses:   maps.Clone(b.responses),
			Timeouts:    b.timeouts.Load(),
			Lost:        b.lost.Load(),
			DeliverSM:   b.deliverSM,
			Receipts:    b.receipts,
			DataSM:      b.dataSM,
			LastError:   b.lastErr,
			LastErrorAt: b.lastErrAt,
		}
		if b.binds > 1 {
			bs.Reconnects = b.binds - 1
		}
		s := b.session
		b.mu.Unlock()
		if b.cmd != CommandBindReceiver {
			bs.Window = c.cfg.Window
		}
		if s != nil {
			bs.InFlight = c.window.inUse(s)
		}
		if bs.Responses == nil {
			bs.Responses = map[Status]uint64{}
		}
		st.Binds = append(st.Binds, bs)
	}
	return st
}

// meterSpan is the number of whole seconds SubmitRate looks back.
const meterSpan = 5

// meter counts submits per second of the clock in a ring of buckets.
type meter struct {
	clock  detour.Clock
	mu     sync.Mutex
	secs   [meterSpan + 1]int64
	counts [meterSpan + 1]uint64
}

func (m *meter) add() {
	sec := m.clock.Now().Unix()
	i := sec % (meterSpan + 1)
	m.mu.Lock()
	if m.secs[i] != sec {
		m.secs[i], m.counts[i] = sec, 0
	}
	m.counts[i]++
	m.mu.Unlock()
}

// rate returns submits per second over the last meterSpan whole seconds
// and the current part of one.
func (m *meter) rate() float64 {
	now := m.clock.Now()
	sec := now.Unix()
	m.mu.Lock()
	var n uint64
	for i, s := range m.secs {
		if s > sec-meterSpan-1 && s <= sec {
			n += m.counts[i]
		}
	}
	m.mu.Unlock()
	span := meterSpan + float64(now.Nanosecond())/1e9
	return float64(n) / span
}
