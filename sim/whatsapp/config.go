package wasim

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/sim/smsc"
)

// Dist is a distribution of delays: smsc.Fixed, smsc.Uniform or
// smsc.LogNormal (and smsc.ParseDist reads "200ms", "100ms-2s" or
// "200ms~5s").
type Dist = smsc.Dist

// Mode is how the simulated Cloud API behaves as a whole.
type Mode uint8

// Modes.
const (
	// Healthy answers and reports as Behavior says.
	Healthy Mode = iota
	// Down5xx answers every send with HTTP 500 and the transient Graph
	// error code 2 (the spec's 500 example).
	Down5xx
	// DownTimeout accepts connections and requests and never answers until
	// the client gives up (or the server stops).
	DownTimeout
	// DownRefused closes the listener, so connections are refused, and
	// drops every open connection.
	DownRefused
	// Silent answers sends with wamids and reports "sent", never
	// "delivered" or "read": what users saw on 25 October 2022. Messages
	// accepted in Silent mode stay undelivered after the mode changes.
	Silent
	// Throttled answers sends past Config.ThrottledRate a second per
	// business number with HTTP 429 and Graph error 130429, as Meta does
	// when a number's throughput is cut; what it accepts is reported as
	// Behavior says.
	Throttled
)

var modeNames = [...]string{"healthy", "down-5xx", "down-timeout", "down-refused", "silent", "throttled"}

// String returns the mode's name: healthy, down-5xx, down-timeout,
// down-refused, silent or throttled.
func (m Mode) String() string {
	if int(m) < len(modeNames) {
		return modeNames[m]
	}
	return fmt.Sprintf("Mode(%d)", uint8(m))
}

// ParseMode returns the mode with the given name.
func ParseMode(s string) (Mode, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	for i, n := range modeNames {
		if n == s {
			return Mode(i), nil
		}
	}
	return 0, fmt.Errorf("wasim: unknown mode %q (want %s)", s, strings.Join(modeNames[:], ", "))
}

// Number is one simulated business phone number.
type Number struct {
	PhoneNumberID      string // Meta's id of the number (digits), the path segment of sends
	DisplayPhoneNumber string // the number itself, digits ("15550783881"); metadata.display_phone_number
}

// Behavior is what the simulator does with traffic. It can be changed
// while the server runs (SetBehavior); the zero value answers at once and
// reports every message sent and delivered at once.
type Behavior struct {
	// Latency is how long a send waits before it is answered.
	Latency Dist
	// SentDelay is how long after the answer the "sent" status is due.
	SentDelay Dist
	// StatusDelay is how long after "sent" the "delivered" status is due.
	StatusDelay Dist
	// ReadShare is the share of delivered messages that are also read,
	// ReadDelay after "delivered".
	ReadShare float64
	ReadDelay Dist
	// ThrottleAbove is the most sends per second one business number
	// takes; past it sends are answered 429 with Graph error 130429. A
	// token bucket with one second's worth of burst. 0 means no limit.
	ThrottleAbove float64
	// NotOnWhatsApp reports, for a recipient's digits ("4477..."), that it
	// has no WhatsApp account: the send is answered 400 with Graph error
	// 131026. See Prefixes. nil means everyone is on WhatsApp.
	NotOnWhatsApp func(digits string) bool
	// UndeliverableAsStatus accepts sends to NotOnWhatsApp recipients with
	// a wamid and reports them with a "failed" status webhook carrying
	// 131026, as Meta mostly does, instead of refusing the send.
	UndeliverableAsStatus bool
}

// Prefixes returns a NotOnWhatsApp function that matches recipients
// starting with one of prefixes, written E.164 ("+4477") or as digits.
func Prefixes(prefixes ...string) func(digits string) bool {
	ps := make([]string, 0, len(prefixes))
	for _, p := range prefixes {
		if p = strings.TrimPrefix(strings.TrimSpace(p), "+"); p != "" {
			ps = append(ps, p)
		}
	}
	return func(d string) bool {
		for _, p := range ps {
			if strings.HasPrefix(d, p) {
				return true
			}
		}
		return false
	}
}

// Validate reports the first bad field by its name.
func (b Behavior) Validate() error {
	if !(b.ReadShare >= 0 && b.ReadShare <= 1) {
		return fmt.Errorf("wasim: ReadShare: %v is not between 0 and 1", b.ReadShare)
	}
	if !(b.ThrottleAbove >= 0) {
		return fmt.Errorf("wasim: ThrottleAbove: %v must not be negative", b.ThrottleAbove)
	}
	return nil
}

