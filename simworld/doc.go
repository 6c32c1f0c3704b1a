// Package simworld is a simulated world for Detour to run in: the built-in
// simulators of the WhatsApp Cloud API (sim/whatsapp) and of two operator
// SMSCs (sim/smsc), speaking their real protocols on loopback, and
// virtual handsets that record what each phone number received.
//
// A World starts the simulators with generated credentials, fills in the
// configuration that points a Detour node at them (Configure: one
// WhatsApp business number, SMS routes smsc-1 and smsc-2, the default
// policy WhatsApp then SMS after FallbackAfter, the sandbox off), and
// after the node listens, sends the WhatsApp webhooks to it (Connect).
// Each simulator's mode can be switched while it runs (SetMode: healthy,
// silent, down, throttled), and Endpoints serves all this under /v1/sim
// for `detour serve --simulate`. StartNode runs a node on a world in one
// call; `detour demo` and the tests use it.
package simworld
