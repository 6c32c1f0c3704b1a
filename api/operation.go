package api

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/detourhq/detour"
)

// handler serves one operation. key is the caller's API key on operations
// that need one, else nil. A returned error is answered as a problem.
type handler func(s *Server, w http.ResponseWriter, r *http.Request, key *detour.APIKey) error

// operation is one endpoint: the route it registers and its description in
// the OpenAPI document, kept together so that they cannot drift apart.
type operation struct {
	method      string
	path        string // ServeMux path, also the OpenAPI path ("/v1/messages/{id}")
	id          string // OpenAPI operationId
	tag         string
	summary     string
	description string
	auth        bool       // needs an API key (and is rate limited)
	params      []param    // path and query parameters
	body        string     // component schema of the JSON request body, "" for none
	optional    bool       // the body may be left out
	headers     []param    // request headers other than Authorization
	success     response   // the usual success response
	also        []response // other success responses, if any
	problems    []detour.Code
	handle      handler
}

// param is a path, query or header parameter.
type param struct {
	name        string
	in          string // path, query or header
	description string
	required    bool
	schema      map[string]any
}

// response is a success response.
type response struct {
	status      int
	description string
	contentType string         // "" for none
	schema      map[string]any // body schema
	headers     map[string]string
}

func (op *operation) pattern() string { return op.method + " " + op.path }

// allProblems returns every code op may answer with: its own, and those
// that come with a body, with authentication and with every request.
func (op *operation) allProblems() []detour.Code {
	codes := append([]detour.Code(nil), op.problems...)
	if op.body != "" {
		codes = append(codes, detour.CodeUnsupportedMedia, detour.CodeBodyTooLarge,
			detour.CodeMalformedJSON, detour.CodeInvalidType, detour.CodeUnknownField)
	}
	if op.auth {
		codes = append(codes, detour.CodeUnauthorized, detour.CodeRateLimited, detour.CodeUnavailable)
	}
	return append(codes, detour.CodeInternal)
}

// wrap makes the http.Handler of op: it marks the route for metrics,
// authenticates and rate limits, and turns errors and panics into
// problems.
func (s *Server) wrap(op *operation) http.Handler {
	rm := s.metrics.forRoute(op.pattern())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rw, ok := w.(*responseWriter); ok {
			rw.route = rm
		}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.fail(w, r, rm.route, fmt.Errorf("panic: %v", v))
			}
		}()
		var key *detour.APIKey
		if op.auth {
			k, err := s.keys.authenticate(r.Context(), r)
			if err != nil {
				s.fail(w, r, rm.route, err)
				return
			}
			if ok, wait := s.limiter.allow(k.ID, k.RateLimit, s.clock.Now()); !ok {
				w.Header().Set("Retry-After", strconv.FormatInt(retryAfterSeconds(wait), 10))
				s.fail(w, r, rm.route, detour.Errorf(detour.CodeRateLimited, "too many requests for this API key; retry after the Retry-After header's seconds"))
				return
			}
			key = k
		}
		if err := op.handle(s, w, r, key); err != nil {
			s.fail(w, r, rm.route, err)
		}
	})
}
