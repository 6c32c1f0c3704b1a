package simworld

import (
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/detourhq/detour/sim/smsc"
	wasim "github.com/detourhq/detour/sim/whatsapp"
	"github.com/detourhq/detour/sms"
	"github.com/detourhq/detour/whatsapp"
)

// Mode is how a simulator behaves as a whole, in the words every
// simulator of the world shares.
type Mode string

// Modes.
const (
	// Healthy answers and delivers as the simulator's behaviour says.
	Healthy Mode = "healthy"
	// Silent accepts messages and never delivers them: the outage only
	// missing delivery receipts reveal.
	Silent Mode = "silent"
	// Down fails every send: the Cloud API answers HTTP 500 (Graph error
	// 2, transient), an SMSC refuses connections and drops its binds.
	Down Mode = "down"
	// Throttled takes one message a second (per business number, per
	// SMPP account) and refuses the rest as over the rate: 130429 on
	// WhatsApp, ESME_RTHROTTLED on SMPP.
	Throttled Mode = "throttled"
)

// Modes lists the modes.
var Modes = []Mode{Healthy, Silent, Down, Throttled}

// Errors of SetMode and Simulator.
var (
	ErrNoSimulator = errors.New("simworld: no such simulator")
	ErrBadMode     = errors.New("simworld: no such mode")
)

// SetMode switches simulator name (whatsapp, smsc-1 or smsc-2) to mode at
// once, as the simulator's own SetMode does: messages already accepted
// keep their fate.
func (w *World) SetMode(name string, mode Mode) error {
	if !slices.Contains(Modes, mode) {
		return fmt.Errorf("%w: %q (want healthy, silent, down or throttled)", ErrBadMode, mode)
	}
	if name == WhatsApp {
		return w.wa.SetMode(map[Mode]wasim.Mode{Healthy: wasim.Healthy, Silent: wasim.Silent,
			Down: wasim.Down5xx, Throttled: wasim.Throttled}[mode])
	}
	s := w.smscs[name]
	if s == nil {
		return fmt.Errorf("%w: %q (want whatsapp, smsc-1 or smsc-2)", ErrNoSimulator, name)
	}
	return s.SetMode(map[Mode]smsc.Mode{Healthy: smsc.Healthy, Silent: smsc.Silent,
		Down: smsc.Down, Throttled: smsc.Throttled}[mode])
}

// Simulator is the state of one simulator: its mode, where it listens
// and what it has counted.
type Simulator struct {
	Name    string `json:"name"`    // whatsapp, smsc-1 or smsc-2
	Channel string `json:"channel"` // the Detour channel it serves: whatsapp or sms
	Route   string `json:"route"`   // the Detour route it serves
	Mode    Mode   `json:"mode"`
	// NativeMode is the simulator's own name for its mode, which says
	// more for WhatsApp's outages (down-5xx, down-timeout, down-refused).
	NativeMode string `json:"native_mode"`
	Addr       string `json:"addr"` // host:port on loopback
	// Counters are the simulator's counters since it started, by name;
	// "handset_messages" counts the messages it put on handsets.
	Counters map[string]int64 `json:"counters"`
}

// Simulators returns the state of every simulator, in Names order.
func (w *World) Simulators() []Simulator {
	out := make([]Simulator, 0, len(Names))
	for _, n := range Names {
		s, _ := w.Simulator(n)
		out = append(out, s)
	}
	return out
}

// Simulator returns the state of simulator name.
func (w *World) Simulator(name string) (Simulator, error) {
	if name == WhatsApp {
		m := w.wa.Mode()
		return Simulator{Name: name, Channel: whatsapp.Channel, Route: WhatsAppRoute, Mode: worldModeWA(m),
			NativeMode: m.String(), Addr: w.wa.Addr(), Counters: w.waCounters()}, nil
	}
	s := w.smscs[name]
	if s == nil {
		return Simulator{}, fmt.Errorf("%w: %q (want whatsapp, smsc-1 or smsc-2)", ErrNoSimulator, name)
	}
	m := s.Mode()
	return Simulator{Name: name, Channel: sms.Name, Route: name, Mode: Mode(m.String()), NativeMode: m.String(),
		Addr: s.Addr(), Counters: w.smscCounters(name, s)}, nil
}

func worldModeWA(m wasim.Mode) Mode {
	switch m {
	case wasim.Silent:
		return Silent
	case wasim.Down5xx, wasim.DownTimeout, wasim.DownRefused:
		return Down
	case wasim.Throttled:
		return Throttled
	}
	return Healthy
}

func (w *World) waCounters() map[string]int64 {
	c := w.wa.Counters()
	out := map[string]int64{
		"requests": c.Requests, "accepted": c.Accepted, "held": c.Held, "silenced": c.Silenced,
		"webhook_posts": c.Posts, "webhook_post_failures": c.PostFailures, "dropped": c.Dropped,
		"queued": int64(c.Queued), "handset_messages": w.got[WhatsApp].Load(),
	}
	for code, n := range c.Errors {
		out["errors."+strconv.Itoa(code)] = n
	}
	for st, n := range c.Statuses {
		out["statuses."+st] = n
	}
	return out
}

func (w *World) smscCounters(name string, s *smsc.Server) map[string]int64 {
	c := s.Counters()
	out := map[string]int64{
		"connections": c.Connections, "binds": c.Binds, "bound": int64(c.Bound), "submits": c.Submits,
		"no_receipt": c.NoReceipt, "mo": c.MO, "redeliveries": c.Redeliveries, "dropped": c.Dropped,
		"queued": int64(c.Scheduled + c.Queued + c.Outstanding), "handset_messages": w.got[name].Load(),
	}
	for st, n := range c.SubmitResps {
		out["submit_resps."+st.String()] = n
	}
	for st, n := range c.Receipts {
		out["receipts."+st.String()] = n
	}
	return out
}
