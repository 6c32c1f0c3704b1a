// Package whatsapp speaks the WhatsApp Business Cloud API (Meta's Graph
// API): it sends one message per call to POST /{version}/{phone-number-id}/messages,
// classifies every answer once (classify.go), and takes the webhooks Meta
// posts back — the verification handshake, X-Hub-Signature-256, delivery
// statuses and inbound messages — and turns them into detour receipts and
// inbound messages.
//
// Request and webhook shapes follow Meta's OpenAPI description of the
// Business Messaging API v23.0. The channel adapter that registers in the
// dispatcher, the 24-hour customer-service window and the Cloud API
// simulator build on this package and live elsewhere.
package whatsapp
