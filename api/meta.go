package api

import (
	"net/http"

	"github.com/detourhq/detour"
)

// Health is the body of GET /healthz and of a ready GET /readyz.
type Health struct {
	// Status is "ok".
	Status string `json:"status"`
}

// healthz serves GET /healthz: alive as long as it answers.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request, _ *detour.APIKey) error {
	writeJSON(w, http.StatusOK, ctJSON, Health{Status: "ok"})
	return nil
}

// readyz serves GET /readyz. The reason for not being ready is logged,
// not shown.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request, _ *detour.APIKey) error {
	if s.cfg.Ready != nil {
		if err := s.cfg.Ready(r.Context()); err != nil {
			s.log.ErrorContext(r.Context(), "not ready", "err", err)
			return detour.Errorf(detour.CodeUnavailable, "the node is not ready to take traffic")
		}
	}
	writeJSON(w, http.StatusOK, ctJSON, Health{Status: "ok"})
	return nil
}

// serveMetrics serves GET /metrics from the configured registry.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request, _ *detour.APIKey) error {
	s.metricsHandler.ServeHTTP(w, r)
	return nil
}

// serveOpenAPI serves GET /v1/openapi.json.
func (s *Server) serveOpenAPI(w http.ResponseWriter, _ *http.Request, _ *detour.APIKey) error {
	h := w.Header()
	h["Content-Type"] = hvJSON
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(s.openapi)
	return nil
}
