package smsc

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/smpp"
)

// Mode is how the simulated SMSC behaves as a whole.
type Mode uint8

// Modes.
const (
	// Healthy answers and reports as Behavior says.
	Healthy Mode = iota
	// Silent accepts submits and answers them with message ids, and never
	// sends a receipt for them: the outage that only delivery rates reveal.
	Silent
	// Down closes the listener (connections are refused) and drops every
	// bind; pending receipts wait until the SMSC is back.
	Down
	// Throttled answers submits past Config.ThrottledRate a second per
	// account with ESME_RTHROTTLED, as an operator that has cut an ESME's
	// throughput does; what it accepts is reported as Behavior says.
	Throttled
)

// String returns "healthy", "silent", "down" or "throttled".
func (m Mode) String() string {
	switch m {
	case Healthy:
		return "healthy"
	case Silent:
		return "silent"
	case Down:
		return "down"
	case Throttled:
		return "throttled"
	}
	return fmt.Sprintf("Mode(%d)", uint8(m))
}

// ParseMode returns the mode named "healthy", "silent", "down" or
// "throttled".
func ParseMode(s string) (Mode, error) {
	for m := Healthy; m <= Throttled; m++ {
		if m.String() == strings.ToLower(strings.TrimSpace(s)) {
			return m, nil
		}
	}
	return 0, fmt.Errorf("smsc: unknown mode %q (want healthy, silent, down or throttled)", s)
}

// IDFormat is how message ids are written.
type IDFormat uint8

// ID formats.
const (
	// IDDecimal writes ids in decimal everywhere.
	IDDecimal IDFormat = iota
	// IDHex writes ids in lower-case hex everywhere.
	IDHex
	// IDHexDecimal answers submit_sm_resp (and receipted_message_id) in hex
	// and writes the id in the receipt text in decimal, as many SMSCs do.
	IDHexDecimal
)

// String returns "decimal", "hex" or "hex-decimal".
func (f IDFormat) String() string {
	switch f {
	case IDDecimal:
		return "decimal"
	case IDHex:
		return "hex"
	case IDHexDecimal:
		return "hex-decimal"
	}
	return fmt.Sprintf("IDFormat(%d)", uint8(f))
}

// ParseIDFormat returns the format named "decimal", "hex" or "hex-decimal".
func ParseIDFormat(s string) (IDFormat, error) {
	for f := IDDecimal; f <= IDHexDecimal; f++ {
		if f.String() == strings.ToLower(strings.TrimSpace(s)) {
			return f, nil
		}
	}
	return 0, fmt.Errorf("smsc: unknown id format %q (want decimal, hex or hex-decimal)", s)
}

// Account is one ESME allowed to bind.
type Account struct {
	SystemID string        // at most 15 characters
	Password detour.Secret // at most 8 characters
}

// Behavior is what the SMSC does with traffic. It can be changed while the
// server runs (SetBehavior); the zero value accepts everything and reports
// every message delivered at once.
type Behavior struct {
	// ReceiptDelay is how long after submit_sm_resp the receipt is due.
	ReceiptDelay Dist
	// Delivered, Undeliverable and Expired are the shares of accepted
	// messages whose receipt says DELIVRD, UNDELIV or EXPIRED. They add up
	// to at most 1; the remainder never gets a receipt (lost in the
	// network, as a partly silent route). All three zero means every
	// message is delivered.
	Delivered, Undeliverable, Expired float64
	// SubmitErrors maps a command_status to the share of submits answered
	// with it (e.g. ESME_RTHROTTLED, ESME_RMSGQFUL, ESME_RSYSERR,
	// ESME_RINVDSTADR). The shares add up to at most 1.
	SubmitErrors map[smpp.Status]float64
	// ThrottleAbove is the most submits per second one account may make;
	// beyond it submits are answered ESME_RTHROTTLED. A token bucket with
	// one second's worth of burst. 0 means no limit.
	ThrottleAbove float64
	// TextOnlyReceipts leaves the receipted_message_id and message_state
	// TLVs out of receipts, like older SMSCs: the client must read the
	// text.
	TextOnlyReceipts bool
}

