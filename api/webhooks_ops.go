package api

import (
	"net/http"

	"github.com/detourhq/detour"
)

// webhookOperations are the endpoints of webhook endpoints, their delivery
// logs and event replays.
func webhookOperations() []*operation {
	idParam := param{name: "id", in: "path", required: true, description: "The endpoint id.", schema: idSchema("whe_")}
	eventParam := param{name: "id", in: "path", required: true, description: "The event id.", schema: idSchema("evt_")}
	endpoint := func(status int, desc string) response {
		return response{status: status, description: desc, contentType: ctJSON, schema: ref("WebhookEndpoint")}
	}
	checks := []detour.Code{detour.CodeInvalidRequest, detour.CodeURLNotAllowed}
	return []*operation{
		{
			method: http.MethodPost, path: "/v1/webhook-endpoints", id: "createWebhookEndpoint", tag: "webhooks", auth: true,
			summary: "Register a webhook endpoint",
			description: "Registers a URL that receives the caller's events, signed the Standard Webhooks way " +
				"(webhook-id, webhook-timestamp, webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>). " +
				"The answer shows the signing secret (as does GET .../secret later). URLs on loopback, private, link-local and other special " +
				"networks are refused (url_not_allowed) unless the server allows them (webhooks.allow_private_networks).",
			body:     "WebhookEndpointRequest",
			success:  endpoint(http.StatusCreated, "The endpoint, with its secret."),
			problems: append([]detour.Code{detour.CodeMissingField}, checks...),
			handle:   (*Server).createEndpoint,
		},
		{
			method: http.MethodGet, path: "/v1/webhook-endpoints", id: "listWebhookEndpoints", tag: "webhooks", auth: true,
			summary: "List webhook endpoints",
			description: "Every endpoint of the caller, oldest first, with its state. The callback_url endpoint, made with the " +
				"first message that has a callback_url, holds the secrets that sign those deliveries.",
			success: response{status: http.StatusOK, description: "The endpoints.", contentType: ctJSON, schema: ref("WebhookEndpointList")},
			handle:  (*Server).listEndpoints,
		},
		{
			method: http.MethodGet, path: "/v1/webhook-endpoints/{id}", id: "getWebhookEndpoint", tag: "webhooks", auth: true,
			summary: "Get a webhook endpoint", params: []param{idParam},
			success:  endpoint(http.StatusOK, "The endpoint."),
			problems: []detour.Code{detour.CodeNotFound},
			handle:   (*Server).getEndpoint,
		},
		{
			method: http.MethodPatch, path: "/v1/webhook-endpoints/{id}", id: "updateWebhookEndpoint", tag: "webhooks", auth: true,
			summary: "Change a webhook endpoint",
			description: "Changes the fields given. enabled: true re-enables an endpoint that was disabled (by a 410, by failing " +
				"for long, or by hand) and resumes its pending deliveries; enabled: false disables it.",
			params: []param{idParam}, body: "WebhookEndpointRequest",
			success:  endpoint(http.StatusOK, "The endpoint as changed."),
			problems: append([]detour.Code{detour.CodeNotFound}, checks...),
			handle:   (*Server).updateEndpoint,
		},
		{
			method: http.MethodDelete, path: "/v1/webhook-endpoints/{id}", id: "deleteWebhookEndpoint", tag: "webhooks", auth: true,
			summary: "Delete a webhook endpoint", description: "Deletes the endpoint with its pending deliveries and its log.",
			params:   []param{idParam},
			success:  response{status: http.StatusNoContent, description: "Deleted."},
			problems: []detour.Code{detour.CodeNotFound},
			handle:   (*Server).deleteEndpoint,
		},
		{
			method: http.MethodPost, path: "/v1/webhook-endpoints/{id}/rotate-secret", id: "rotateWebhookSecret", tag: "webhooks", auth: true,
			summary: "Rotate an endpoint's signing secret",
			description: "Makes a new secret and shows it. The previous one keeps signing too (two signatures per delivery) " +
				"until expire_previous_in has passed (default 24h), so receivers can switch without losing a delivery.",
			params: []param{idParam}, body: "RotateSecretRequest",
			success:  endpoint(http.StatusOK, "The endpoint, with its new secret."),
			problems: []detour.Code{detour.CodeNotFound, detour.CodeInvalidRequest},
			handle:   (*Server).rotateSecret,
		},
		{
			method: http.MethodGet, path: "/v1/webhook-endpoints/{id}/secret", id: "getWebhookSecret", tag: "webhooks", auth: true,
			summary:     "Show an endpoint's signing secret",
			description: "The current signing secret, for receivers to verify deliveries; for the callback_url endpoint, the one way to learn it.",
			params:      []param{idParam},
			success: response{status: http.StatusOK, description: "The secret.", contentType: ctJSON,
				schema: object("A signing secret.", []string{"secret"}, map[string]any{"secret": withDesc(str(""), "\"whsec_\" and base64.")})},
			problems: []detour.Code{detour.CodeNotFound},
			handle:   (*Server).getSecret,
		},
		{
			method: http.MethodGet, path: "/v1/webhook-endpoints/{id}/deliveries", id: "listWebhookDeliveries", tag: "webhooks", auth: true,
			summary:     "An endpoint's delivery log",
			description: "The endpoint's deliveries, newest first, each with every try: when, the HTTP status, the latency and the outcome.",
			params: []param{idParam,
				{name: "status", in: "query", description: "Only deliveries in this status.",
					schema: strEnum("", detour.DeliveryPending, detour.DeliveryDelivered, detour.DeliveryFailed)},
				{name: "event_id", in: "query", description: "Only deliveries of this event.", schema: idSchema("evt_")},
				{name: "limit", in: "query", description: "Deliveries per page.", schema: map[string]any{
					"type": "integer", "minimum": 1, "maximum": MaxListLimit, "default": DefaultListLimit}},
				{name: "cursor", in: "query", description: "The next_cursor of the previous page (opaque).", schema: map[string]any{"type": "string"}},
			},
			success:  response{status: http.StatusOK, description: "One page of deliveries.", contentType: ctJSON, schema: ref("WebhookDeliveryList")},
			problems: []detour.Code{detour.CodeNotFound, detour.CodeInvalidRequest, detour.CodeInvalidCursor},
			handle:   (*Server).listDeliveries,
		},
		{
			method: http.MethodGet, path: "/v1/channels", id: "listChannels", tag: "channels", auth: true,
			summary: "Channels and routes with their health",
			description: "Each channel with its state (down once every route is) and each route with its state (healthy, " +
				"degraded, down), whether an operator forced it, the figures the detector judges on (submits by class, " +
				"submit latency, the share delivered within the expected receipt time) and its recent transitions.",
			success: response{status: http.StatusOK, description: "The channels.", contentType: ctJSON, schema: ref("ChannelList")},
			handle:  (*Server).listChannels,
		},
		{
			method: http.MethodPost, path: "/v1/channels/{channel}/routes/{route}/force", id: "forceRoute", tag: "channels", auth: true,
			summary: "Force a route down or up",
			description: "down: nothing is sent on the route (no probes) and messages waiting on it fall back now; healthy: " +
				"every send is allowed whatever the detector sees; auto: back to the detector (a route forced down stays " +
				"down until its probes are good). Each change is a channel.health event.",
			params: []param{
				{name: "channel", in: "path", required: true, description: "The channel.", schema: str("")},
				{name: "route", in: "path", required: true, description: "The route.", schema: str("")},
			},
			body:     "ForceRequest",
			success:  response{status: http.StatusOK, description: "The route's health now.", contentType: ctJSON, schema: ref("RouteHealth")},
			problems: []detour.Code{detour.CodeNotFound, detour.CodeInvalidRequest, detour.CodeMissingField},
			handle:   (*Server).forceRoute,
		},
		{
			method: http.MethodGet, path: "/v1/events/{id}", id: "getEvent", tag: "events", auth: true,
			summary: "Get an event", params: []param{eventParam},
			success:  response{status: http.StatusOK, description: "The event.", contentType: ctJSON, schema: ref("Event")},
			problems: []detour.Code{detour.CodeNotFound},
			handle:   (*Server).getEvent,
		},
		{
			method: http.MethodPost, path: "/v1/events/{id}/replay", id: "replayEvent", tag: "events", auth: true,
			summary: "Send an event again",
			description: "Queues new deliveries of the event: to endpoint_id, or to every enabled endpoint that wants it (and " +
				"to its message's callback_url). They carry the event's id as webhook-id, so receivers can tell a replay.",
			params: []param{eventParam}, body: "ReplayRequest",
			success: response{status: http.StatusAccepted, description: "The deliveries queued.", contentType: ctJSON,
				schema: ref("WebhookDeliveryList")},
			problems: []detour.Code{detour.CodeNotFound, detour.CodeInvalidRequest},
			handle:   (*Server).replayEvent,
		},
	}
}

