package whatsapp

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"time"

	"github.com/detourhq/detour"
)

// Defaults.
const (
	DefaultBaseURL    = "https://graph.facebook.com"
	DefaultVersion    = "v23.0"
	DefaultThroughput = 80 // messages per second per business number (Meta's default)
	DefaultTimeout    = 30 * time.Second
)

// Config configures the Cloud API client and the webhook handler. The
// token, app secret and verify token are detour.Secret: they never print,
// and this package never puts them into an error or a log line.
type Config struct {
	BaseURL     string        // Graph API base URL; DefaultBaseURL if empty
	Version     string        // Graph API version; DefaultVersion if empty
	Token       detour.Secret // system-user access token, sent as a Bearer token
	AppSecret   detour.Secret // the Meta app's secret, the key of X-Hub-Signature-256
	VerifyToken detour.Secret // the token Meta echoes in the GET verification handshake
	// HTTPClient sends requests; a client with DefaultTimeout if nil. The
	// context given to Send bounds each request as well.
	HTTPClient *http.Client
	Numbers    []Number     // the business numbers, one route each
	Clock      detour.Clock // SystemClock if nil
	Logger     *slog.Logger // discards if nil
	// LastInbound tells when the user last wrote to a business number
	// (route), which opens the 24-hour customer-service window for
	// free-form messages. nil leaves the window to Meta, which refuses a
	// free-form message outside it with 131047.
	LastInbound func(ctx context.Context, route, user string) (at time.Time, ok bool, err error)
}

// Number is one WhatsApp business phone number: a route of the channel.
type Number struct {
	Name          string  // the route name policies use
	PhoneNumberID string  // Meta's phone number id (digits), not the phone number
	Throughput    float64 // messages per second; DefaultThroughput if 0
}

// WithDefaults returns c with every unset field at its default.
func (c Config) WithDefaults() Config {
	if c.BaseURL == "" {
		c.BaseURL = DefaultBaseURL
	}
	if c.Version == "" {
		c.Version = DefaultVersion
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: DefaultTimeout}
	}
	if c.Clock == nil {
		c.Clock = detour.SystemClock{}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	c.Numbers = append([]Number(nil), c.Numbers...)
	for i := range c.Numbers {
		if c.Numbers[i].Throughput == 0 {
			c.Numbers[i].Throughput = DefaultThroughput
		}
	}
	return c
}

var (
	versionRe = regexp.MustCompile(`^v[0-9]{1,3}\.[0-9]{1,3}$`)
	digitsRe  = regexp.MustCompile(`^[0-9]{1,32}$`)
)

// Validate names the first bad field, in configuration-file form
// (channels.whatsapp.numbers[1].phone_number_id). It never prints a secret.
func (c Config) Validate() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("channels.whatsapp.%s: %s", field, fmt.Sprintf(format, args...))
	}
	u, err := url.Parse(c.BaseURL)
	switch {
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil:
		return bad("base_url", "must be an absolute http(s) URL without credentials")
	case !versionRe.MatchString(c.Version):
		return bad("version", "must look like v23.0")
	case c.Token == "":
		return bad("token", "is required")
	case c.AppSecret == "":
		return bad("app_secret", "is required to verify webhook signatures")
	case c.VerifyToken == "":
		return bad("verify_token", "is required for the webhook verification handshake")
	case len(c.Numbers) == 0:
		return bad("numbers", "at least one business number is required")
	}
	names, ids := map[string]bool{}, map[string]bool{}
	for i, n := range c.Numbers {
		switch {
		case n.Name == "":
			return bad(fmt.Sprintf("numbers[%d].name", i), "is required")
		case names[n.Name]:
			return bad(fmt.Sprintf("numbers[%d].name", i), "%q repeats", n.Name)
		case !digitsRe.MatchString(n.PhoneNumberID):
			return bad(fmt.Sprintf("numbers[%d].phone_number_id", i), "must be Meta's numeric phone number id")
		case ids[n.PhoneNumberID]:
			return bad(fmt.Sprintf("numbers[%d].phone_number_id", i), "%s repeats", n.PhoneNumberID)
		case n.Throughput < 0:
			return bad(fmt.Sprintf("numbers[%d].throughput", i), "must not be negative")
		}
		names[n.Name], ids[n.PhoneNumberID] = true, true
	}
	return nil
}

// routeOf returns the route name of a phone number id, and whether it is
// one of ours.
func routeOf(numbers []Number, phoneNumberID string) (string, bool) {
	for _, n := range numbers {
		if n.PhoneNumberID == phoneNumberID {
			return n.Name, true
		}
	}
	return "", false
}
