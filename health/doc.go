// Package health is Detour's outage detector: it judges every route of every
// channel healthy, degraded or down from what the dispatcher observes, and
// gates sends with a circuit breaker that recovers by half-open probing.
//
// The dispatcher feeds it three observations: Submitted after every submit,
// Delivered when a positive receipt arrives, Undelivered for a negative one.
// Before sending on a route it asks Allow; while a route is down, Allow says
// no, except for an occasional probe once the route's cool-off has passed.
//
// Per route, observations go into a sliding window of one-second buckets:
// submits by Class with their latency, messages sent, and how many of them
// were delivered within the expected receipt time, which is learned from
// recent receipts. The state follows these rules:
//
//   - hard outage: a run of hard errors, or a high share of them over the
//     last two seconds, opens the breaker (down, reason hard_errors) within
//     about a second at any rate of a few messages a second or more;
//   - silent outage: once the newest sends that had time to be delivered
//     ("matured") are mostly without a receipt, the route is down (reason
//     silent), typically seconds after the expected receipt time has passed;
//   - degraded: a raised share of hard errors, of throttling, or of messages
//     not delivered in time; leaving needs the share to fall below a lower
//     threshold than the one that entered (hysteresis);
//   - recovery: a down route lets a probe through at most once a second
//     after its cool-off; a few good probes (accepted for a hard outage,
//     delivered in time for a silent one) close the breaker, a bad one
//     doubles the cool-off.
//
// Operators can force a route down or up; forced routes ignore evidence
// until Unforce.
//
// Time comes only from the injected detour.Clock. Evaluation is lazy: it
// happens on observations, on Allow, ChannelUp and Snapshot, and on Tick,
// which a caller (or Start's loop) runs about once a second so that a silent
// outage is found even when no observation arrives.
package health
