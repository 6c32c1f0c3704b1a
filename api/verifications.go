package api

import (
	"net/http"
	"time"

	"github.com/detourhq/detour"
)

// Verification is the public representation of a verification (the
// "Verification" schema). It never carries the code.
type Verification struct {
	// ID is the verification id ("ver_" and 26 characters).
	ID string `json:"id"`
	// To is the number the code went to, E.164.
	To string `json:"to"`
	// Status is pending, approved, expired, max_attempts_reached or
	// canceled.
	Status string `json:"status"`
	// Channels are the channels the code goes out on, in order.
	Channels []string `json:"channels"`
	// Locale is the language of the texts: en, es, fr, de or pt.
	Locale string `json:"locale"`
	// CodeLength is how many digits the code has.
	CodeLength int `json:"code_length"`
	// ChecksLeft is how many more codes may be checked (0 once final).
	ChecksLeft int `json:"checks_left"`
	// SendsLeft is how many more messages a resend may send.
	SendsLeft int `json:"sends_left"`
	// Attempts are the messages sent, oldest first.
	Attempts []VerificationAttempt `json:"attempts"`
	// CreatedAt is when the verification started.
	CreatedAt time.Time `json:"created_at"`
	// UpdatedAt is when it last changed.
	UpdatedAt time.Time `json:"updated_at"`
	// ExpiresAt is when its code stops checking.
	ExpiresAt time.Time `json:"expires_at"`
}

// VerificationAttempt is one message a verification sent.
type VerificationAttempt struct {
	// MessageID is the Detour message carrying the code; GET it for its
	// attempt trail.
	MessageID string `json:"message_id"`
	// Channel is the channel the message delivered on or, before that,
	// the channel of its latest attempt (its first channel before any).
	Channel string `json:"channel"`
	// Status is the message's status.
	Status string `json:"status"`
	// CreatedAt is when it was sent.
	CreatedAt time.Time `json:"created_at"`
}

// FromVerification converts a verification to its public representation.
func FromVerification(v *detour.Verification) Verification {
	out := Verification{ID: v.ID, To: v.To, Status: string(v.Status), Channels: v.Channels, Locale: v.Locale,
		CodeLength: v.CodeLength, ChecksLeft: v.ChecksLeft(), SendsLeft: v.SendsLeft(),
		Attempts:  make([]VerificationAttempt, 0, len(v.Sends)),
		CreatedAt: v.CreatedAt.UTC(), UpdatedAt: v.UpdatedAt.UTC(), ExpiresAt: v.ExpiresAt.UTC()}
	if out.Channels == nil {
		out.Channels = []string{}
	}
	for _, s := range v.Sends {
		out.Attempts = append(out.Attempts, VerificationAttempt{MessageID: s.MessageID, Channel: s.Channel,
			Status: string(s.Status), CreatedAt: s.CreatedAt.UTC()})
	}
	return out
}

// verifications returns the service, or unavailable when the server has
// none.
func (s *Server) verifications() (detour.VerificationService, error) {
	if s.cfg.Verifications == nil {
		return nil, detour.Errorf(detour.CodeUnavailable, "this server does not run verifications")
	}
	return s.cfg.Verifications, nil
}

// startVerification serves POST /v1/verifications.
func (s *Server) startVerification(w http.ResponseWriter, r *http.Request, key *detour.APIKey) error {
	svc, err := s.verifications()
	if err != nil {
		return err
	}
	var req detour.VerificationRequest
	if err := s.readJSON(w, r, &req, false); err != nil {
		if de, ok := err.(*detour.Error); ok && de.Field == "" && (de.Code == detour.CodeInvalidRequest || de.Code == detour.CodeInvalidType) {
			// A duration's own unmarshalling cannot know where it stands;
			// expiry is the only duration here.
			return &detour.Error{Code: de.Code, Message: "expiry: " + de.Message, Field: "expiry"}
		}
		return err
	}
	v, created, err := svc.StartVerification(r.Context(), key.TenantID, &req)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	w.Header().Set("Location", "/v1/verifications/"+v.ID)
	writeJSON(w, status, ctJSON, FromVerification(v))
	return nil
}

// getVerification serves GET /v1/verifications/{id}.
func (s *Server) getVerification(w http.ResponseWriter, r *http.Request, key *detour.APIKey) error {
	svc, err := s.verifications()
	if err != nil {
		return err
	}
	v, err := svc.Verification(r.Context(), key.TenantID, r.PathValue("id"))
	return s.writeVerification(w, v, err)
}

// checkVerification serves POST /v1/verifications/{id}/check.
func (s *Server) checkVerification(w http.ResponseWriter, r *http.Request, key *detour.APIKey) error {
	svc, err := s.verifications()
	if err != nil {
		return err
	}
	var req detour.CheckRequest
	if err := s.readJSON(w, r, &req, false); err != nil {
		return err
	}
	v, err := svc.CheckVerification(r.Context(), key.TenantID, r.PathValue("id"), req.Code)
	return s.writeVerification(w, v, err)
}

// resendVerification serves POST /v1/verifications/{id}/resend.
func (s *Server) resendVerification(w http.ResponseWriter, r *http.Request, key *detour.APIKey) error {
	svc, err := s.verifications()
	if err != nil {
		return err
	}
	var req detour.ResendRequest
	if err := s.readJSON(w, r, &req, true); err != nil {
		return err
	}
	v, err := svc.ResendVerification(r.Context(), key.TenantID, r.PathValue("id"), &req)
	return s.writeVerification(w, v, err)
}

// cancelVerification serves POST /v1/verifications/{id}/cancel.
func (s *Server) cancelVerification(w http.ResponseWriter, r *http.Request, key *detour.APIKey) error {
	svc, err := s.verifications()
	if err != nil {
		return err
	}
	v, err := svc.CancelVerification(r.Context(), key.TenantID, r.PathValue("id"))
	return s.writeVerification(w, v, err)
}

func (s *Server) writeVerification(w http.ResponseWriter, v *detour.Verification, err error) error {
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ctJSON, FromVerification(v))
	return nil
}