// Validate reports the first bad field by its name.
func (b Behavior) Validate() error {
	shares := []struct {
		name string
		v    float64
	}{{"Delivered", b.Delivered}, {"Undeliverable", b.Undeliverable}, {"Expired", b.Expired}}
	for _, s := range shares {
		if !(s.v >= 0 && s.v <= 1) {
			return fmt.Errorf("smsc: %s: share %v is not between 0 and 1", s.name, s.v)
		}
	}
	if sum := b.Delivered + b.Undeliverable + b.Expired; sum > 1+1e-9 {
		return fmt.Errorf("smsc: Delivered, Undeliverable, Expired: shares add up to %v, more than 1", sum)
	}
	sum := 0.0
	for st, v := range b.SubmitErrors {
		if st == smpp.StatusOK {
			return fmt.Errorf("smsc: SubmitErrors: ESME_ROK is not an error")
		}
		if !(v >= 0 && v <= 1) {
			return fmt.Errorf("smsc: SubmitErrors[%s]: share %v is not between 0 and 1", st, v)
		}
		sum += v
	}
	if sum > 1+1e-9 {
		return fmt.Errorf("smsc: SubmitErrors: shares add up to %v, more than 1", sum)
	}
	if !(b.ThrottleAbove >= 0) {
		return fmt.Errorf("smsc: ThrottleAbove: %v must not be negative", b.ThrottleAbove)
	}
	return nil
}

// Config configures a Server. Defaults are filled in by New.
type Config struct {
	// Addr is the TCP address to listen on; "127.0.0.1:0" if empty.
	Addr string
	// SystemID is the SMSC's own id, sent in bind responses; "detoursim"
	// if empty.
	SystemID string
	// Accounts are the ESMEs allowed to bind; at least one.
	Accounts []Account
	// MaxBinds caps the binds one account may hold at once; 0 means 8.
	MaxBinds int
	// Window caps the deliver_sm (receipts and MO) sent to one bind and
	// not yet answered; 0 means 100.
	Window int
	// RedeliveryDelay is how long after an error deliver_sm_resp (or a
	// generic_nack) the deliver_sm is sent again; 0 means 5s.
	RedeliveryDelay time.Duration
	// BindTimeout closes a connection that has not bound this long after
	// connecting (real time); 0 means 10s.
	BindTimeout time.Duration
	// MaxQueued caps the receipts and MO messages not yet acknowledged
	// (waiting for their delay, for a receiver or for an answer); past it
	// new ones are dropped and counted. 0 means 1,000,000.
	MaxQueued int
	// Keep is how many recent messages are kept for Messages and for
	// query_sm; 0 means 100,000.
	Keep int
	// IDFormat is how message ids are written.
	IDFormat IDFormat
	// Mode is the mode the server starts in.
	Mode Mode
	// ThrottledRate is how many submits a second one account may make in
	// Throttled mode (a token bucket with one second's worth of burst); 0
	// means 1.
	ThrottledRate float64
	// Behavior is the initial behaviour; see SetBehavior.
	Behavior Behavior
	// OnMessage, if set, is called with every message a handset would
	// receive, once all its parts have been submitted: Delivered says
	// whether it reaches the handset and DeliveredAt when (usually a
	// little later than the call). It is called from the connections'
	// goroutines, possibly concurrently, and must not block for long.
	OnMessage func(Message)

	Clock  detour.Clock // the real clock if nil
	Rand   *rand.Rand   // seeded from the clock if nil
	Logger *slog.Logger // discards if nil
}

