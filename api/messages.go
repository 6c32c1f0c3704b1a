package api

import (
	"crypto/sha256"
	"encoding/json"
	"net/http"

	"github.com/detourhq/detour"
)

// MaxIdempotencyKey is the longest Idempotency-Key accepted.
const MaxIdempotencyKey = 255

// sendMessage serves POST /v1/messages.
func (s *Server) sendMessage(w http.ResponseWriter, r *http.Request, key *detour.APIKey) error {
	if err := checkJSONContentType(r); err != nil {
		return err
	}
	idemKey, err := idempotencyKey(r.Header)
	if err != nil {
		return err
	}
	buf, err := readBody(w, r, s.cfg.MaxBodyBytes)
	if err != nil {
		return err
	}
	req, err := decodeSendRequest(buf.Bytes())
	bodyPool.Put(buf)
	if err != nil {
		return err
	}
	var idem *detour.Idempotency
	if idemKey != "" {
		hash, err := requestHash(req)
		if err != nil {
			return err
		}
		idem = &detour.Idempotency{Key: idemKey, RequestHash: hash, CreatedAt: s.clock.Now()}
	}
	m, replayed, err := s.cfg.Messages.SendMessage(r.Context(), key.TenantID, req, idem)
	if err != nil {
		return err
	}
	h := w.Header()
	if replayed {
		h["Idempotent-Replayed"] = hvTrue
	} else {
		s.metrics.accepted.Inc()
	}
	h.Set("Location", "/v1/messages/"+m.ID)
	writeJSON(w, http.StatusAccepted, ctJSON, FromMessage(m, true))
	return nil
}

// idempotencyKey returns the request's Idempotency-Key, "" if it has none.
func idempotencyKey(h http.Header) (string, error) {
	vs, ok := h["Idempotency-Key"]
	if !ok {
		return "", nil
	}
	bad := detour.FieldErrorf(detour.CodeInvalidRequest, "Idempotency-Key",
		"Idempotency-Key is one header of 1 to %d printable ASCII characters", MaxIdempotencyKey)
	if len(vs) != 1 || len(vs[0]) == 0 || len(vs[0]) > MaxIdempotencyKey {
		return "", bad
	}
	for i := 0; i < len(vs[0]); i++ {
		if c := vs[0][i]; c < 0x20 || c > 0x7e {
			return "", bad
		}
	}
	return vs[0], nil
}

// requestHash is the SHA-256 of the normalized request: its decoded form
// encoded again, so that spacing and field order do not matter.
func requestHash(req *detour.SendRequest) ([]byte, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b)
	return sum[:], nil
}

// getMessage serves GET /v1/messages/{id}.
func (s *Server) getMessage(w http.ResponseWriter, r *http.Request, key *detour.APIKey) error {
	id := r.PathValue("id")
	if !detour.ValidID("msg_", id) {
		return detour.ErrNotFound
	}
	m, err := s.cfg.Messages.Message(r.Context(), key.TenantID, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ctJSON, FromMessage(m, true))
	return nil
}

// cancelMessage serves POST /v1/messages/{id}/cancel.
func (s *Server) cancelMessage(w http.ResponseWriter, r *http.Request, key *detour.APIKey) error {
	id := r.PathValue("id")
	if !detour.ValidID("msg_", id) {
		return detour.ErrNotFound
	}
	m, err := s.cfg.Messages.CancelMessage(r.Context(), key.TenantID, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ctJSON, FromMessage(m, true))
	return nil
}
