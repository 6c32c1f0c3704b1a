package server

import (
	"context"
	"time"

	"github.com/detourhq/detour/api"
	"github.com/detourhq/detour/smpp"
)

// routes reports every route of the configured channels for GET
// /v1/routes.
func (s *Server) routes(context.Context) []api.Route {
	var out []api.Route
	if s.sandbox != nil {
		for _, name := range s.sandbox.Routes() {
			out = append(out, api.Route{Channel: s.sandbox.Name(), Name: name, State: "up"})
		}
	}
	if s.wa != nil {
		for _, name := range s.wa.Routes() {
			st := "up"
			if !s.wa.Usable(name) {
				st = "down"
			}
			out = append(out, api.Route{Channel: s.wa.Name(), Name: name, State: st})
		}
	}
	if s.sms != nil {
		stats := s.sms.RouteStats()
		for _, name := range s.sms.Routes() {
			r := smsRoute(name, stats[name])
			if sel, limit, ok := s.sms.RouteSettings(name); ok {
				r.ThroughputLimit = limit
				r.Selection = &api.RouteSelection{Prefixes: nonNil(sel.Prefixes), Countries: nonNil(sel.Countries),
					Priority: sel.Priority, Weight: sel.Weight, Cost: sel.Cost}
			}
			out = append(out, r)
		}
	}
	return out
}

func smsRoute(name string, st smpp.Stats) api.Route {
	r := api.Route{Channel: "sms", Name: name, State: "down", SubmitRate: st.SubmitRate, PausedUntil: timePtr(st.PausedUntil)}
	for _, b := range st.Binds {
		if b.State == smpp.StateBound && b.Window > 0 {
			r.State = "up"
		}
		resp := make(map[string]uint64, len(b.Responses))
		for status, n := range b.Responses {
			resp[status.String()] = n
		}
		r.Binds = append(r.Binds, api.Bind{Bind: b.Bind, Mode: b.Mode, State: b.State.String(), Since: b.Since,
			Window: b.Window, InFlight: b.InFlight, Submitted: b.Submitted, Responses: resp, Timeouts: b.Timeouts,
			Lost: b.Lost, DeliverSM: b.DeliverSM, Receipts: b.Receipts, Reconnects: b.Reconnects,
			LastError: b.LastError, LastErrorAt: timePtr(b.LastErrorAt)})
	}
	return r
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// nonNil makes a nil list an empty one, for JSON.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
