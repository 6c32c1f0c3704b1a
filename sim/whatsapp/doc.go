// Package wasim is a simulator of the WhatsApp Business Cloud API (Meta's
// Graph API), for tests, demos and load tests. It lives in sim/whatsapp;
// the package is named wasim so that it imports next to the client
// package whatsapp without renaming.
//
// It serves POST /{version}/{phone-number-id}/messages as the official
// OpenAPI description (Business Messaging API v23.0) describes it: a
// Bearer token, a configured phone number id, a JSON body whose message
// object is checked field by field (validate.go), and answers with a
// wamid or with a real Graph error object. Accepted messages get signed
// status webhooks (sent, delivered, and read for a share of them) posted
// to Detour's webhook URL, batched and retried with backoff, and inbound
// messages can be injected.
//
// Modes reproduce what users see of WhatsApp: Healthy with a latency
// distribution; Down5xx, DownTimeout and DownRefused for a hard outage;
// Silent for the outage of 25 October 2022 (messages accepted with ids,
// "sent" reported, "delivered" never); Throttled for a number whose
// throughput was cut (130429); and behaviours for throttling past a rate
// and recipients that are not on WhatsApp (131026). Modes, behaviours and
// the webhook URL can all change while it runs, and OnDelivered tells
// when a handset shows a message.
//
// One Server runs its HTTP server, one scheduler for due statuses and a
// few webhook posters; nothing is started per message. Time comes from a
// detour.Clock and randomness from a seeded *rand.Rand, so tests need not
// sleep.
package wasim
