package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/detourhq/detour"
)

// Outcome is what one delivery means for the event and its endpoint.
type Outcome string

// Outcomes.
const (
	Delivered Outcome = "delivered" // the receiver answered 2xx: done
	Retry     Outcome = "retry"     // try again later (see Backoff and RetryWindow)
	Gone      Outcome = "gone"      // the receiver answered 410: disable the endpoint
)

// Result is what came of one delivery, for the scheduler and the delivery
// log.
type Result struct {
	Outcome    Outcome
	Reason     detour.Code // why it was not delivered: timeout, unreachable, throttled, provider_error, rejected (410)
	StatusCode int         // the receiver's HTTP status; 0 when there was no answer
	Latency    time.Duration
	// Blocked says the endpoint's address is refused by the SSRF rules:
	// retrying will not help unless webhooks.allow_private_networks is
	// turned on or the endpoint's DNS changes.
	Blocked bool
	// Error says what went wrong, for the delivery log. It never carries a
	// secret, a signature or the endpoint URL (which may hold a token).
	Error string
	// ResponseSnippet is the start of the receiver's answer, at most
	// SnippetBytes of valid UTF-8.
	ResponseSnippet string
}

// classify turns the answer to one delivery (an HTTP status, or the error
// that prevented one) into a Result. Every outcome is decided here and only
// here:
//
//	answer                               outcome    reason          blocked
//	2xx                                  delivered  -               -
//	410 Gone                             gone       rejected        -
//	429 Too Many Requests                retry      throttled       -
//	408 Request Timeout, 504             retry      timeout         -
//	any other status (3xx not followed)  retry      provider_error  -
//	refused address (SSRF rules)         retry      unreachable     yes
//	deadline or timeout                  retry      timeout         -
//	canceled by the caller (shutdown)    retry      unreachable     -
//	refused, reset, DNS, TLS             retry      unreachable     -
func classify(ctx context.Context, status int, err error) Result {
	if err != nil {
		return classifyError(ctx, err)
	}
	r := Result{StatusCode: status, Outcome: Retry}
	switch {
	case status >= 200 && status <= 299:
		r.Outcome = Delivered
	case status == http.StatusGone:
		r.Outcome, r.Reason, r.Error = Gone, detour.ReasonRejected, "the receiver answered 410 Gone"
	case status == http.StatusTooManyRequests:
		r.Reason, r.Error = detour.ReasonThrottled, "the receiver answered 429 Too Many Requests"
	case status == http.StatusRequestTimeout || status == http.StatusGatewayTimeout:
		r.Reason, r.Error = detour.ReasonTimeout, fmt.Sprintf("the receiver answered %d %s", status, http.StatusText(status))
	case status >= 300 && status <= 399:
		r.Reason, r.Error = detour.ReasonProviderError, fmt.Sprintf("the receiver answered %d %s; redirects are not followed", status, http.StatusText(status))
	default:
		r.Reason, r.Error = detour.ReasonProviderError, fmt.Sprintf("the receiver answered %d %s", status, http.StatusText(status))
	}
	return r
}

func classifyError(ctx context.Context, err error) Result {
	r := Result{Outcome: Retry, Reason: detour.ReasonUnreachable}
	var blocked *BlockedError
	var ne net.Error
	switch {
	case errors.As(err, &blocked):
		r.Blocked, r.Error = true, blocked.Error()
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		r.Reason, r.Error = detour.ReasonTimeout, "no answer in time"
	case ctx.Err() != nil:
		r.Error = "canceled before an answer came"
	default:
		// url.Error quotes the URL, which may hold a token: keep only the
		// cause (dial tcp 203.0.113.9:443: connect: connection refused).
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		r.Error = err.Error()
	}
	return r
}
