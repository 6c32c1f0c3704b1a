package api

import (
	"net/http"

	"github.com/detourhq/detour"
)

// Limits of the listing endpoint.
const (
	DefaultListLimit = 50
	MaxListLimit     = 500
)

// operations is the API: every route, with what it does and its
// description. New registers exactly these, and the OpenAPI document is
// built from exactly these.
func operations() []*operation {
	idParam := param{name: "id", in: "path", required: true, description: "The message id.",
		schema: withDesc(idSchema("msg_"), "")}
	messageResponse := func(status int, desc string, headers map[string]string) response {
		return response{status: status, description: desc, contentType: ctJSON, schema: ref("Message"), headers: headers}
	}
	verificationID := param{name: "id", in: "path", required: true, description: "The verification id.",
		schema: withDesc(idSchema("ver_"), "")}
	verificationResponse := func(desc string) response {
		return response{status: http.StatusOK, description: desc, contentType: ctJSON, schema: ref("Verification")}
	}
	return append([]*operation{
		{
			method: http.MethodPost, path: "/v1/messages", id: "sendMessage", tag: "messages", auth: true,
			summary: "Send a message",
			description: "Accepts a message for delivery and answers once it is durably stored, with its first dispatch. " +
				"Checks of meaning (E.164 recipient, content, channels, validity) answer 422 or 400 naming the field. " +
				"With an Idempotency-Key, repeating the same request returns the first message (Idempotent-Replayed: true); " +
				"reusing the key with another body is 409 idempotency_conflict.",
			body: "SendRequest",
			headers: []param{{name: "Idempotency-Key", in: "header", description: "1 to 255 printable ASCII characters " +
				"that make retries of this request safe. Keys are kept for the server's idempotency TTL (24 hours by default).",
				schema: map[string]any{"type": "string", "minLength": 1, "maxLength": 255, "pattern": `^[\x20-\x7E]+$`}}},
			success: messageResponse(http.StatusAccepted, "The message is stored and will be dispatched.", map[string]string{
				"Location":            "The path of the new message.",
				"Idempotent-Replayed": "\"true\" when this answer replays an earlier request with the same Idempotency-Key.",
			}),
			problems: []detour.Code{detour.CodeInvalidRequest, detour.CodeMissingField, detour.CodeInvalidRecipient,
				detour.CodeEmptyContent, detour.CodeUnknownChannel, detour.CodeUnknownRoute,
				detour.CodeContentNotSupported, detour.CodeIdempotencyConflict},
			handle: (*Server).sendMessage,
		},
		{
			method: http.MethodGet, path: "/v1/messages", id: "listMessages", tag: "messages", auth: true,
			summary:     "List messages",
			description: "Lists the caller's messages, newest first, without their attempts. Follow next_cursor for older pages.",
			params: []param{
				{name: "status", in: "query", description: "Only messages in this status.", schema: statusSchema()},
				{name: "to", in: "query", description: "Only messages to this E.164 number.", schema: map[string]any{"type": "string"}},
				{name: "client_ref", in: "query", description: "Only messages with this client_ref.", schema: map[string]any{"type": "string"}},
				{name: "created_after", in: "query", description: "Only messages created at or after this RFC 3339 time.", schema: dateTime("")},
				{name: "created_before", in: "query", description: "Only messages created before this RFC 3339 time.", schema: dateTime("")},
				{name: "limit", in: "query", description: "Messages per page.", schema: map[string]any{
					"type": "integer", "minimum": 1, "maximum": MaxListLimit, "default": DefaultListLimit}},
				{name: "cursor", in: "query", description: "The next_cursor of the previous page (opaque).", schema: map[string]any{"type": "string"}},
			},
			success:  response{status: http.StatusOK, description: "One page of messages.", contentType: ctJSON, schema: ref("MessageList")},
			problems: []detour.Code{detour.CodeInvalidRequest, detour.CodeInvalidCursor},
			handle:   (*Server).listMessages,
		},
		{
			method: http.MethodGet, path: "/v1/events", id: "listEvents", tag: "events", auth: true,
			summary: "List events",
			description: "The caller's events, newest first: every status change of a message (message.status), written in " +
				"the same transaction as the change, every end of a verification (verification.status), every inbound message " +
				"(message.inbound), health changes (channel.health) and endpoints disabled (webhook_endpoint.disabled). An inbound " +
				"message belongs to the tenant that last wrote to its sender; health changes, and inbound messages from numbers no " +
				"tenant wrote to, belong to the node and every tenant sees them. Each is delivered to the webhook " +
				"endpoints that want it. Follow next_cursor for older pages.",
			params: []param{
				{name: "type", in: "query", description: "Only events of this type.", schema: strEnum("", detour.EventTypes...)},
				{name: "message_id", in: "query", description: "Only events about this message.", schema: idSchema("msg_")},
				{name: "limit", in: "query", description: "Events per page.", schema: map[string]any{
					"type": "integer", "minimum": 1, "maximum": MaxListLimit, "default": DefaultListLimit}},
				{name: "cursor", in: "query", description: "The next_cursor of the previous page (opaque).", schema: map[string]any{"type": "string"}},
			},
			success:  response{status: http.StatusOK, description: "One page of events.", contentType: ctJSON, schema: ref("EventList")},
			problems: []detour.Code{detour.CodeInvalidRequest, detour.CodeInvalidCursor},
			handle:   (*Server).listEvents,
		},
		{
			method: http.MethodGet, path: "/v1/routes", id: "listRoutes", tag: "routes", auth: true,
			summary: "List routes",
			description: "Every route of every configured channel with its state and, for SMS routes, each SMPP bind: " +
				"window use, submits, answers by command_status, timeouts, lost submits, receipts, reconnects and the last error.",
			success: response{status: http.StatusOK, description: "The routes.", contentType: ctJSON, schema: ref("RouteList")},
			handle:  (*Server).listRoutes,
		},
		{
			method: http.MethodGet, path: "/v1/messages/{id}", id: "getMessage", tag: "messages", auth: true,
			summary:     "Get a message",
			description: "Returns one of the caller's messages with its attempt trail. Messages of other tenants are not found.",
			params:      []param{idParam},
			success:     messageResponse(http.StatusOK, "The message with its attempts.", nil),
			problems:    []detour.Code{detour.CodeNotFound},
			handle:      (*Server).getMessage,
		},
		{
			method: http.MethodPost, path: "/v1/messages/{id}/cancel", id: "cancelMessage", tag: "messages", auth: true,
			summary: "Cancel a message",
			description: "Stops a message that has not reached a final status: pending retries and fallbacks are dropped and " +
				"the message becomes canceled. A message already final is 409 not_cancelable. Takes no body.",
			params:   []param{idParam},
			success:  messageResponse(http.StatusOK, "The canceled message with its attempts.", nil),
			problems: []detour.Code{detour.CodeNotFound, detour.CodeNotCancelable},
			handle:   (*Server).cancelMessage,
		},
		{
			method: http.MethodPost, path: "/v1/verifications", id: "startVerification", tag: "verifications", auth: true,
			summary: "Start a verification",
			description: "Sends a new one-time code to `to` and answers 201 once the verification and its first message are durably stored. " +
				"The same code goes out on every channel of the verification: on WhatsApp as the authentication template with the code " +
				"in its body and copy-code button, by SMS as a short localized text (en, es, fr, de, pt; others get en). The code is " +
				"never stored, logged or returned. " +
				"One verification per number is pending at a time: while one is, starting again answers **200** with that verification " +
				"and sends nothing (`\"new\": true` cancels it and starts anew). " +
				"Abuse controls answer 429 with Retry-After: `verify_rate_limited` (messages to this number), `verify_tenant_rate_limited` " +
				"(all of your verification messages), `verify_prefix_velocity` (too many distinct numbers sharing this number's first digits: " +
				"the SMS-pumping pattern), `verify_country_blocked` (a country outside the allow-list; Retry-After is a day).",
			body: "VerificationRequest",
			success: response{status: http.StatusCreated, description: "A new verification: its code is on its way.", contentType: ctJSON,
				schema: ref("Verification"), headers: map[string]string{"Location": "The path of the verification."}},
			also: []response{{status: http.StatusOK, description: "The verification already pending for this number; nothing was sent.",
				contentType: ctJSON, schema: ref("Verification"), headers: map[string]string{"Location": "The path of the verification."}}},
			problems: []detour.Code{detour.CodeInvalidRequest, detour.CodeMissingField, detour.CodeInvalidRecipient,
				detour.CodeUnknownChannel, detour.CodeVerifyCountryBlocked, detour.CodeVerifyRateLimited,
				detour.CodeVerifyTenantRateLimited, detour.CodeVerifyPrefixVelocity},
			handle: (*Server).startVerification,
		},
		{
			method: http.MethodGet, path: "/v1/verifications/{id}", id: "getVerification", tag: "verifications", auth: true,
			summary:     "Get a verification",
			description: "Returns one of the caller's verifications with its messages. A pending one whose expiry passed is expired now.",
			params:      []param{verificationID},
			success:     verificationResponse("The verification."),
			problems:    []detour.Code{detour.CodeNotFound},
			handle:      (*Server).getVerification,
		},
		{
			method: http.MethodPost, path: "/v1/verifications/{id}/check", id: "checkVerification", tag: "verifications", auth: true,
			summary: "Check a code",
			description: "Checks a code, in constant time, and answers with the verification as the check left it: `approved`; " +
				"`pending` with one check fewer (`checks_left`); with the fifth wrong code `max_attempts_reached`. Each check of a pending " +
				"verification takes one of its five attempts atomically: concurrent checks never share one. Approval cancels the " +
				"messages still pending (no fallback follows). A verification that expired, ran out of checks or was canceled is answered " +
				"as it is; an approved one is 409 `verification_not_pending`, so a code is approved once.",
			params:   []param{verificationID},
			body:     "CheckRequest",
			success:  verificationResponse("The verification after the check."),
			problems: []detour.Code{detour.CodeNotFound, detour.CodeMissingField, detour.CodeInvalidRequest, detour.CodeNotPending},
			handle:   (*Server).checkVerification,
		},
		{
			method: http.MethodPost, path: "/v1/verifications/{id}/resend", id: "resendVerification", tag: "verifications", auth: true,
			summary: "Send the code again",
			description: "Sends the same code again, on `channel` or, without one, on the channel after the one the last message went " +
				"out on (the same one if it was the last). The messages still pending are canceled first. A verification sends at " +
				"most five messages (429 `verify_max_sends`, Retry-After until it expires); resends count against the abuse controls. " +
				"The body may be left out.",
			params:   []param{verificationID},
			body:     "ResendRequest",
			optional: true,
			success:  verificationResponse("The verification with its new message."),
			problems: []detour.Code{detour.CodeNotFound, detour.CodeUnknownChannel, detour.CodeNotPending, detour.CodeVerifyMaxSends, detour.CodeVerifyRateLimited, detour.CodeVerifyTenantRateLimited,
				detour.CodeVerifyPrefixVelocity},
			handle: (*Server).resendVerification,
		},
		{
			method: http.MethodPost, path: "/v1/verifications/{id}/cancel", id: "cancelVerification", tag: "verifications", auth: true,
			summary: "Cancel a verification",
			description: "Ends a pending verification and cancels its messages still pending. One that already ended is 409 " +
				"`verification_not_pending`. Takes no body.",
			params:   []param{verificationID},
			success:  verificationResponse("The canceled verification."),
			problems: []detour.Code{detour.CodeNotFound, detour.CodeNotPending},
			handle:   (*Server).cancelVerification,
		},
		{
			method: http.MethodGet, path: "/v1/openapi.json", id: "getOpenAPI", tag: "meta",
			summary:     "This OpenAPI document",
			description: "The OpenAPI 3.1 description of the API. Needs no API key.",
			success: response{status: http.StatusOK, description: "The document.", contentType: ctJSON,
				schema: map[string]any{"type": "object"}},
			handle: (*Server).serveOpenAPI,
		},
		{
			method: http.MethodGet, path: "/healthz", id: "getHealth", tag: "meta",
			summary:     "Liveness",
			description: "Answers 200 while the process serves HTTP.",
			success:     response{status: http.StatusOK, description: "The process is alive.", contentType: ctJSON, schema: ref("Health")},
			handle:      (*Server).healthz,
		},
		{
			method: http.MethodGet, path: "/readyz", id: "getReadiness", tag: "meta",
			summary:     "Readiness",
			description: "Answers 200 when the node can take traffic (its store is reachable with its schema applied), else 503 unavailable.",
			success:     response{status: http.StatusOK, description: "The node is ready.", contentType: ctJSON, schema: ref("Health")},
			problems:    []detour.Code{detour.CodeUnavailable},
			handle:      (*Server).readyz,
		},
		{
			method: http.MethodGet, path: "/metrics", id: "getMetrics", tag: "meta",
			summary:     "Prometheus metrics",
			description: "Metrics in the Prometheus text exposition format.",
			success: response{status: http.StatusOK, description: "The metrics.", contentType: "text/plain",
				schema: map[string]any{"type": "string"}},
			handle: (*Server).serveMetrics,
		},
	}, webhookOperations()...)
}
