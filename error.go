package detour

import (
	"errors"
	"fmt"
	"time"
)

// Code is a stable, machine-readable error or failure reason. Codes are part
// of the public API: clients branch on them, so they never change meaning.
type Code string

// Request and resource error codes, returned to API callers.
const (
	CodeInvalidRequest      Code = "invalid_request"       // a field has a wrong value
	CodeMalformedJSON       Code = "malformed_json"        // the body is not valid JSON
	CodeInvalidType         Code = "invalid_type"          // a field has the wrong JSON type
	CodeUnknownField        Code = "unknown_field"         // the body has a field the API does not know
	CodeMissingField        Code = "missing_field"         // a required field is absent
	CodeInvalidRecipient    Code = "invalid_recipient"     // `to` is not a valid E.164 number
	CodeEmptyContent        Code = "empty_content"         // content carries nothing to send
	CodeUnknownChannel      Code = "unknown_channel"       // a step names a channel that is not configured
	CodeUnknownRoute        Code = "unknown_route"         // a step names a route its channel does not have
	CodeContentNotSupported Code = "content_not_supported" // a channel cannot carry this kind of content
	CodeBodyTooLarge        Code = "body_too_large"        // the request body exceeds the limit
	CodeUnsupportedMedia    Code = "unsupported_media_type"
	CodeUnauthorized        Code = "unauthorized"         // missing, malformed or unknown API key
	CodeNotFound            Code = "not_found"            // no such resource for this tenant
	CodeIdempotencyConflict Code = "idempotency_conflict" // Idempotency-Key reused with another body
	CodeNotCancelable       Code = "not_cancelable"       // the message already reached a final state
	CodeRateLimited         Code = "rate_limited"         // the API key sent too many requests
	CodeInvalidCursor       Code = "invalid_cursor"       // a pagination cursor is malformed
	CodeURLNotAllowed       Code = "url_not_allowed"      // a webhook URL points into a private network, which is off
	CodeUnavailable         Code = "unavailable"          // the server is shutting down or its store is down
	CodeInternal            Code = "internal"             // a bug or an unexpected failure; details are logged only
)

// Verification error codes. The abuse controls each refuse a start or
// resend with their own code; all but the country allow-list come with
// Error.RetryAfter.
const (
	CodeNotPending              Code = "verification_not_pending"   // the verification already ended (for a check: it was approved)
	CodeVerifyRateLimited       Code = "verify_rate_limited"        // too many verification messages to this number lately
	CodeVerifyTenantRateLimited Code = "verify_tenant_rate_limited" // too many verification messages from this tenant lately
	CodeVerifyPrefixVelocity    Code = "verify_prefix_velocity"     // too many distinct numbers in this number's prefix lately (SMS pumping)
	CodeVerifyCountryBlocked    Code = "verify_country_blocked"     // the number's country is not in the allow-list
	CodeVerifyMaxSends          Code = "verify_max_sends"           // the verification sent all the messages it may
)

// Failure reasons recorded on attempts and messages. Channels classify every
// provider failure into one of these at their boundary.
const (
	ReasonThrottled          Code = "throttled"             // the provider asked us to slow down
	ReasonUnreachable        Code = "unreachable"           // connection refused, DNS, TLS, or no bind
	ReasonTimeout            Code = "timeout"               // no answer in time
	ReasonProviderError      Code = "provider_error"        // a transient provider-side error (5xx, system error)
	ReasonRejected           Code = "rejected"              // the provider refused this message for good
	ReasonInvalidRecipient   Code = "invalid_recipient"     // the number cannot receive on this channel
	ReasonOutsideWindow      Code = "outside_window"        // free-form WhatsApp outside the 24-hour window
	ReasonContentUnsupported Code = "content_not_supported" // the channel cannot carry the content
	ReasonUndeliverable      Code = "undeliverable"         // the receipt said the message was not delivered
	ReasonExpired            Code = "expired"               // the validity ran out before delivery
	ReasonLost               Code = "outcome_unknown"       // the sender died mid-send; the message may have gone out
	ReasonNoSteps            Code = "no_steps_left"         // every step of the policy was tried
	ReasonNoRoute            Code = "no_route"              // no route of the channel covers the destination
	ReasonCanceled           Code = "canceled"              // canceled by the API caller
	ReasonChannelDown        Code = "channel_down"          // the channel or route is down (outage detection or an operator)
)

// Error is a domain error with a stable code. Message is safe to show to the
// API caller; it never carries secrets or internal details.
type Error struct {
	Code    Code
	Message string
	Field   string // the request field at fault, in JSON path form ("content.text"), if any
	// RetryAfter, with a rate limit, is how long until a retry may pass;
	// zero if unknown or pointless.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (%s)", e.Code, e.Message, e.Field)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns an *Error that names the request field at fault.
func FieldErrorf(code Code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err if it is (or wraps) an *Error, else
// CodeInternal. A nil error has no code.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrNotFound is returned by stores when a resource does not exist for the
// tenant asking.
var ErrNotFound = &Error{Code: CodeNotFound, Message: "not found"}