// webhookSchemas are the components of the webhook operations.
func webhookSchemas() map[string]any {
	nullableCursor := map[string]any{"type": []string{"string", "null"},
		"description": "Pass as cursor to get the next page; null on the last page."}
	count := func(desc string) map[string]any {
		return map[string]any{"type": "integer", "minimum": 0, "description": desc}
	}
	return map[string]any{
		"WebhookEndpointRequest": object("A webhook endpoint's fields; on PATCH only those given change.", nil, map[string]any{
			"url":         withDesc(str(""), "An absolute http(s) URL, at most 2048 bytes."),
			"event_types": withDesc(array(strEnum("", detour.EventTypes...)), "The event types it receives; empty or absent: every type."),
			"description": withDesc(str(""), "For people, at most 500 bytes."),
			"enabled":     map[string]any{"type": "boolean", "description": "PATCH only: re-enable (true) or disable (false)."},
			"secret":      withDesc(str(""), "POST only: one's own signing secret, \"whsec_\" and the base64 of 24 to 64 bytes."),
		}),
		"RotateSecretRequest": object("How to rotate.", nil, map[string]any{
			"expire_previous_in": withDesc(str(""), "How long the previous secret keeps signing: a duration up to 168h (default 24h)."),
		}),
		"ReplayRequest": object("Where to send an event again.", nil, map[string]any{
			"endpoint_id": idSchema("whe_"),
		}),
		"WebhookEndpoint": object("Where events are delivered.",
			[]string{"id", "kind", "event_types", "enabled", "failures", "secrets", "created_at", "updated_at"}, map[string]any{
				"id":              idSchema("whe_"),
				"kind":            strEnum("url: registered with its URL; callback_url: signs deliveries to messages' own callback_url.", detour.EndpointURL, detour.EndpointCallback),
				"url":             withDesc(str(""), "Where deliveries go (absent for the callback_url endpoint)."),
				"description":     str(""),
				"event_types":     withDesc(array(strEnum("", detour.EventTypes...)), "The types it receives; empty: every type."),
				"enabled":         map[string]any{"type": "boolean", "description": "Whether deliveries go out."},
				"disabled_at":     dateTime("When it was disabled."),
				"disabled_reason": strEnum("Why: gone (it answered 410), failing (it failed every try for days), manual.", "gone", "failing", "manual"),
				"failures":        count("Tries failed in a row."),
				"failing_since":   dateTime("The first of those failures."),
				"secret":          withDesc(str(""), "The signing secret: shown when created or rotated, else by GET .../secret."),
				"secrets": withDesc(array(object("A valid signing secret (not shown).", []string{"created_at"}, map[string]any{
					"created_at": dateTime(""),
					"expires_at": dateTime("When it stops signing; absent for the current one."),
				})), "The secrets that sign deliveries now, newest first."),
				"created_at": dateTime(""),
				"updated_at": dateTime(""),
			}),
		"WebhookEndpointList": object("The caller's endpoints.", []string{"data"}, map[string]any{
			"data": array(ref("WebhookEndpoint")),
		}),
		"WebhookDeliveryList": object("Deliveries, newest first.", []string{"data", "next_cursor"}, map[string]any{
			"data":        array(ref("WebhookDelivery")),
			"next_cursor": nullableCursor,
		}),
		"WebhookDelivery": object("One event on its way to one endpoint.",
			[]string{"id", "endpoint_id", "event_id", "status", "tries", "created_at", "attempts"}, map[string]any{
				"id":          idSchema("whd_"),
				"endpoint_id": idSchema("whe_"),
				"event_id":    idSchema("evt_"),
				"status":      strEnum("pending: waiting for its turn or its next try; delivered: 2xx; failed: 410, or retries ran out.", detour.DeliveryPending, detour.DeliveryDelivered, detour.DeliveryFailed),
				"tries":       count("Tries made."),
				"next_at":     dateTime("When it will be tried next (pending only)."),
				"last_status": count("The last HTTP status."),
				"last_error":  withDesc(str(""), "What went wrong last time."),
				"created_at":  dateTime("When it was queued (with its event)."),
				"ended_at":    dateTime("When it was delivered or failed."),
				"attempts": withDesc(array(object("One try.", []string{"n", "at", "status", "latency_ms", "outcome"}, map[string]any{
					"n":          map[string]any{"type": "integer", "minimum": 1},
					"at":         dateTime(""),
					"status":     count("The HTTP status; 0 when no answer came."),
					"latency_ms": map[string]any{"type": "number", "minimum": 0},
					"outcome":    strEnum("", "delivered", "retry", "gone", "failed"),
					"error":      str(""),
				})), "Every try, oldest first."),
			}),
		"ForceRequest": object("A route's forced state.", []string{"state"}, map[string]any{
			"state": strEnum("down, healthy, or auto to return to the detector.", "down", "healthy", "auto"),
			"note":  withDesc(str(""), "Why, at most 500 bytes."),
		}),
		"ChannelList": object("Every channel.", []string{"data"}, map[string]any{"data": array(ref("ChannelHealth"))}),
		"ChannelHealth": object("A channel and its routes.", []string{"channel", "state", "routes"}, map[string]any{
			"channel": str(""), "state": healthState(), "routes": array(ref("RouteHealth")),
		}),
		"RouteHealth": object("A route's health and the figures behind it.",
			[]string{"route", "state", "forced", "since", "probing", "figures", "transitions"}, map[string]any{
				"route": str(""), "state": healthState(), "forced": map[string]any{"type": "boolean"},
				"since": dateTime("When it entered its state."), "reason": str("Why."), "note": str("The operator's note."),
				"probing":        map[string]any{"type": "boolean", "description": "Down and letting a few real messages through as probes."},
				"next_probe_at":  dateTime(""),
				"cooloff_s":      map[string]any{"type": "number"},
				"probe_failures": count(""),
				"figures": map[string]any{"type": "object", "description": "Over the sliding window: submits by class (ok, " +
					"throttled, hard, rejected) and their shares, submit latency p50/p99 (submit_p50_s, submit_p99_s), sent, " +
					"delivered, undelivered, matured, delivered_share, expected_receipt_s, consecutive_hard."},
				"transitions": array(object("A change of state.", nil, map[string]any{
					"channel": str(""), "route": str(""), "from": healthState(), "to": healthState(), "at": dateTime(""),
					"reason": str(""), "note": str(""),
				})),
			}),
		"HealthData": object("The body of a channel.health event.", []string{"channel", "state", "previous_state", "reason", "at", "channel_state"}, map[string]any{
			"channel": str(""), "route": str(""), "state": healthState(), "previous_state": healthState(),
			"reason": str(""), "note": str(""), "at": dateTime(""), "channel_state": healthState(),
		}),
		"InboundData": object("The body of a message.inbound event: a user wrote to one of our numbers.",
			[]string{"id", "channel", "route", "from", "to", "text", "received_at"}, map[string]any{
				"id": idSchema("in_"), "channel": str(""), "route": str(""),
				"from": withDesc(str(""), "The sender, E.164 where the channel gives a number."),
				"to":   withDesc(str(""), "Our number or short code."), "text": str(""), "received_at": dateTime(""),
			}),
		"EndpointDisabledData": object("The body of a webhook_endpoint.disabled event.", []string{"endpoint_id", "reason", "failures"}, map[string]any{
			"endpoint_id": idSchema("whe_"), "reason": strEnum("", "gone", "failing"),
			"failures": count(""), "failing_since": dateTime(""),
		}),
	}
}

func healthState() map[string]any {
	return strEnum("healthy, degraded or down.", "healthy", "degraded", "down")
}
