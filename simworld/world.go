package simworld

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/config"
	"github.com/detourhq/detour/sim/smsc"
	wasim "github.com/detourhq/detour/sim/whatsapp"
	"github.com/detourhq/detour/sms"
	"github.com/detourhq/detour/whatsapp"
)

// The simulators' names. SMS routes are named after their SMSC.
const (
	WhatsApp = "whatsapp"
	SMSC1    = "smsc-1"
	SMSC2    = "smsc-2"
)

// Names lists the simulators in the order the world shows them.
var Names = []string{WhatsApp, SMSC1, SMSC2}

// WhatsAppRoute is the Detour route name of the simulated business number.
const WhatsAppRoute = "main"

// The simulated business number, the SMPP account and the SMS sender id.
const (
	phoneNumberID = "109876543210987"
	displayNumber = "15550100001"
	systemID      = "detour"
	senderID      = "Detour"
)

// Defaults of Config.
const (
	DefaultFallbackAfter  = 10 * time.Second
	DefaultHandsetKeep    = 100
	DefaultHandsetNumbers = 100_000
)

// DefaultWhatsApp is how the simulated Cloud API behaves unless told
// otherwise: answers in tens of milliseconds, "sent" at once, "delivered"
// 200 ms to 1 s later, and a fifth of the messages read a few seconds
// after that.
func DefaultWhatsApp() wasim.Behavior {
	return wasim.Behavior{
		Latency:     smsc.LogNormal(30*time.Millisecond, 150*time.Millisecond),
		SentDelay:   smsc.Uniform(10*time.Millisecond, 50*time.Millisecond),
		StatusDelay: smsc.Uniform(200*time.Millisecond, time.Second),
		ReadShare:   0.2,
		ReadDelay:   smsc.LogNormal(3*time.Second, 20*time.Second),
	}
}

// DefaultSMSC is how each simulated SMSC behaves unless told otherwise:
// every message delivered, its receipt 200 ms to 1 s after the submit.
func DefaultSMSC() smsc.Behavior {
	return smsc.Behavior{ReceiptDelay: smsc.Uniform(200*time.Millisecond, time.Second), Delivered: 1}
}

// Config configures a World; the zero value is a usable world.
type Config struct {
	// FallbackAfter is how long the default policy waits for WhatsApp's
	// delivery receipt before it sends by SMS; DefaultFallbackAfter if 0.
	FallbackAfter time.Duration
	// WhatsApp and SMSC are the simulators' behaviours (both SMSCs get
	// SMSC); DefaultWhatsApp() and DefaultSMSC() if nil.
	WhatsApp *wasim.Behavior
	SMSC     *smsc.Behavior
	// HandsetKeep is how many messages each handset keeps, the oldest
	// forgotten first; HandsetNumbers is how many handsets are kept, the
	// one written to least recently forgotten first.
	HandsetKeep, HandsetNumbers int
	// Seed makes the simulators' random draws repeatable; 0 seeds them
	// from the clock.
	Seed   uint64
	Clock  detour.Clock // the real clock if nil
	Logger *slog.Logger // discards if nil
}

// World is a running set of simulators with virtual handsets. Create it
// with New, then Start it; it is safe for concurrent use.
type World struct {
	cfg   Config
	clock detour.Clock
	log   *slog.Logger
	wa    *wasim.Server
	smscs map[string]*smsc.Server
	hs    *handsets
	got   map[string]*atomic.Int64 // messages on handsets, per simulator

	token, appSecret, verifyToken, password detour.Secret

	mu      sync.Mutex
	started bool
	stopped bool
}

