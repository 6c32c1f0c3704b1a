package server

import (
	"context"
	"encoding/json"
	"time"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/health"
)

// onHealth acts on a route changing state: an event (delivered as
// webhooks), a log line, and when it went down, the messages waiting on it
// fall back now. The monitor calls it one transition at a time, in order.
func (s *Server) onHealth(t health.Transition) {
	channelState := health.Healthy
	for _, ch := range s.health.Snapshot() {
		if ch.Channel == t.Channel {
			channelState = ch.State
		}
	}
	s.log.Warn("route health changed", "channel", t.Channel, "route", t.Route, "from", t.From, "to", t.To,
		"reason", t.Reason, "channel_state", channelState)
	body, _ := json.Marshal(detour.HealthData{Channel: t.Channel, Route: t.Route, State: string(t.To), Previous: string(t.From),
		Reason: string(t.Reason), Note: t.Note, At: t.At.UTC(), ChannelState: string(channelState)})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.store.AddEvent(ctx, &detour.Event{TenantID: detour.SystemTenant, Type: detour.EventChannelHealth,
		Data: body, CreatedAt: t.At}); err != nil {
		s.log.Error("writing a health event failed", "err", err)
	}
	if t.To != health.Down || s.engine == nil {
		return
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		n, err := s.engine.RouteDown(ctx, t.Channel, t.Route)
		if err != nil {
			s.log.Error("moving messages off a route that went down failed", "channel", t.Channel, "route", t.Route, "err", err)
		} else if n > 0 {
			s.log.Info("messages waiting on a route that went down fall back now", "channel", t.Channel, "route", t.Route, "messages", n)
		}
	}()
}
