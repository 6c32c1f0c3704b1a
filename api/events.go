package api

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"

	"github.com/detourhq/detour"
)

// listEvents serves GET /v1/events.
func (s *Server) listEvents(w http.ResponseWriter, r *http.Request, key *detour.APIKey) error {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return detour.Errorf(detour.CodeInvalidRequest, "the query string is malformed")
	}
	f := detour.EventFilter{TenantID: key.TenantID, Limit: DefaultListLimit}
	for name, vs := range q {
		if len(vs) != 1 {
			return detour.FieldErrorf(detour.CodeInvalidRequest, name, "%s is given more than once", truncate(name, 40))
		}
		v := vs[0]
		switch name {
		case "type":
			f.Type = v
		case "message_id":
			if !detour.ValidID("msg_", v) {
				return detour.FieldErrorf(detour.CodeInvalidRequest, name, "message_id is a message id")
			}
			f.MessageID = v
		case "limit":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > MaxListLimit {
				return detour.FieldErrorf(detour.CodeInvalidRequest, name, "limit is a whole number from 1 to %d", MaxListLimit)
			}
			f.Limit = n
		case "cursor":
			b, err := base64.RawURLEncoding.DecodeString(v)
			if err != nil || !detour.ValidID("evt_", string(b)) {
				return detour.FieldErrorf(detour.CodeInvalidCursor, "cursor", "cursor is not one this API returned")
			}
			f.Before = string(b)
		default:
			return detour.FieldErrorf(detour.CodeInvalidRequest, name, "the listing has no parameter %q", truncate(name, 40))
		}
	}
	if s.cfg.Events == nil {
		writeJSON(w, http.StatusOK, ctJSON, EventList{Data: []Event{}})
		return nil
	}
	page, err := s.cfg.Events.Events(r.Context(), f)
	if err != nil {
		return err
	}
	out := EventList{Data: make([]Event, len(page.Events))}
	for i, ev := range page.Events {
		out.Data[i] = Event{ID: ev.ID, Type: ev.Type, MessageID: ev.MessageID, Data: ev.Data, CreatedAt: ev.CreatedAt.UTC()}
	}
	if page.More && len(page.Events) > 0 {
		c := base64.RawURLEncoding.EncodeToString([]byte(page.Events[len(page.Events)-1].ID))
		out.NextCursor = &c
	}
	writeJSON(w, http.StatusOK, ctJSON, out)
	return nil
}