// New builds the simulators, with fresh credentials, on random loopback
// ports; nothing listens before Start.
func New(cfg Config) (*World, error) {
	if cfg.FallbackAfter == 0 {
		cfg.FallbackAfter = DefaultFallbackAfter
	}
	if cfg.FallbackAfter < 0 {
		return nil, fmt.Errorf("simworld: FallbackAfter: %s must not be negative", cfg.FallbackAfter)
	}
	if cfg.HandsetKeep == 0 {
		cfg.HandsetKeep = DefaultHandsetKeep
	}
	if cfg.HandsetNumbers == 0 {
		cfg.HandsetNumbers = DefaultHandsetNumbers
	}
	if cfg.HandsetKeep < 0 || cfg.HandsetNumbers < 0 {
		return nil, errors.New("simworld: HandsetKeep, HandsetNumbers: must not be negative")
	}
	if cfg.Clock == nil {
		cfg.Clock = detour.SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	wb, sb := DefaultWhatsApp(), DefaultSMSC()
	if cfg.WhatsApp != nil {
		wb = *cfg.WhatsApp
	}
	if cfg.SMSC != nil {
		sb = *cfg.SMSC
	}
	w := &World{cfg: cfg, clock: cfg.Clock, log: cfg.Logger, smscs: map[string]*smsc.Server{},
		hs: newHandsets(cfg.HandsetKeep, cfg.HandsetNumbers), got: map[string]*atomic.Int64{},
		token: secret(32), appSecret: secret(32), verifyToken: secret(16),
		password: secret(8)} // SMPP 3.4 passwords have at most 8 characters
	for _, n := range Names {
		w.got[n] = new(atomic.Int64)
	}
	var err error
	w.wa, err = wasim.New(wasim.Config{
		Token: w.token, AppSecret: w.appSecret,
		Numbers:  []wasim.Number{{PhoneNumberID: phoneNumberID, DisplayPhoneNumber: displayNumber}},
		Behavior: wb, OnDelivered: w.onWhatsApp, RetryBase: 200 * time.Millisecond, RetryMax: 5 * time.Second,
		Clock: cfg.Clock, Rand: w.rand(1), Logger: cfg.Logger.With("simulator", WhatsApp),
	})
	if err != nil {
		return nil, err
	}
	for i, name := range Names[1:] {
		w.smscs[name], err = smsc.New(smsc.Config{
			SystemID: name, Accounts: []smsc.Account{{SystemID: systemID, Password: w.password}},
			Behavior: sb, OnMessage: w.onSMS(name),
			Clock: cfg.Clock, Rand: w.rand(uint64(2 + i)), Logger: cfg.Logger.With("simulator", name),
		})
		if err != nil {
			return nil, err
		}
	}
	return w, nil
}

// secret returns n random characters of the base32 alphabet.
func secret(n int) detour.Secret {
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(rand.Text()) // 26 characters a call
	}
	return detour.Secret(strings.ToLower(b.String()[:n]))
}

// rand returns the i-th simulator's source of randomness: seeded from
// Config.Seed, or nil for the simulator to seed from its clock.
func (w *World) rand(i uint64) *mrand.Rand {
	if w.cfg.Seed == 0 {
		return nil
	}
	return mrand.New(mrand.NewPCG(w.cfg.Seed, i))
}

// Start makes every simulator listen on loopback. The context is not
// kept.
func (w *World) Start(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.started || w.stopped {
		return errors.New("simworld: Start called twice or after Stop")
	}
	w.started = true
	if err := w.wa.Start(ctx); err != nil {
		return err
	}
	for _, name := range Names[1:] {
		if err := w.smscs[name].Start(ctx); err != nil {
			w.stopLocked()
			return err
		}
	}
	w.log.Info("simulated world started", "whatsapp", w.wa.URL(), SMSC1, w.smscs[SMSC1].Addr(), SMSC2, w.smscs[SMSC2].Addr())
	return nil
}

// Stop stops every simulator: connections close, pending statuses and
// receipts are discarded. Stop the Detour node first, so that it does not
// see its channels fail while it drains. Safe to call twice.
func (w *World) Stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopLocked()
}

func (w *World) stopLocked() {
	if w.stopped {
		return
	}
	w.stopped = true
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	w.wa.Stop(ctx)
	for _, name := range Names[1:] {
		w.smscs[name].Stop(ctx)
	}
}

