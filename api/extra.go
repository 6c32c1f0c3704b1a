package api

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/detourhq/detour"
)

// Extra is an endpoint a deployment adds to the API beyond the operations
// every node serves: `detour serve --simulate` adds /v1/sim. An Extra
// needs an API key and is rate limited like every /v1 operation, is
// counted in the metrics under its pattern, and its errors are answered
// as problems (a *detour.Error with its code and status; anything else as
// internal, and logged). Extras are left out of the OpenAPI document,
// which describes the API of every node.
type Extra struct {
	Method string // GET or POST
	Path   string // a ServeMux path under /v1/, with {wildcards}: "/v1/sim/{name}"
	// Handle answers the request with the value to send as JSON with
	// status 200, or with an error. decode reads the request body the
	// way the API's own operations do (Content-Type application/json,
	// at most MaxBodyBytes, one JSON object of known fields) into v.
	Handle func(r *http.Request, decode func(v any) error) (any, error)
}

// registerExtra adds one Extra to the mux, refusing a path outside /v1/
// or one that clashes with a route already there.
func (s *Server) registerExtra(x Extra) (err error) {
	if x.Method != http.MethodGet && x.Method != http.MethodPost {
		return fmt.Errorf("api: extra %s %s: the method must be GET or POST", x.Method, x.Path)
	}
	if !strings.HasPrefix(x.Path, "/v1/") || x.Handle == nil {
		return fmt.Errorf("api: extra %s %s: needs a path under /v1/ and a handler", x.Method, x.Path)
	}
	op := &operation{method: x.Method, path: x.Path, auth: true,
		handle: func(s *Server, w http.ResponseWriter, r *http.Request, _ *detour.APIKey) error {
			decode := func(v any) error { return s.readJSON(w, r, v, false) }
			v, err := x.Handle(r, decode)
			if err != nil {
				return err
			}
			writeJSON(w, http.StatusOK, ctJSON, v)
			return nil
		}}
	defer func() {
		// ServeMux panics on a pattern that clashes with another.
		if v := recover(); v != nil {
			err = fmt.Errorf("api: extra %s %s: %v", x.Method, x.Path, v)
		}
	}()
	s.mux.Handle(op.pattern(), s.wrap(op))
	return nil
}
