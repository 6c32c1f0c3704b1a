// Package smsc is an SMSC simulator: an SMPP 3.4 server that behaves like an
// operator's short message service centre, for tests, demos and load tests.
//
// It binds ESMEs with credentials (transmitter, receiver, transceiver),
// answers submit_sm and data_sm with message ids (hex or decimal), and
// sends delivery receipts as deliver_sm after a delay drawn from a
// distribution, with configurable shares of delivered, undeliverable and
// expired messages. It can refuse a share of submits with chosen error
// codes, throttle past a rate, go silent (accept and never report), down
// (refuse connections and drop binds) or throttled (refuse most submits
// with ESME_RTHROTTLED), inject mobile-originated messages, and shows what
// a handset would receive (concatenated parts reassembled, and when) and
// counters of everything it did.
//
// One Server runs a reader and a writer goroutine per connection and one
// scheduler for delayed receipts; nothing is started per PDU. Responses are
// appended to a per-connection buffer that the writer flushes whenever it
// is idle, so many PDUs share one write. Time comes from a detour.Clock and
// randomness from a seeded *rand.Rand, so tests need not sleep.
package smsc