// Configure points cfg at the simulators, once they listen: one WhatsApp
// business number (route WhatsAppRoute, sending up to 1,000 messages a
// second, as Meta allows a number with a high limit) on the Cloud API simulator, SMS
// routes smsc-1 and smsc-2 of equal priority and weight on the SMSC
// simulators, the default policy WhatsApp then SMS after FallbackAfter
// without a delivery receipt, and the sandbox off. Everything else in
// cfg stays as it is.
func (w *World) Configure(cfg *config.Config) error {
	if w.wa.Addr() == "" {
		return errors.New("simworld: Configure before Start")
	}
	cfg.Channels.Sandbox.Enabled = false
	cfg.Channels.WhatsApp = config.WhatsApp{
		BaseURL: w.wa.URL(), Version: whatsapp.DefaultVersion,
		Token: w.token, AppSecret: w.appSecret, VerifyToken: w.verifyToken,
		Numbers: []config.WhatsAppNumber{{Name: WhatsAppRoute, PhoneNumberID: phoneNumberID, Throughput: 1000}},
	}
	cfg.Channels.SMS.Routes = nil
	for _, name := range Names[1:] {
		host, port, err := net.SplitHostPort(w.smscs[name].Addr())
		if err != nil {
			return fmt.Errorf("simworld: %s: %w", name, err)
		}
		p, _ := strconv.Atoi(port)
		cfg.Channels.SMS.Routes = append(cfg.Channels.SMS.Routes, sms.RouteConfig{
			Name: name, Host: host, Port: p, SystemID: systemID, Password: w.password,
			SourceAddr: senderID, SourceTON: 5, // alphanumeric sender id
			// Loopback peers: reconnect fast once an SMSC is back.
			ReconnectMin: 100 * time.Millisecond, ReconnectMax: time.Second,
		}.WithDefaults())
	}
	cfg.Messages.DefaultPolicy = []config.Step{
		{Channel: whatsapp.Channel, FallbackAfter: w.cfg.FallbackAfter},
		{Channel: sms.Name},
	}
	return nil
}

// Connect sends the WhatsApp simulator's webhooks to the Detour node at
// baseURL ("http://127.0.0.1:8080"), at /webhooks/whatsapp, signed with
// the app secret as Meta signs them.
func (w *World) Connect(baseURL string) error {
	return w.wa.SetWebhookURL(strings.TrimRight(baseURL, "/") + "/webhooks/whatsapp")
}

// WhatsAppSim returns the WhatsApp Cloud API simulator.
func (w *World) WhatsAppSim() *wasim.Server { return w.wa }

// SMSC returns the SMSC simulator named smsc-1 or smsc-2, nil for another
// name.
func (w *World) SMSC(name string) *smsc.Server { return w.smscs[name] }

// Handset returns what the phone number (E.164) has received so far,
// oldest first.
func (w *World) Handset(number string) []Received {
	return w.hs.list(number, w.clock.Now())
}

// onWhatsApp puts a delivered WhatsApp message on its handset.
func (w *World) onWhatsApp(m wasim.Message) {
	w.got[WhatsApp].Add(1)
	w.hs.record("+"+m.To, Received{
		Channel: whatsapp.Channel, Simulator: WhatsApp, Route: WhatsAppRoute, From: "+" + displayNumber,
		Text: whatsAppText(&m), At: m.DeliveredAt, ProviderMessageID: m.WAMID,
	})
}

// onSMS returns the hook that puts SMSC name's delivered messages on
// their handsets, from the time they arrive.
func (w *World) onSMS(name string) func(smsc.Message) {
	return func(m smsc.Message) {
		if !m.Delivered {
			return
		}
		w.got[name].Add(1)
		w.hs.record("+"+strings.TrimPrefix(m.To, "+"), Received{
			Channel: sms.Name, Simulator: name, Route: name, From: m.From,
			Text: m.Text, At: m.DeliveredAt, ProviderMessageID: m.IDs[0], Parts: m.Parts,
		})
	}
}
