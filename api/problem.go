package api

import (
	"errors"
	"net/http"

	"github.com/detourhq/detour"
)

// codeMethodNotAllowed is the one problem code that belongs to HTTP rather
// than to the domain: a known path asked with a method it does not take.
const codeMethodNotAllowed detour.Code = "method_not_allowed"

// problemType is how one error code is shown over HTTP.
type problemType struct {
	status int
	title  string
}

// problemTypes maps every error code the API returns to its HTTP status and
// title. It is the single source for statusOf, for problem bodies and for
// the error responses of the OpenAPI document.
var problemTypes = map[detour.Code]problemType{
	detour.CodeMalformedJSON:       {http.StatusBadRequest, "Malformed JSON"},
	detour.CodeInvalidType:         {http.StatusBadRequest, "Wrong JSON type"},
	detour.CodeUnknownField:        {http.StatusBadRequest, "Unknown field"},
	detour.CodeInvalidRequest:      {http.StatusBadRequest, "Invalid request"},
	detour.CodeInvalidCursor:       {http.StatusBadRequest, "Invalid cursor"},
	detour.CodeMissingField:        {http.StatusUnprocessableEntity, "Missing field"},
	detour.CodeInvalidRecipient:    {http.StatusUnprocessableEntity, "Invalid recipient"},
	detour.CodeEmptyContent:        {http.StatusUnprocessableEntity, "Empty content"},
	detour.CodeUnknownChannel:      {http.StatusUnprocessableEntity, "Unknown channel"},
	detour.CodeUnknownRoute:        {http.StatusUnprocessableEntity, "Unknown route"},
	detour.CodeContentNotSupported: {http.StatusUnprocessableEntity, "Content not supported"},
	detour.CodeUnauthorized:        {http.StatusUnauthorized, "Unauthorized"},
	detour.CodeNotFound:            {http.StatusNotFound, "Not found"},
	codeMethodNotAllowed:           {http.StatusMethodNotAllowed, "Method not allowed"},
	detour.CodeIdempotencyConflict: {http.StatusConflict, "Idempotency conflict"},
	detour.CodeNotCancelable:       {http.StatusConflict, "Not cancelable"},
	detour.CodeBodyTooLarge:        {http.StatusRequestEntityTooLarge, "Body too large"},
	detour.CodeUnsupportedMedia:    {http.StatusUnsupportedMediaType, "Unsupported media type"},
	detour.CodeRateLimited:         {http.StatusTooManyRequests, "Rate limited"},
	detour.CodeURLNotAllowed:       {http.StatusUnprocessableEntity, "URL not allowed"},
	detour.CodeUnavailable:         {http.StatusServiceUnavailable, "Unavailable"},
	detour.CodeInternal:            {http.StatusInternalServerError, "Internal error"},

	detour.CodeNotPending:              {http.StatusConflict, "Verification not pending"},
	detour.CodeVerifyCountryBlocked:    {http.StatusTooManyRequests, "Country not allowed"},
	detour.CodeVerifyRateLimited:       {http.StatusTooManyRequests, "Too many verifications to this number"},
	detour.CodeVerifyTenantRateLimited: {http.StatusTooManyRequests, "Too many verifications"},
	detour.CodeVerifyPrefixVelocity:    {http.StatusTooManyRequests, "Too many numbers in this prefix"},
	detour.CodeVerifyMaxSends:          {http.StatusTooManyRequests, "No sends left"},
}

// statusOf returns the HTTP status for an error code: the one mapping from
// domain codes to HTTP. Codes the API does not know are internal errors.
func statusOf(code detour.Code) int {
	if t, ok := problemTypes[code]; ok {
		return t.status
	}
	return http.StatusInternalServerError
}

// knownCode reports whether code is one the API returns.
func knownCode(code detour.Code) bool {
	_, ok := problemTypes[code]
	return ok
}

// genericInternal is the only detail an internal error shows.
const genericInternal = "an unexpected error occurred; it has been logged"

// newProblem builds the problem body for err. The second result is false
// when err is not a known *detour.Error: the caller must log it, because
// the body only says that something went wrong.
func newProblem(err error) (Problem, bool) {
	var e *detour.Error
	if !errors.As(err, &e) || !knownCode(e.Code) || e.Code == detour.CodeInternal {
		return problemFor(detour.CodeInternal, genericInternal, ""), false
	}
	return problemFor(e.Code, e.Message, e.Field), true
}

// problemFor builds the problem body for a code.
func problemFor(code detour.Code, detail, field string) Problem {
	t, ok := problemTypes[code]
	if !ok {
		code, t = detour.CodeInternal, problemTypes[detour.CodeInternal]
	}
	return Problem{
		Type:   ProblemTypePrefix + string(code),
		Title:  t.title,
		Status: t.status,
		Detail: detail,
		Code:   string(code),
		Field:  field,
	}
}