func (c *Config) setDefaults() {
	if c.Addr == "" {
		c.Addr = "127.0.0.1:0"
	}
	if c.SystemID == "" {
		c.SystemID = "detoursim"
	}
	if c.MaxBinds == 0 {
		c.MaxBinds = 8
	}
	if c.Window == 0 {
		c.Window = 100
	}
	if c.RedeliveryDelay == 0 {
		c.RedeliveryDelay = 5 * time.Second
	}
	if c.BindTimeout == 0 {
		c.BindTimeout = 10 * time.Second
	}
	if c.MaxQueued == 0 {
		c.MaxQueued = 1_000_000
	}
	if c.Keep == 0 {
		c.Keep = 100_000
	}
	if c.ThrottledRate == 0 {
		c.ThrottledRate = 1
	}
	if c.Clock == nil {
		c.Clock = detour.SystemClock{}
	}
	if c.Rand == nil {
		seed := uint64(c.Clock.Now().UnixNano())
		c.Rand = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

func (c *Config) validate() error {
	switch {
	case len(c.SystemID) > 15:
		return fmt.Errorf("smsc: SystemID: %q is longer than 15 characters", c.SystemID)
	case len(c.Accounts) == 0:
		return fmt.Errorf("smsc: Accounts: at least one account is required")
	case c.MaxBinds < 0:
		return fmt.Errorf("smsc: MaxBinds: %d must not be negative", c.MaxBinds)
	case c.Window < 0:
		return fmt.Errorf("smsc: Window: %d must not be negative", c.Window)
	case c.RedeliveryDelay < 0:
		return fmt.Errorf("smsc: RedeliveryDelay: %s must not be negative", c.RedeliveryDelay)
	case c.BindTimeout < 0:
		return fmt.Errorf("smsc: BindTimeout: %s must not be negative", c.BindTimeout)
	case c.MaxQueued < 0:
		return fmt.Errorf("smsc: MaxQueued: %d must not be negative", c.MaxQueued)
	case c.Keep < 0:
		return fmt.Errorf("smsc: Keep: %d must not be negative", c.Keep)
	case c.IDFormat > IDHexDecimal:
		return fmt.Errorf("smsc: IDFormat: unknown format %d", c.IDFormat)
	case c.Mode > Throttled:
		return fmt.Errorf("smsc: Mode: unknown mode %d", c.Mode)
	case !(c.ThrottledRate > 0):
		return fmt.Errorf("smsc: ThrottledRate: %v must be positive", c.ThrottledRate)
	}
	seen := map[string]bool{}
	for i, a := range c.Accounts {
		switch {
		case a.SystemID == "" || len(a.SystemID) > 15:
			return fmt.Errorf("smsc: Accounts[%d].SystemID: want 1 to 15 characters", i)
		case len(a.Password.Reveal()) > 8:
			return fmt.Errorf("smsc: Accounts[%d].Password: longer than 8 characters", i)
		case seen[a.SystemID]:
			return fmt.Errorf("smsc: Accounts[%d].SystemID: %q repeats", i, a.SystemID)
		}
		seen[a.SystemID] = true
	}
	return c.Behavior.Validate()
}

// compiled is a Behavior prepared for drawing.
type compiled struct {
	Behavior
	outcomes [3]float64 // cumulative delivered, +undeliverable, +expired
	errs     []errShare // cumulative, in status order so draws are reproducible
}

type errShare struct {
	status smpp.Status
	upTo   float64
}

func compile(b Behavior) compiled {
	c := compiled{Behavior: b}
	d, u, e := b.Delivered, b.Undeliverable, b.Expired
	if d == 0 && u == 0 && e == 0 {
		d = 1
	}
	c.outcomes = [3]float64{d, d + u, d + u + e}
	sts := make([]smpp.Status, 0, len(b.SubmitErrors))
	for st, v := range b.SubmitErrors {
		if v > 0 {
			sts = append(sts, st)
		}
	}
	sort.Slice(sts, func(i, j int) bool { return sts[i] < sts[j] })
	sum := 0.0
	for _, st := range sts {
		sum += b.SubmitErrors[st]
		c.errs = append(c.errs, errShare{st, sum})
	}
	// Copy the map so the caller's later changes do not reach the server.
	if b.SubmitErrors != nil {
		m := make(map[smpp.Status]float64, len(b.SubmitErrors))
		for k, v := range b.SubmitErrors {
			m[k] = v
		}
		c.SubmitErrors = m
	}
	return c
}
