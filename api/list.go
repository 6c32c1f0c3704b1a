package api

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/detourhq/detour"
)

// listMessages serves GET /v1/messages.
func (s *Server) listMessages(w http.ResponseWriter, r *http.Request, key *detour.APIKey) error {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return detour.Errorf(detour.CodeInvalidRequest, "the query string is malformed")
	}
	f, err := parseListQuery(q)
	if err != nil {
		return err
	}
	f.TenantID = key.TenantID
	page, err := s.cfg.Messages.Messages(r.Context(), f)
	if err != nil {
		return err
	}
	out := MessageList{Data: make([]Message, len(page.Messages))}
	for i, m := range page.Messages {
		out.Data[i] = FromMessage(m, false)
	}
	if page.More && len(page.Messages) > 0 {
		c := EncodeCursor(page.Messages[len(page.Messages)-1].ID)
		out.NextCursor = &c
	}
	writeJSON(w, http.StatusOK, ctJSON, out)
	return nil
}

// parseListQuery reads the listing's query parameters into a filter.
// Unknown or repeated parameters are refused, so that a typo does not
// silently list everything.
func parseListQuery(q url.Values) (detour.MessageFilter, error) {
	f := detour.MessageFilter{Limit: DefaultListLimit}
	err := eachParam(q, func(name, v string) (err error) {
		switch name {
		case "status":
			f.Status = detour.Status(v)
			if !f.Status.Valid() {
				err = detour.FieldErrorf(detour.CodeInvalidRequest, name, "status is one of queued, sending, sent, delivered, read, failed, expired, canceled")
			}
		case "to":
			f.To = v
		case "client_ref":
			f.ClientRef = v
		case "created_after":
			f.CreatedAfter, err = parseTime(name, v)
		case "created_before":
			f.CreatedBefore, err = parseTime(name, v)
		case "limit":
			f.Limit, err = parseLimit(name, v)
		case "cursor":
			f.Before, err = DecodeCursor(v)
		default:
			err = unknownParam(name)
		}
		return err
	})
	return f, err
}

// eachParam calls fn for each query parameter, refusing one given twice:
// listings refuse what they do not understand, so that a typo does not
// silently list everything.
func eachParam(q url.Values, fn func(name, v string) error) error {
	for name, vs := range q {
		if len(vs) != 1 {
			return detour.FieldErrorf(detour.CodeInvalidRequest, name, "%s is given more than once", truncate(name, 40))
		}
		if err := fn(name, vs[0]); err != nil {
			return err
		}
	}
	return nil
}

func unknownParam(name string) error {
	return detour.FieldErrorf(detour.CodeInvalidRequest, truncate(name, 40), "unknown query parameter")
}

// parseLimit reads a page size.
func parseLimit(name, v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > MaxListLimit {
		return n, detour.FieldErrorf(detour.CodeInvalidRequest, name, "limit is a whole number from 1 to %d", MaxListLimit)
	}
	return n, nil
}

func parseTime(name, v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return t, detour.FieldErrorf(detour.CodeInvalidRequest, name, "%s is an RFC 3339 time such as 2024-05-01T12:00:00Z", name)
	}
	return t, nil
}

// EncodeCursor returns the opaque listing cursor that continues after the
// message (or event) with the given id.
func EncodeCursor(id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(id))
}

// DecodeCursor returns the message id inside a cursor made by
// EncodeCursor, or an invalid_cursor error.
func DecodeCursor(c string) (string, error) { return decodeCursor(c, "msg_") }

// decodeCursor returns the id with the given prefix inside a cursor.
func decodeCursor(c, prefix string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || !detour.ValidID(prefix, string(b)) {
		return "", detour.FieldErrorf(detour.CodeInvalidCursor, "cursor", "cursor is not one this API returned")
	}
	return string(b), nil
}
