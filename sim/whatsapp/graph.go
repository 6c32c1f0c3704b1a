package wasim

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// graphError is a Graph API error answer: the HTTP status and the body
// {"error":{...}} after the spec's GraphAPIError schema and the saved
// error bodies in testdata/whatsapp.
type graphError struct {
	status    int
	Message   string `json:"message"`
	Type      string `json:"type"`
	Code      int    `json:"code"`
	Subcode   int    `json:"error_subcode,omitempty"`
	Transient bool   `json:"is_transient,omitempty"`
	ErrorData *struct {
		MessagingProduct string `json:"messaging_product"`
		Details          string `json:"details"`
	} `json:"error_data,omitempty"`
	FBTraceID string `json:"fbtrace_id"`
}

// Graph error codes the simulator answers with.
const (
	CodeTransient       = 2      // API service: temporary downtime (the spec's 500 example)
	CodeInvalidParam    = 100    // invalid parameter: every malformed request
	CodeAccessToken     = 190    // access token invalid or missing
	CodeThrottled       = 130429 // Cloud API throughput reached
	CodeUndeliverable   = 131026 // message undeliverable: not on WhatsApp
	subcodeNoSuchObject = 33     // unsupported post request: object does not exist
)

func withDetails(e *graphError, details string) *graphError {
	e.ErrorData = &struct {
		MessagingProduct string `json:"messaging_product"`
		Details          string `json:"details"`
	}{"whatsapp", details}
	return e
}

// invalidParam is the answer to a malformed request: 400, code 100,
// OAuthException, with what is wrong in error_data.details.
func invalidParam(details string) *graphError {
	return withDetails(&graphError{status: http.StatusBadRequest, Message: "(#100) Invalid parameter",
		Type: "OAuthException", Code: CodeInvalidParam}, details)
}

func badToken() *graphError {
	return &graphError{status: http.StatusUnauthorized, Message: "Invalid OAuth access token - Cannot parse access token",
		Type: "OAuthException", Code: CodeAccessToken}
}

func noSuchObject(id string) *graphError {
	return &graphError{status: http.StatusBadRequest,
		Message: "Unsupported post request. Object with ID '" + id + "' does not exist, cannot be loaded due to missing permissions, or does not support this operation.",
		Type:    "GraphMethodException", Code: CodeInvalidParam, Subcode: subcodeNoSuchObject}
}

func unknownPath(path string) *graphError {
	return &graphError{status: http.StatusBadRequest, Message: "Unknown path components: " + path,
		Type: "OAuthException", Code: 2500}
}

func throttledErr() *graphError {
	return withDetails(&graphError{status: http.StatusTooManyRequests, Message: "(#130429) Rate limit hit",
		Type: "OAuthException", Code: CodeThrottled}, "Cloud API message throughput has been reached.")
}

func undeliverable() *graphError {
	return withDetails(&graphError{status: http.StatusBadRequest, Message: "(#131026) Message undeliverable",
		Type: "OAuthException", Code: CodeUndeliverable}, "Message undeliverable")
}

func transientErr() *graphError {
	return &graphError{status: http.StatusInternalServerError, Message: "An unexpected error occurred. Please retry your request",
		Type: "GraphMethodException", Code: CodeTransient, Transient: true}
}

func (s *Server) writeError(w http.ResponseWriter, e *graphError) {
	s.mu.Lock()
	e.FBTraceID = traceID(s.rnd)
	s.ctr.errors[e.Code]++
	s.mu.Unlock()
	body, _ := json.Marshal(struct {
		Error *graphError `json:"error"`
	}{e})
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=UTF-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("x-fb-trace-id", e.FBTraceID)
	if e.status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `OAuth "Facebook Platform" "invalid_token" "`+e.Message+`"`)
	}
	w.WriteHeader(e.status)
	w.Write(body)
}

const traceAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// traceID returns an fbtrace_id like "AXsgnV2Cm3ZMGF3dF_cfYIn"; r is
// guarded by the caller.
func traceID(r interface{ Uint64() uint64 }) string {
	var b [23]byte
	b[0] = 'A'
	v := r.Uint64()
	for i := 1; i < len(b); i++ {
		if i%10 == 0 {
			v = r.Uint64()
		}
		b[i] = traceAlphabet[v&63]
		v >>= 6
	}
	return string(b[:])
}
