// Package detour holds the domain of the Detour messaging gateway: messages,
// their content and channel policy, send attempts, statuses and their allowed
// transitions, the channel contract, the storage contract and the error codes.
//
// It imports no adapter: storage engines (package sqlite), the HTTP API
// (package api), channels (package sandbox, later smpp and whatsapp) and the
// dispatcher (package dispatch) depend on it, never the other way round.
package detour
