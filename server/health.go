package server

import (
	"context"
	"encoding/json"
	"time"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/health"
)

// onHealth hears of a route changing state. The monitor may call it from
// inside a store transaction (a claim consults the detector), so it only
// queues the change; healthWorker acts on it.
func (s *Server) onHealth(t health.Transition) {
	s.healthMu.Lock()
	s.healthQueue = append(s.healthQueue, t)
	s.healthMu.Unlock()
	select {
	case s.healthWake <- struct{}{}:
	default:
	}
}

// healthWorker acts on health changes in order until stop is closed, then
// on what is left: an event (delivered as webhooks), a log line, and when
// a route went down, the messages waiting on it fall back now.
func (s *Server) healthWorker(stop <-chan struct{}) {
	for {
		s.healthMu.Lock()
		queue := s.healthQueue
		s.healthQueue = nil
		s.healthMu.Unlock()
		for _, t := range queue {
			s.actOnHealth(t)
		}
		if len(queue) > 0 {
			continue
		}
		select {
		case <-s.healthWake:
		case <-stop:
			s.healthMu.Lock()
			left := len(s.healthQueue)
			s.healthMu.Unlock()
			if left == 0 {
				return
			}
		}
	}
}

func (s *Server) actOnHealth(t health.Transition) {
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
	n, err := s.engine.RouteDown(ctx, t.Channel, t.Route)
	if err != nil {
		s.log.Error("moving messages off a route that went down failed", "channel", t.Channel, "route", t.Route, "err", err)
	} else if n > 0 {
		s.log.Info("messages waiting on a route that went down fall back now", "channel", t.Channel, "route", t.Route, "messages", n)
	}
}
