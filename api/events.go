package api

import (
	"net/http"
	"net/url"

	"github.com/detourhq/detour"
)

// listEvents serves GET /v1/events.
func (s *Server) listEvents(w http.ResponseWriter, r *http.Request, key *detour.APIKey) error {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return detour.Errorf(detour.CodeInvalidRequest, "the query string is malformed")
	}
	f := detour.EventFilter{TenantID: key.TenantID, Limit: DefaultListLimit}
	err = eachParam(q, func(name, v string) (err error) {
		switch name {
		case "type":
			f.Type = v
		case "message_id":
			if !detour.ValidID("msg_", v) {
				err = detour.FieldErrorf(detour.CodeInvalidRequest, name, "message_id is a message id")
			}
			f.MessageID = v
		case "limit":
			f.Limit, err = parseLimit(name, v)
		case "cursor":
			f.Before, err = decodeCursor(v, "evt_")
		default:
			err = unknownParam(name)
		}
		return err
	})
	if err != nil {
		return err
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
		out.Data[i] = fromEvent(ev)
	}
	if page.More && len(page.Events) > 0 {
		c := EncodeCursor(page.Events[len(page.Events)-1].ID)
		out.NextCursor = &c
	}
	writeJSON(w, http.StatusOK, ctJSON, out)
	return nil
}

func fromEvent(ev *detour.Event) Event {
	return Event{ID: ev.ID, Type: ev.Type, MessageID: ev.MessageID, Data: ev.Data, CreatedAt: ev.CreatedAt.UTC()}
}
