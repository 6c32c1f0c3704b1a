package api

import (
	"sort"
	"strings"

	"github.com/detourhq/detour"
)

// The JSON Schemas (2020-12) of the API's bodies, by component name. They
// describe the wire types of types.go and detour.SendRequest field by
// field; objects forbid other properties, so a field added to a wire type
// without its schema fails the schema tests.
func componentSchemas() map[string]any {
	durationPattern := `^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	duration := func(desc string) map[string]any {
		return map[string]any{"type": "string", "pattern": durationPattern, "description": desc, "examples": []string{"10s", "1m30s"}}
	}
	schemas := map[string]any{
		"SendRequest": object("A message to send.", []string{"to", "content"}, map[string]any{
			"to":      withDesc(str(""), "The recipient in E.164 form: \"+\", the country code and the number, e.g. +447400123456."),
			"content": ref("Content"),
			"channels": withDesc(array(ref("Step")), "The channel policy: steps tried in order. "+
				"Without it the server's default policy applies."),
			"validity":     duration("How long the message may still be delivered (default 24h). After it the message expires unless delivered."),
			"priority":     priorityEnum(),
			"client_ref":   withDesc(str(""), "The caller's reference, returned with the message and usable as a filter."),
			"callback_url": withDesc(str(""), "An absolute http(s) URL that receives status events."),
			"metadata":     metadataSchema(),
		}),
		"Content": withDesc(map[string]any{
			"type":                 "object",
			"additionalProperties": false,
			"minProperties":        1,
			"maxProperties":        2,
			"properties": map[string]any{
				"text":        withDesc(str(""), "Plain text, at most 4096 characters."),
				"template":    ref("Template"),
				"media":       ref("Media"),
				"interactive": ref("Interactive"),
			},
			"oneOf": []any{
				map[string]any{"required": []string{"text"}, "maxProperties": 1},
				map[string]any{"required": []string{"template"}, "maxProperties": 1},
				map[string]any{"required": []string{"media"}, "maxProperties": 1},
				map[string]any{"required": []string{"interactive"}, "maxProperties": 1},
				map[string]any{"required": []string{"text", "template"}, "maxProperties": 2},
			},
		}, "What a message carries: exactly one of text, template, media or interactive — or text together with "+
			"template: the same message as free-form text and as a template, for WhatsApp outside the 24-hour window "+
			"(SMS sends the text)."),
		"Template": object("A pre-approved template with its parameters.", []string{"name", "language"}, map[string]any{
			"name":     withDesc(str(""), "The template name: lowercase letters, digits and underscores."),
			"language": withDesc(str(""), "The template language, such as en or en_US."),
			"params":   withDesc(array(str("")), "Body parameters, in order."),
			"header":   withDesc(array(str("")), "The header's text parameter (at most one)."),
			"buttons":  withDesc(array(ref("TemplateButton")), "Parameters of the template's buttons."),
		}),
		"TemplateButton": object("The parameter of one button of a template.", []string{"type", "index", "value"}, map[string]any{
			"type": strEnum("quick_reply: value is the payload sent back when tapped; url: value completes the button's URL; "+
				"copy_code: value is the code an authentication template's copy-code button copies.", detour.TemplateButtonTypes...),
			"index": map[string]any{"type": "integer", "minimum": 0, "maximum": 9, "description": "The button's position in the template."},
			"value": withDesc(str(""), "The parameter."),
		}),
		"Media": object("An image, video, audio clip or document, by URL or by a channel's media id.", []string{"type"}, map[string]any{
			"type":     strEnum("The kind of media.", detour.MediaTypes...),
			"url":      withDesc(str(""), "An absolute http(s) URL of the media (or give id)."),
			"id":       withDesc(str(""), "A channel's media id (or give url)."),
			"caption":  withDesc(str(""), "A caption; not for audio."),
			"filename": withDesc(str(""), "The file name shown for a document."),
		}),
		"Interactive": object("A message with reply buttons or a list.", []string{"type", "body"}, map[string]any{
			"type":    strEnum("button or list.", "button", "list"),
			"header":  withDesc(str(""), "Header text."),
			"body":    withDesc(str(""), "Body text."),
			"footer":  withDesc(str(""), "Footer text."),
			"buttons": withDesc(array(ref("Button")), "1 to 3 reply buttons, for type button."),
			"list":    ref("List"),
		}),
		"Button": object("A reply button.", []string{"id", "title"}, map[string]any{
			"id":    withDesc(str(""), "The id reported when the button is pressed."),
			"title": withDesc(str(""), "The button's label."),
		}),
		"List": object("The menu of a list message.", []string{"button", "sections"}, map[string]any{
			"button":   withDesc(str(""), "The label of the button that opens the list."),
			"sections": withDesc(array(ref("ListSection")), "Titled groups of rows."),
		}),
		"ListSection": object("A titled group of rows.", []string{"rows"}, map[string]any{
			"title": withDesc(str(""), "The section title (required when there are several)."),
			"rows":  withDesc(array(ref("ListRow")), "The choices."),
		}),
		"ListRow": object("One choice of a list.", []string{"id", "title"}, map[string]any{
			"id":          withDesc(str(""), "The id reported when the row is chosen."),
			"title":       withDesc(str(""), "The row's title."),
			"description": withDesc(str(""), "A line under the title."),
		}),
		"Step": object("One step of a channel policy.", []string{"channel"}, map[string]any{
			"channel":        withDesc(str(""), "The channel to try, such as sms, whatsapp or sandbox."),
			"route":          withDesc(str(""), "A route of the channel; the channel chooses when absent."),
			"fallback_after": duration("Move to the next step when no delivery receipt came this long after the step began."),
		}),
		"Message": object("A message and what happened to it.",
			[]string{"id", "status", "to", "content", "channels", "priority", "step", "created_at", "updated_at", "expires_at"},
			map[string]any{
				"id":           idSchema("msg_"),
				"status":       statusSchema(),
				"to":           withDesc(str(""), "The recipient in E.164 form."),
				"content":      ref("Content"),
				"channels":     withDesc(array(ref("Step")), "The channel policy the message follows."),
				"priority":     priorityEnum(),
				"client_ref":   withDesc(str(""), "The caller's reference; absent when none was given."),
				"callback_url": withDesc(str(""), "The URL receiving status events; absent when none was given."),
				"metadata":     metadataSchema(),
				"step":         map[string]any{"type": "integer", "minimum": 0, "description": "The index in channels of the step being tried, or of the last one tried."},
				"channel": withDesc(str(""), "The channel that delivered the message or, before delivery, the channel of its latest attempt. "+
					"Absent before the first attempt, and in listings when attempts are not loaded."),
				"error": withDesc(ref("ErrorInfo"), "Why the message failed, expired or was canceled; only with those statuses. "+
					"Codes: "+reasonList()+"."),
				"created_at": dateTime("When the message was accepted (UTC, RFC 3339 with fractional seconds)."),
				"updated_at": dateTime("When the message last changed."),
				"expires_at": dateTime("The end of the message's validity."),
				"attempts":   withDesc(array(ref("Attempt")), "The attempt trail, oldest first. Present on single-message responses, absent in listings."),
			}),
		"Attempt": object("One hand-over of a message to one channel and route.",
			[]string{"id", "step", "channel", "status", "created_at", "updated_at", "history"},
			map[string]any{
				"id":                  idSchema("att_"),
				"step":                map[string]any{"type": "integer", "minimum": 0, "description": "The index of the policy step the attempt belongs to."},
				"channel":             withDesc(str(""), "The channel used."),
				"route":               withDesc(str(""), "The route used, when the channel has routes."),
				"provider_message_id": withDesc(str(""), "The provider's id for the message, once it accepted it."),
				"status":              attemptStatusSchema(),
				"segments":            map[string]any{"type": "integer", "minimum": 1, "description": "Parts the channel split the message into, when it reports it."},
				"parts":               withDesc(array(ref("Part")), "With a message sent in several parts (a long SMS): each part's provider id and status. The attempt is delivered when every part is, failed when one part is."),
				"error":               withDesc(ref("ErrorInfo"), "Why the attempt failed, if it did. Codes: "+reasonList()+"."),
				"created_at":          dateTime("When the attempt was handed to the channel."),
				"updated_at":          dateTime("When the attempt last changed."),
				"history":             withDesc(array(ref("StatusChange")), "The statuses the attempt went through, oldest first."),
			}),
		"Part": object("One part of a message sent in several parts.", []string{"provider_message_id", "status"}, map[string]any{
			"provider_message_id": withDesc(str(""), "The provider's id for this part."),
			"status":              attemptStatusSchema(),
		}),
		"StatusChange": object("One entry of an attempt's history.", []string{"status", "at"}, map[string]any{
			"status": attemptStatusSchema(),
			"at":     dateTime("When the status was entered."),
		}),
		"ErrorInfo": object("A failure reason.", []string{"code"}, map[string]any{
			"code":   withDesc(str(""), "A stable reason code."),
			"detail": withDesc(str(""), "A human-readable explanation."),
		}),
		"MessageList": object("One page of messages, newest first.", []string{"data", "next_cursor"}, map[string]any{
			"data": withDesc(array(ref("Message")), "The messages of the page, without attempts."),
			"next_cursor": map[string]any{"type": []string{"string", "null"},
				"description": "Pass as cursor to get the next page; null on the last page."},
		}),
		"EventList": object("One page of events, newest first.", []string{"data", "next_cursor"}, map[string]any{
			"data": withDesc(array(ref("Event")), "The events of the page."),
			"next_cursor": map[string]any{"type": []string{"string", "null"},
				"description": "Pass as cursor to get the next page; null on the last page."},
		}),
		"Event": object("Something that happened: an entry of GET /v1/events and the body of every webhook delivery.", []string{"id", "type", "data", "created_at"}, map[string]any{
			"id":         idSchema("evt_"),
			"type":       strEnum("The event type.", detour.EventTypes...),
			"message_id": withDesc(idSchema("msg_"), "The message the event is about (message.status events)."),
			"data": map[string]any{"type": "object", "description": "The event's body; its shape follows type: " +
				"MessageStatusData (message.status), VerificationStatusData (verification.status), InboundData (message.inbound), " +
				"HealthData (channel.health), EndpointDisabledData (webhook_endpoint.disabled)."},
			"created_at": dateTime("When it happened."),
		}),
		"VerificationStatusData": object("The body of a verification.status event: a verification ended. It never carries the code.",
			[]string{"verification_id", "status", "previous_status", "to", "checks", "sends"}, map[string]any{
				"verification_id": idSchema("ver_"),
				"status":          verificationStatusSchema(),
				"previous_status": verificationStatusSchema(),
				"to":              withDesc(str(""), "The number, E.164."),
				"checks":          map[string]any{"type": "integer", "minimum": 0, "maximum": detour.MaxVerificationChecks, "description": "Checks made."},
				"sends":           map[string]any{"type": "integer", "minimum": 0, "maximum": detour.MaxVerificationSends, "description": "Messages sent."},
			}),
		"VerificationRequest": object("A verification to start.", []string{"to"}, map[string]any{
			"to": withDesc(str(""), "The number to verify, E.164."),
			"channels": withDesc(map[string]any{"type": "array", "items": str(""), "minItems": 1, "maxItems": 5},
				"The channels to send the code on, in order; each one but the last has the server's fallback window to deliver before "+
					"the next is tried. Default: the server's (whatsapp then sms)."),
			"code_length": map[string]any{"type": "integer", "minimum": detour.MinCodeLength, "maximum": detour.MaxCodeLength,
				"description": "Digits of the code (default 6)."},
			"expiry": duration("How long the code checks: 1m to 1h (default 10m)."),
			"locale": withDesc(str(""), "The language of the texts, such as es or pt-BR: en, es, fr, de and pt have texts, others get en."),
			"template": withDesc(str(""), "The WhatsApp authentication template to send (registered with a copy-code button, "+
				"in the locale's language, and with message_send_ttl_seconds no longer than the fallback window); default the server's."),
			"brand": withDesc(str(""), "An app or brand name put before the SMS text (at most 20 characters)."),
			"new":   map[string]any{"type": "boolean", "description": "Cancel the verification pending for this number, if any, and start anew."},
		}),
		"CheckRequest": object("A code to check.", []string{"code"}, map[string]any{
			"code": withDesc(str(""), "The code the user typed."),
		}),
		"ResendRequest": object("Where to send the code again.", nil, map[string]any{
			"channel": withDesc(str(""), "The channel; by default the one after the channel the last message went out on."),
		}),
		"Verification": object("A verification: a one-time code sent to a number. It never carries the code.",
			[]string{"id", "to", "status", "channels", "locale", "code_length", "checks_left", "sends_left", "attempts", "created_at", "updated_at", "expires_at"},
			map[string]any{
				"id":          idSchema("ver_"),
				"to":          withDesc(str(""), "The number, E.164."),
				"status":      verificationStatusSchema(),
				"channels":    withDesc(array(str("")), "The channels the code goes out on, in order."),
				"locale":      strEnum("The language of the texts.", "en", "es", "fr", "de", "pt"),
				"code_length": map[string]any{"type": "integer", "minimum": detour.MinCodeLength, "maximum": detour.MaxCodeLength},
				"checks_left": map[string]any{"type": "integer", "minimum": 0, "maximum": detour.MaxVerificationChecks, "description": "Checks left; 0 once the verification ended."},
				"sends_left":  map[string]any{"type": "integer", "minimum": 0, "maximum": detour.MaxVerificationSends - 1, "description": "Resends left; 0 once the verification ended."},
				"attempts":    withDesc(array(ref("VerificationAttempt")), "The messages sent, oldest first."),
				"created_at":  dateTime("When the verification started."),
				"updated_at":  dateTime("When it last changed."),
				"expires_at":  dateTime("When its code stops checking."),
			}),
		"VerificationAttempt": object("One message a verification sent.", []string{"message_id", "channel", "status", "created_at"}, map[string]any{
			"message_id": withDesc(idSchema("msg_"), "The message carrying the code (its content holds a placeholder, never the code)."),
			"channel":    withDesc(str(""), "The channel it delivered on or, before that, its latest attempt's (its first channel before any)."),
			"status":     statusSchema(),
			"created_at": dateTime("When it was sent."),
		}),
		"MessageStatusData": object("The body of a message.status event.", []string{"message_id", "status", "to"}, map[string]any{
			"message_id":      idSchema("msg_"),
			"status":          statusSchema(),
			"previous_status": statusSchema(),
			"to":              withDesc(str(""), "The recipient, E.164."),
			"client_ref":      withDesc(str(""), "The caller's reference."),
			"channel":         withDesc(str(""), "The channel of the delivering or latest attempt."),
			"route":           withDesc(str(""), "Its route."),
			"error_code":      withDesc(str(""), "Why the message failed or expired."),
			"error_detail":    withDesc(str(""), "A human-readable explanation."),
		}),
		"RouteList": object("Every route of every channel.", []string{"data"}, map[string]any{
			"data": withDesc(array(ref("Route")), "The routes, by channel, in configuration order."),
		}),
		"Route": object("One route of a channel and how it is doing.", []string{"channel", "name", "state", "binds"}, map[string]any{
			"channel":      withDesc(str(""), "The channel the route belongs to."),
			"name":         withDesc(str(""), "The route's name, as steps and attempts name it."),
			"state":        strEnum("up: it can send now (for SMPP: a connection is bound); down: it cannot.", "up", "down"),
			"submit_rate":  map[string]any{"type": "number", "minimum": 0, "description": "Submits per second over the last few seconds."},
			"paused_until": dateTime("The provider asked us to slow down: new sends wait until then."),
			"throughput_limit": map[string]any{"type": "number", "exclusiveMinimum": 0,
				"description": "The configured cap on submits per second; absent for none."},
			"selection": withDesc(ref("RouteSelection"), "How the route is chosen among its channel's routes (SMS)."),
			"binds":     withDesc(array(ref("Bind")), "The route's connections (SMPP binds); empty for channels without connections."),
		}),
		"RouteSelection": object("Which numbers a route takes and how it ranks: by priority, then by weight among routes of equal priority.",
			[]string{"prefixes", "countries", "priority", "weight", "cost"}, map[string]any{
				"prefixes":  withDesc(array(str("")), "E.164 prefixes without \"+\" the route takes; empty for any."),
				"countries": withDesc(array(str("")), "ISO 3166 regions the route takes; empty for any."),
				"priority":  map[string]any{"type": "integer", "description": "Lower goes first."},
				"weight":    map[string]any{"type": "integer", "minimum": 0, "description": "Share among routes of equal priority (0 counts as 1)."},
				"cost":      map[string]any{"type": "number", "minimum": 0, "description": "Price per segment as configured; reported, not used to choose."},
			}),
		"Bind": object("One SMPP connection of a route. Counters run from the server's start, across reconnects.",
			[]string{"bind", "mode", "state", "since", "window", "in_flight", "submitted", "responses", "timeouts", "lost", "deliver_sm", "receipts", "reconnects"},
			map[string]any{
				"bind":          map[string]any{"type": "integer", "minimum": 0, "description": "Which bind of the route; a transmitter and a receiver of one bind share it."},
				"mode":          strEnum("The bind's kind.", "transceiver", "transmitter", "receiver"),
				"state":         strEnum("The connection's state.", "connecting", "bound", "closed"),
				"since":         dateTime("When the state began."),
				"window":        map[string]any{"type": "integer", "minimum": 0, "description": "Submits it may have outstanding; 0 for a receiver."},
				"in_flight":     map[string]any{"type": "integer", "minimum": 0, "description": "Submits outstanding now."},
				"submitted":     map[string]any{"type": "integer", "minimum": 0, "description": "submit_sm written."},
				"responses":     map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "integer"}, "description": "submit_sm_resp by command_status name (ESME_ROK, ESME_RTHROTTLED, ...): the route's recent errors by kind."},
				"timeouts":      map[string]any{"type": "integer", "minimum": 0, "description": "Submits that got no answer in time."},
				"lost":          map[string]any{"type": "integer", "minimum": 0, "description": "Submits outstanding when the connection dropped."},
				"deliver_sm":    map[string]any{"type": "integer", "minimum": 0, "description": "deliver_sm received (receipts and messages from handsets)."},
				"receipts":      map[string]any{"type": "integer", "minimum": 0, "description": "deliver_sm that were receipts."},
				"reconnects":    map[string]any{"type": "integer", "minimum": 0, "description": "Binds after the first."},
				"last_error":    withDesc(str(""), "The last error on the connection."),
				"last_error_at": dateTime("When the last error happened."),
			}),
		"Problem": object("An error (RFC 9457 problem details), served as application/problem+json.",
			[]string{"type", "title", "status", "code"}, map[string]any{
				"type":   map[string]any{"type": "string", "pattern": "^" + ProblemTypePrefix + "[a-z_]+$", "description": "\"" + ProblemTypePrefix + "\" and the code."},
				"title":  withDesc(str(""), "A short summary of the kind of problem, the same for every occurrence of a code."),
				"status": map[string]any{"type": "integer", "minimum": 400, "maximum": 599, "description": "The HTTP status code."},
				"detail": withDesc(str(""), "What went wrong this time. Internal errors show only a generic text."),
				"code":   strEnum("The stable error code clients branch on.", problemCodes()...),
				"field":  withDesc(str(""), "The request field at fault, in JSON path form (\"content.text\", \"channels[0].route\"), or the query parameter or header."),
			}),
		"Health": object("A health answer.", []string{"status"}, map[string]any{
			"status": strEnum("Always ok.", "ok"),
		}),
	}
	for name, schema := range webhookSchemas() {
		schemas[name] = schema
	}
	return schemas
}

func ref(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }

func str(desc string) map[string]any { return withDesc(map[string]any{"type": "string"}, desc) }

func strEnum(desc string, values ...string) map[string]any {
	return withDesc(map[string]any{"type": "string", "enum": values}, desc)
}

func array(items map[string]any) map[string]any {
	return map[string]any{"type": "array", "items": items}
}

func dateTime(desc string) map[string]any {
	return withDesc(map[string]any{"type": "string", "format": "date-time"}, desc)
}

func idSchema(prefix string) map[string]any {
	return map[string]any{"type": "string", "pattern": "^" + prefix + "[0-9A-HJKMNP-TV-Z]{26}$",
		"description": "An id: \"" + prefix + "\" and 26 Crockford base32 characters, sorted by creation time."}
}

// withDesc sets a description on s (a $ref may carry one in 2020-12).
func withDesc(s map[string]any, desc string) map[string]any {
	if desc != "" {
		s["description"] = desc
	}
	return s
}

// object is a closed object schema.
func object(desc string, required []string, props map[string]any) map[string]any {
	s := map[string]any{"type": "object", "additionalProperties": false, "properties": props, "description": desc}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

func priorityEnum() map[string]any {
	ps := make([]string, len(detour.Priorities))
	for i, p := range detour.Priorities {
		ps[i] = string(p)
	}
	return strEnum("How urgent the message is: due work is taken most urgent first (default normal).", ps...)
}

func statusSchema() map[string]any {
	ss := make([]string, len(detour.Statuses))
	for i, st := range detour.Statuses {
		ss[i] = string(st)
	}
	return strEnum("The message status. It only moves forward: queued, sending, sent, then delivered and read, "+
		"or a final failed, expired or canceled (a late delivery receipt still turns those into delivered).", ss...)
}

func verificationStatusSchema() map[string]any {
	ss := make([]string, len(detour.VerificationStatuses))
	for i, st := range detour.VerificationStatuses {
		ss[i] = string(st)
	}
	return strEnum("pending until the code is approved, the verification expires, its five checks are used on wrong codes "+
		"(max_attempts_reached) or it is canceled.", ss...)
}

func attemptStatusSchema() map[string]any {
	return strEnum("The attempt status.", "pending", "sent", "unknown", "failed", "expired", "delivered", "read")
}

func metadataSchema() map[string]any {
	return withDesc(map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"}},
		"The caller's key-value data, returned as given.")
}

// reasonList lists the failure reason codes for descriptions.
func reasonList() string {
	rs := []detour.Code{detour.ReasonThrottled, detour.ReasonUnreachable, detour.ReasonTimeout, detour.ReasonProviderError,
		detour.ReasonRejected, detour.ReasonInvalidRecipient, detour.ReasonOutsideWindow, detour.ReasonContentUnsupported,
		detour.ReasonUndeliverable, detour.ReasonExpired, detour.ReasonLost, detour.ReasonNoSteps, detour.ReasonCanceled}
	return codeList(rs)
}

// problemCodes lists every problem code, sorted.
func problemCodes() []string {
	out := make([]string, 0, len(problemTypes))
	for c := range problemTypes {
		out = append(out, string(c))
	}
	sort.Strings(out)
	return out
}

func codeList(cs []detour.Code) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = "`" + string(c) + "`"
	}
	return strings.Join(parts, ", ")
}
