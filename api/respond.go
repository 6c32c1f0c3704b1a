package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/detourhq/detour"
)

// Content types of responses.
const (
	ctJSON    = "application/json"
	ctProblem = "application/problem+json"
)

// Header values shared by every response, so that setting them allocates
// nothing. They are never modified.
var (
	hvJSON    = []string{ctJSON}
	hvProblem = []string{ctProblem}
	hvBearer  = []string{`Bearer realm="detour"`}
	hvTrue    = []string{"true"}
)

// writeJSON writes v as a JSON response with the given status.
func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	buf := bodyPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bodyPool.Put(buf)
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only a bug gets here: the wire types always encode.
		buf.Reset()
		status, contentType = http.StatusInternalServerError, ctProblem
		p := problemFor(detour.CodeInternal, genericInternal, "")
		_ = json.NewEncoder(buf).Encode(p)
	}
	h := w.Header()
	switch contentType {
	case ctJSON:
		h["Content-Type"] = hvJSON
	case ctProblem:
		h["Content-Type"] = hvProblem
	default:
		h.Set("Content-Type", contentType)
	}
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// fail answers r with the problem for err. Errors that are not known
// *detour.Error values are logged at Error with the real error, other 5xx
// answers at Warn; the body only carries what is safe to show.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, route string, err error) {
	p, known := newProblem(err)
	switch {
	case !known:
		s.log.LogAttrs(r.Context(), slog.LevelError, "request failed",
			slog.String("method", r.Method), slog.String("route", route),
			slog.Int("status", p.Status), slog.String("err", err.Error()))
	case p.Status >= 500:
		s.log.LogAttrs(r.Context(), slog.LevelWarn, "request refused",
			slog.String("method", r.Method), slog.String("route", route),
			slog.Int("status", p.Status), slog.String("code", p.Code))
	}
	if p.Status == http.StatusUnauthorized {
		w.Header()["Www-Authenticate"] = hvBearer
	}
	var de *detour.Error
	if known && errors.As(err, &de) && de.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt(retryAfterSeconds(de.RetryAfter), 10))
	}
	writeJSON(w, p.Status, ctProblem, p)
}