// Config configures a Server. Defaults are filled in by New.
type Config struct {
	// Addr is the TCP address to listen on; "127.0.0.1:0" if empty.
	Addr string
	// Version is the Graph API version in the path; "v23.0" if empty.
	Version string
	// Token is the access token sends must carry as a Bearer token.
	Token detour.Secret
	// AppSecret signs webhooks (X-Hub-Signature-256).
	AppSecret detour.Secret
	// WebhookURL is where status and inbound webhooks go (Detour's
	// /webhooks/whatsapp). Empty: nothing is posted, statuses are only
	// recorded in Messages. SetWebhookURL changes it at run time.
	WebhookURL string
	// BusinessAccountID is the WhatsApp Business Account id in entry[].id;
	// "102290129340398" if empty.
	BusinessAccountID string
	// Numbers are the business numbers; at least one.
	Numbers []Number
	// Mode is the mode the server starts in.
	Mode Mode
	// ThrottledRate is how many sends a second one business number takes
	// in Throttled mode (a token bucket with one second's worth of burst);
	// 0 means 1.
	ThrottledRate float64
	// Behavior is the initial behaviour; see SetBehavior.
	Behavior Behavior
	// OnDelivered, if set, is called with each message when its
	// "delivered" status comes due: the moment the handset shows it. It
	// is called from the server's one scheduling goroutine, after the
	// status is recorded and whether or not a webhook is posted, and must
	// not block for long.
	OnDelivered func(Message)

	// MaxBatch caps the statuses (and inbound messages) of one webhook
	// POST; 0 means 100.
	MaxBatch int
	// Posters is how many webhook POSTs may be in flight at once; 0
	// means 4.
	Posters int
	// MaxTries is how often one webhook POST is tried before it is
	// dropped and counted; 0 means 10.
	MaxTries int
	// RetryBase is the delay before the first retry of a failed POST,
	// doubled for each further one up to RetryMax; 0 means 1s and 5m.
	RetryBase, RetryMax time.Duration
	// MaxQueued caps the statuses and payloads waiting to be posted; past
	// it new ones are dropped and counted. 0 means 1,000,000.
	MaxQueued int
	// Keep is how many recent messages Messages keeps; 0 means 100,000.
	Keep int

	// HTTPClient posts webhooks; a client with a 10s timeout and its own
	// transport (closed by Stop) if nil.
	HTTPClient *http.Client
	Clock      detour.Clock // the real clock if nil
	Rand       *rand.Rand   // seeded from the clock if nil
	Logger     *slog.Logger // discards if nil
}

var (
	versionRe = regexp.MustCompile(`^v[0-9]{1,3}\.[0-9]{1,3}$`)
	digitsRe  = regexp.MustCompile(`^[0-9]{1,32}$`)
)

func (c *Config) setDefaults() {
	if c.Addr == "" {
		c.Addr = "127.0.0.1:0"
	}
	if c.Version == "" {
		c.Version = "v23.0"
	}
	if c.BusinessAccountID == "" {
		c.BusinessAccountID = "102290129340398"
	}
	if c.MaxBatch == 0 {
		c.MaxBatch = 100
	}
	if c.Posters == 0 {
		c.Posters = 4
	}
	if c.MaxTries == 0 {
		c.MaxTries = 10
	}
	if c.RetryBase == 0 {
		c.RetryBase = time.Second
	}
	if c.RetryMax == 0 {
		c.RetryMax = 5 * time.Minute
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
	c.Numbers = append([]Number(nil), c.Numbers...)
}

func (c *Config) validate() error {
	switch {
	case !versionRe.MatchString(c.Version):
		return fmt.Errorf("wasim: Version: %q does not look like v23.0", c.Version)
	case c.Token == "":
		return fmt.Errorf("wasim: Token: is required")
	case c.AppSecret == "":
		return fmt.Errorf("wasim: AppSecret: is required to sign webhooks")
	case !digitsRe.MatchString(c.BusinessAccountID):
		return fmt.Errorf("wasim: BusinessAccountID: must be digits")
	case len(c.Numbers) == 0:
		return fmt.Errorf("wasim: Numbers: at least one business number is required")
	case c.MaxBatch < 0 || c.Posters < 0 || c.MaxTries < 0 || c.MaxQueued < 0 || c.Keep < 0:
		return fmt.Errorf("wasim: MaxBatch, Posters, MaxTries, MaxQueued, Keep: must not be negative")
	case c.RetryBase < 0 || c.RetryMax < c.RetryBase:
		return fmt.Errorf("wasim: RetryBase, RetryMax: want 0 <= RetryBase <= RetryMax")
	case c.Mode > Throttled:
		return fmt.Errorf("wasim: Mode: unknown mode %d", c.Mode)
	case !(c.ThrottledRate > 0):
		return fmt.Errorf("wasim: ThrottledRate: %v must be positive", c.ThrottledRate)
	}
	if err := checkWebhookURL(c.WebhookURL); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, n := range c.Numbers {
		switch {
		case !digitsRe.MatchString(n.PhoneNumberID):
			return fmt.Errorf("wasim: Numbers[%d].PhoneNumberID: must be digits", i)
		case seen[n.PhoneNumberID]:
			return fmt.Errorf("wasim: Numbers[%d].PhoneNumberID: %s repeats", i, n.PhoneNumberID)
		case n.DisplayPhoneNumber != "" && !digitsRe.MatchString(strings.TrimPrefix(n.DisplayPhoneNumber, "+")):
			return fmt.Errorf("wasim: Numbers[%d].DisplayPhoneNumber: must be digits", i)
		}
		seen[n.PhoneNumberID] = true
	}
	return c.Behavior.Validate()
}

// checkWebhookURL accepts "" (post nothing) or an absolute http(s) URL.
func checkWebhookURL(u string) error {
	if u == "" {
		return nil
	}
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return fmt.Errorf("wasim: WebhookURL: must be an absolute http(s) URL")
	}
	return nil
}
