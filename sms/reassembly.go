package sms

import (
	"strings"
	"sync"
	"time"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/smpp/coding"
)

// reassemblyTTL is how long the parts of a concatenated message from a
// handset wait for the rest.
const reassemblyTTL = 5 * time.Minute

// reassembly joins the parts of concatenated messages from handsets. It
// keeps them in memory: a part acknowledged to the SMSC and lost in a
// crash before the whole message was stored is lost (a small window,
// documented).
type reassembly struct {
	mu      sync.Mutex
	pending map[partKey]*partial
}

type partKey struct {
	route, from string
	ref         uint16
	total       uint8
}

type partial struct {
	first   *detour.Inbound
	texts   map[uint8]string
	since   time.Time
	storing bool // the whole message is being stored
}

// add keeps one part and returns the whole message once every part came,
// with done, to be called with whether it was stored. The parts are kept
// until it was: when storing fails, the SMSC delivers again only the part
// whose deliver_sm we refused, and that part completes the message again.
// While one completion is being stored, another (a redelivered part)
// returns nil.
func (r *reassembly) add(in *detour.Inbound, c coding.Concat, now time.Time) (whole *detour.Inbound, done func(stored bool)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pending == nil {
		r.pending = map[partKey]*partial{}
	}
	for k, p := range r.pending {
		if now.Sub(p.since) > reassemblyTTL {
			delete(r.pending, k)
		}
	}
	k := partKey{in.Route, in.From, c.Ref, c.Total}
	p := r.pending[k]
	if p == nil {
		p = &partial{first: in, texts: map[uint8]string{}, since: now}
		r.pending[k] = p
	}
	p.texts[c.Seq] = in.Text
	if len(p.texts) < int(c.Total) || p.storing {
		return nil, nil
	}
	p.storing = true
	var b strings.Builder
	for i := uint8(1); i <= c.Total; i++ {
		b.WriteString(p.texts[i])
	}
	w := *p.first
	w.Text = b.String()
	return &w, func(stored bool) {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.pending[k] != p {
			return // dropped after its TTL meanwhile; k may be a newer message's
		}
		if stored {
			delete(r.pending, k)
		} else {
			p.storing = false
		}
	}
}
