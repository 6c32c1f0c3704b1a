package simworld

import (
	"errors"
	"net/http"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/api"
)

// SimulatorList is the answer of GET /v1/sim.
type SimulatorList struct {
	Data []Simulator `json:"data"`
}

// ModeRequest is the body of POST /v1/sim/{name}.
type ModeRequest struct {
	Mode Mode `json:"mode"`
}

// HandsetMessages is the answer of GET /v1/sim/handsets/{number}.
type HandsetMessages struct {
	Number string     `json:"number"`
	Data   []Received `json:"data"` // oldest first
}

// Endpoints returns the /v1/sim endpoints, to serve behind the API's keys
// (server.Options.Extras):
//
//	GET  /v1/sim                     every simulator: mode, address, counters
//	GET  /v1/sim/{name}              one simulator (whatsapp, smsc-1, smsc-2)
//	POST /v1/sim/{name}              {"mode": "healthy|silent|down|throttled"} switches it; answers its state
//	GET  /v1/sim/handsets/{number}   what the phone (E.164) received, oldest first
//
// An unknown simulator is 404 not_found; a mode that is missing is 422
// missing_field, one that is not a mode 400 invalid_request, both with
// field "mode"; a number that is not E.164 is 422 invalid_recipient with
// field "number".
func (w *World) Endpoints() []api.Extra {
	return []api.Extra{
		{Method: http.MethodGet, Path: "/v1/sim", Handle: func(*http.Request, func(any) error) (any, error) {
			return SimulatorList{Data: w.Simulators()}, nil
		}},
		{Method: http.MethodGet, Path: "/v1/sim/{name}", Handle: func(r *http.Request, _ func(any) error) (any, error) {
			s, err := w.Simulator(r.PathValue("name"))
			return s, problem(err)
		}},
		{Method: http.MethodPost, Path: "/v1/sim/{name}", Handle: func(r *http.Request, decode func(any) error) (any, error) {
			name := r.PathValue("name")
			if _, err := w.Simulator(name); err != nil {
				return nil, problem(err)
			}
			var req ModeRequest
			if err := decode(&req); err != nil {
				return nil, err
			}
			if req.Mode == "" {
				return nil, detour.FieldErrorf(detour.CodeMissingField, "mode", "mode is required: healthy, silent, down or throttled")
			}
			if err := w.SetMode(name, req.Mode); err != nil {
				return nil, problem(err)
			}
			s, err := w.Simulator(name)
			return s, problem(err)
		}},
		{Method: http.MethodGet, Path: "/v1/sim/handsets/{number}", Handle: func(r *http.Request, _ func(any) error) (any, error) {
			n := r.PathValue("number")
			if !isE164(n) {
				return nil, detour.FieldErrorf(detour.CodeInvalidRecipient, "number",
					"the handset is named by its E.164 number: \"+\" and 8 to 15 digits, e.g. +447400123456")
			}
			out := HandsetMessages{Number: n, Data: w.Handset(n)}
			if out.Data == nil {
				out.Data = []Received{}
			}
			return out, nil
		}},
	}
}

// problem turns the world's errors into the API's: an unknown simulator
// is not found, an unknown mode an invalid field. Other errors (a
// simulator that cannot listen again) stay internal.
func problem(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrNoSimulator):
		return detour.Errorf(detour.CodeNotFound, "no simulator by that name; the simulators are whatsapp, smsc-1 and smsc-2")
	case errors.Is(err, ErrBadMode):
		return detour.FieldErrorf(detour.CodeInvalidRequest, "mode", "mode must be healthy, silent, down or throttled")
	}
	return err
}

// isE164 reports whether s is "+" and 8 to 15 digits, the first not 0.
func isE164(s string) bool {
	if len(s) < 9 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
