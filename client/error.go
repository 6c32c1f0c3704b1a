package client

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/detourhq/detour/api"
)

// Error is an error answer of the server: its HTTP status and its problem
// body. When the body is not a problem (a proxy's error page, say), Problem
// holds the status and its standard text, with no Code.
type Error struct {
	Status  int
	Problem api.Problem
	// RetryAfter is the server's Retry-After hint (with 429 and 503), zero
	// if none.
	RetryAfter time.Duration
}

// Error names the status and the code, then the detail and field.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "detour: %d", e.Status)
	if e.Problem.Code != "" {
		b.WriteString(" " + e.Problem.Code)
	} else {
		b.WriteString(" " + strings.ToLower(http.StatusText(e.Status)))
	}
	if e.Problem.Detail != "" {
		b.WriteString(": " + e.Problem.Detail)
	}
	if e.Problem.Field != "" {
		b.WriteString(" (" + e.Problem.Field + ")")
	}
	return b.String()
}

// Code returns the problem code, such as "invalid_recipient" ("" when the
// answer was not a problem).
func (e *Error) Code() string { return e.Problem.Code }

// errorFrom builds the *Error of a non-success answer.
func errorFrom(res *http.Response, body []byte) *Error {
	e := &Error{Status: res.StatusCode}
	if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil && s > 0 {
		e.RetryAfter = time.Duration(s) * time.Second
	}
	if err := json.Unmarshal(body, &e.Problem); err != nil || e.Problem.Status == 0 {
		e.Problem = api.Problem{Status: res.StatusCode, Title: http.StatusText(res.StatusCode)}
	}
	return e
}
