package api

import (
	"net/http"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/health"
)

// ChannelList is every channel with its routes' health.
type ChannelList struct {
	Data []health.ChannelHealth `json:"data"`
}

// ForceRequest forces a route's state.
type ForceRequest struct {
	// State is down, healthy, or auto (back to the detector's judgement).
	State string `json:"state"`
	// Note says why, for the transitions and the channel.health event.
	Note string `json:"note,omitempty"`
}

// listChannels serves GET /v1/channels.
func (s *Server) listChannels(w http.ResponseWriter, _ *http.Request, _ *detour.APIKey) error {
	out := ChannelList{Data: []health.ChannelHealth{}}
	if s.cfg.Health != nil {
		out.Data = s.cfg.Health.Snapshot()
	}
	writeJSON(w, http.StatusOK, ctJSON, out)
	return nil
}

// forceRoute serves POST /v1/channels/{channel}/routes/{route}/force.
func (s *Server) forceRoute(w http.ResponseWriter, r *http.Request, _ *detour.APIKey) error {
	k := health.Key{Channel: r.PathValue("channel"), Route: r.PathValue("route")}
	var req ForceRequest
	if err := s.readJSON(w, r, &req, false); err != nil {
		return err
	}
	if len(req.Note) > 500 {
		return detour.FieldErrorf(detour.CodeInvalidRequest, "note", "note is at most 500 bytes")
	}
	if s.cfg.Health == nil {
		return detour.ErrNotFound
	}
	if _, ok := s.cfg.Health.Route(k); !ok {
		return detour.ErrNotFound
	}
	switch req.State {
	case "auto":
		s.cfg.Health.Unforce(k)
	case string(health.Down), string(health.Healthy):
		if err := s.cfg.Health.Force(k, health.State(req.State), req.Note); err != nil {
			return detour.FieldErrorf(detour.CodeInvalidRequest, "state", "%s", err)
		}
	case "":
		return detour.FieldErrorf(detour.CodeMissingField, "state", "state is required: down, healthy or auto")
	default:
		return detour.FieldErrorf(detour.CodeInvalidRequest, "state", "state is down, healthy or auto")
	}
	rt, _ := s.cfg.Health.Route(k)
	writeJSON(w, http.StatusOK, ctJSON, rt)
	return nil
}
