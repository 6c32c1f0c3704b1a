package api

import (
	"net/http"

	"github.com/detourhq/detour"
)

// listRoutes serves GET /v1/routes.
func (s *Server) listRoutes(w http.ResponseWriter, r *http.Request, _ *detour.APIKey) error {
	out := RouteList{Data: []Route{}}
	if s.cfg.Routes != nil {
		out.Data = append(out.Data, s.cfg.Routes(r.Context())...)
	}
	for i := range out.Data {
		if out.Data[i].Binds == nil {
			out.Data[i].Binds = []Bind{}
		}
	}
	writeJSON(w, http.StatusOK, ctJSON, out)
	return nil
}
