// Package webhook is the part of Detour's outgoing webhooks that talks to
// receivers: it signs each delivery the Standard Webhooks way
// (signature.go), posts it through an HTTP client that refuses private,
// loopback, link-local and other special addresses at dial time (client.go,
// addr.go), classifies every answer once (classify.go), and says how long to
// wait before the next try (backoff.go).
//
// A delivery carries three headers:
//
//	webhook-id:        the event id; the same on every retry of an event
//	webhook-timestamp: Unix seconds of this attempt
//	webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">
//
// During a secret rotation the signature header carries one signature per
// valid secret, separated by spaces, so a receiver holding either secret
// verifies. Any Standard Webhooks library verifies these deliveries; the
// tests prove it with the reference Go library.
//
// The outbox, the endpoints API and the scheduler that decides when to call
// Deliver live elsewhere: this package holds no state beyond a connection
// pool.
package webhook
