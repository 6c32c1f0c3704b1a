// Package config reads Detour's configuration: defaults, then a YAML file,
// then environment variables, then command-line flags, each overriding the
// one before. Defaults live in Default and nowhere else.
package config

import (
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/confmap"
	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/providers/structs"
	"github.com/knadh/koanf/v2"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/sandbox"
	"github.com/detourhq/detour/sms"
	"github.com/detourhq/detour/verify"
	"github.com/detourhq/detour/whatsapp"
)

// Config is the whole configuration.
type Config struct {
	Server   Server   `koanf:"server"`
	Log      Log      `koanf:"log"`
	Dispatch Dispatch `koanf:"dispatch"`
	Messages Messages `koanf:"messages"`
	Channels Channels `koanf:"channels"`
	Webhooks Webhooks `koanf:"webhooks"`
	Health   Health   `koanf:"health"`
	Verify   Verify   `koanf:"verify"`
}

// Health tunes the outage detector's recovery probing; its detection
// thresholds keep their defaults (package health).
type Health struct {
	// ProbeCooloff is how long a route that went down waits before real
	// messages probe it; each failed probe round doubles it up to
	// MaxCooloff.
	ProbeCooloff time.Duration `koanf:"probe_cooloff"`
	MaxCooloff   time.Duration `koanf:"max_cooloff"`
	// ProbeInterval is the least time between two probes of a route.
	ProbeInterval time.Duration `koanf:"probe_interval"`
}

// Webhooks configures the delivery of events to webhook endpoints and
// messages' callback_url.
type Webhooks struct {
	// AllowPrivateNetworks lets endpoints and callbacks be on loopback,
	// private, link-local and other special addresses (off: SSRF
	// protection). Flag: serve --allow-private-webhooks.
	AllowPrivateNetworks bool          `koanf:"allow_private_networks"`
	Timeout              time.Duration `koanf:"timeout"`            // one try, connect to answer
	MaxResponseBytes     int64         `koanf:"max_response_bytes"` // read of a receiver's answer
	Concurrency          int           `koanf:"concurrency"`        // tries in flight
	RetryWindow          time.Duration `koanf:"retry_window"`       // how long a delivery is retried
	// An endpoint that failed DisableFailures tries in a row over at
	// least DisableAfter is disabled.
	DisableAfter    time.Duration `koanf:"disable_after"`
	DisableFailures int           `koanf:"disable_failures"`
}

// Server is the HTTP server and the data directory.
type Server struct {
	Addr            string        `koanf:"addr"`
	Data            string        `koanf:"data"`
	MaxBodyBytes    int64         `koanf:"max_body_bytes"`
	RateLimit       float64       `koanf:"rate_limit"` // requests per second per API key
	RateBurst       int           `koanf:"rate_burst"`
	ShutdownTimeout time.Duration `koanf:"shutdown_timeout"`
}

// Log is the logger.
type Log struct {
	Level  string `koanf:"level"`  // debug, info, warn, error
	Format string `koanf:"format"` // json or text
}

// Dispatch tunes the dispatcher.
type Dispatch struct {
	Lease           time.Duration `koanf:"lease"`
	Concurrency     int           `koanf:"concurrency"`
	ClaimBatch      int           `koanf:"claim_batch"`
	PollInterval    time.Duration `koanf:"poll_interval"`
	SendTimeout     time.Duration `koanf:"send_timeout"`
	MaxTriesPerStep int           `koanf:"max_tries_per_step"`
	BackoffBase     time.Duration `koanf:"backoff_base"`
	BackoffMax      time.Duration `koanf:"backoff_max"`
}

// Messages holds defaults and limits for messages.
type Messages struct {
	DefaultPolicy   []Step        `koanf:"default_policy"`
	DefaultValidity time.Duration `koanf:"default_validity"`
	MaxValidity     time.Duration `koanf:"max_validity"`
	IdempotencyTTL  time.Duration `koanf:"idempotency_ttl"`
	// TemplateTexts renders a template as text for channels that carry
	// only text (SMS): template name → language → text with {{1}}, {{2}}
	// ... for its body parameters; language "" serves any other.
	TemplateTexts map[string]map[string]string `koanf:"template_texts"`
}

// Step is one step of the default policy.
type Step struct {
	Channel       string        `koanf:"channel"`
	Route         string        `koanf:"route"`
	FallbackAfter time.Duration `koanf:"fallback_after"`
}

// Verify configures verifications (one-time codes).
type Verify struct {
	// Secret keys the hashes and derivations of codes (at least 32
	// bytes). Unset, a random one is made once and kept in the data
	// directory's verify.key (mode 0600), so that restarts keep checking
	// the codes already sent. Changing it makes pending codes wrong.
	Secret detour.Secret `koanf:"secret"`
	// Channels is the default channel order. Channels that are not
	// configured are left out; with none left, the default policy's
	// channels are used (the sandbox with zero configuration).
	Channels []string `koanf:"channels"`
	// FallbackAfter is how long each channel but the last has to deliver
	// before the next one is tried. After WhatsApp it must cover the
	// template's time-to-live and a send: at least
	// whatsapp.template_ttl + dispatch.send_timeout.
	FallbackAfter time.Duration  `koanf:"fallback_after"`
	Expiry        time.Duration  `koanf:"expiry"`      // default validity of a code
	CodeLength    int            `koanf:"code_length"` // default digits of a code
	Locale        string         `koanf:"locale"`      // default language of the texts
	Brand         string         `koanf:"brand"`       // default brand before the SMS text, "" for none
	WhatsApp      VerifyWhatsApp `koanf:"whatsapp"`
	Limits        verify.Limits  `koanf:"limits"`
}

// VerifyWhatsApp is the authentication template verifications send on
// WhatsApp. It is registered at Meta (category AUTHENTICATION, a copy-code
// button, in each language used) with message_send_ttl_seconds equal to
// TemplateTTL: WhatsApp's time-to-live is set on the template, not per
// message, so Detour cannot set it and checks instead that the fallback
// window outlasts it, so that a late WhatsApp delivery cannot follow the
// SMS.
type VerifyWhatsApp struct {
	Template    string        `koanf:"template"`
	TemplateTTL time.Duration `koanf:"template_ttl"`
}

// Channels configures the channels.
type Channels struct {
	Sandbox  Sandbox  `koanf:"sandbox"`
	SMS      SMS      `koanf:"sms"`
	WhatsApp WhatsApp `koanf:"whatsapp"`
}

// WhatsApp configures the WhatsApp Cloud API channel. With no numbers it is
// off. The webhook is served at /webhooks/whatsapp.
type WhatsApp struct {
	BaseURL     string           `koanf:"base_url"`
	Version     string           `koanf:"version"`
	Token       detour.Secret    `koanf:"token"`
	AppSecret   detour.Secret    `koanf:"app_secret"`
	VerifyToken detour.Secret    `koanf:"verify_token"`
	Numbers     []WhatsAppNumber `koanf:"numbers"`
}

// WhatsAppNumber is one business number: a route of the channel.
type WhatsAppNumber struct {
	Name          string  `koanf:"name"`
	PhoneNumberID string  `koanf:"phone_number_id"`
	Throughput    float64 `koanf:"throughput"`
}

// Client returns the whatsapp package's configuration.
func (w WhatsApp) Client() whatsapp.Config {
	c := whatsapp.Config{BaseURL: w.BaseURL, Version: w.Version, Token: w.Token, AppSecret: w.AppSecret, VerifyToken: w.VerifyToken}
	for _, n := range w.Numbers {
		c.Numbers = append(c.Numbers, whatsapp.Number{Name: n.Name, PhoneNumberID: n.PhoneNumberID, Throughput: n.Throughput})
	}
	return c
}

// SMS configures the SMS channel: its operator routes over SMPP.
type SMS struct {
	Routes []sms.RouteConfig `koanf:"routes"`
}

// Sandbox configures the development channel.
type Sandbox struct {
	Enabled bool                  `koanf:"enabled"`
	Routes  []sandbox.RouteConfig `koanf:"routes"`
}

// Default returns the configuration used when nothing else is said: a
// server on 127.0.0.1:8080 keeping its data in ./detour-data, sending
// through the sandbox channel.
func Default() Config {
	return Config{
		Server: Server{
			Addr:            "127.0.0.1:8080",
			Data:            "./detour-data",
			MaxBodyBytes:    64 << 10,
			RateLimit:       1000,
			RateBurst:       2000,
			ShutdownTimeout: 30 * time.Second,
		},
		Log: Log{Level: "info", Format: "json"},
		Dispatch: Dispatch{
			Lease:           30 * time.Second,
			Concurrency:     512,
			ClaimBatch:      256,
			PollInterval:    time.Second,
			SendTimeout:     10 * time.Second,
			MaxTriesPerStep: 5,
			BackoffBase:     time.Second,
			BackoffMax:      time.Minute,
		},
		Messages: Messages{
			DefaultPolicy:   []Step{{Channel: sandbox.Name}},
			DefaultValidity: 24 * time.Hour,
			MaxValidity:     72 * time.Hour,
			IdempotencyTTL:  24 * time.Hour,
		},
		Health: Health{ProbeCooloff: 5 * time.Second, MaxCooloff: 30 * time.Second, ProbeInterval: time.Second},
		Webhooks: Webhooks{
			Timeout:          10 * time.Second,
			MaxResponseBytes: 64 << 10,
			Concurrency:      64,
			RetryWindow:      24 * time.Hour,
			DisableAfter:     5 * 24 * time.Hour,
			DisableFailures:  20,
		},
		Channels: Channels{Sandbox: Sandbox{
			Enabled: true,
			Routes:  []sandbox.RouteConfig{{Name: "default", ReceiptDelay: 20 * time.Millisecond}},
		}},
		Verify: Verify{
			Channels:      []string{whatsapp.Channel, sms.Name},
			FallbackAfter: 40 * time.Second,
			Expiry:        10 * time.Minute,
			CodeLength:    6,
			Locale:        "en",
			WhatsApp:      VerifyWhatsApp{Template: "verification_code", TemplateTTL: 30 * time.Second},
			Limits: verify.Limits{
				PerNumber: verify.Limit{Max: 5, Window: 10 * time.Minute},
				PerTenant: verify.Limit{Max: 6000, Window: time.Minute},
				Prefix:    verify.PrefixLimit{Digits: 8, MaxNumbers: 20, Window: time.Hour},
			},
		},
	}
}

// EnvPrefix starts every environment variable Detour reads. A double
// underscore separates levels: DETOUR_DISPATCH__SEND_TIMEOUT=5s sets
// dispatch.send_timeout. DETOUR_ADDR and DETOUR_DATA are short forms of
// DETOUR_SERVER__ADDR and DETOUR_SERVER__DATA.
const EnvPrefix = "DETOUR_"

// Load builds the configuration from the defaults, the YAML file at path
// (none if empty), the environment (environ in os.Environ form) and
// overrides (koanf paths such as "server.addr", from flags), then validates
// it.
func Load(path string, environ []string, overrides map[string]any) (Config, error) {
	k := koanf.New(".")
	if err := k.Load(structs.Provider(Default(), "koanf"), nil); err != nil {
		return Config{}, fmt.Errorf("config: defaults: %w", err)
	}
	if path != "" {
		if _, err := os.Stat(path); err != nil {
			return Config{}, fmt.Errorf("config: %w", err)
		}
		if err := k.Load(file.Provider(path), yaml.Parser()); err != nil {
			return Config{}, fmt.Errorf("config: %s: %w", path, err)
		}
	}
	envMap := map[string]any{}
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, EnvPrefix) {
			continue
		}
		key := envKey(strings.TrimPrefix(name, EnvPrefix))
		if key != "" {
			envMap[key] = value
		}
	}
	if err := k.Load(confmap.Provider(envMap, "."), nil); err != nil {
		return Config{}, fmt.Errorf("config: environment: %w", err)
	}
	if len(overrides) > 0 {
		if err := k.Load(confmap.Provider(overrides, "."), nil); err != nil {
			return Config{}, fmt.Errorf("config: flags: %w", err)
		}
	}
	var c Config
	if err := k.UnmarshalWithConf("", &c, koanf.UnmarshalConf{Tag: "koanf"}); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	c.fillDefaults()
	return c, c.Validate()
}

// fillDefaults sets what the file may leave out of list entries, which
// the struct defaults above cannot reach (each SMS route's tunables).
func (c *Config) fillDefaults() {
	for i := range c.Channels.SMS.Routes {
		c.Channels.SMS.Routes[i] = c.Channels.SMS.Routes[i].WithDefaults()
	}
}

// envKey maps an environment name without the prefix to a koanf path.
func envKey(name string) string {
	switch name {
	case "ADDR":
		return "server.addr"
	case "DATA":
		return "server.data"
	case "CONFIG", "URL", "API_KEY", "TEST_POSTGRES":
		return "" // read by the CLI and the tests, not configuration
	}
	if !strings.Contains(name, "__") {
		return ""
	}
	return strings.ToLower(strings.ReplaceAll(name, "__", "."))
}

// Validate checks every field and names the first bad one.
func (c *Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config: %s: %s", field, fmt.Sprintf(format, args...)))
	}
	if _, _, err := net.SplitHostPort(c.Server.Addr); err != nil {
		bad("server.addr", "%q is not host:port", c.Server.Addr)
	}
	if c.Server.Data == "" {
		bad("server.data", "is required")
	}
	if c.Server.MaxBodyBytes < 1024 || c.Server.MaxBodyBytes > 16<<20 {
		bad("server.max_body_bytes", "must be between 1 KiB and 16 MiB")
	}
	if c.Server.RateLimit <= 0 {
		bad("server.rate_limit", "must be positive")
	}
	if c.Server.RateBurst < 1 {
		bad("server.rate_burst", "must be at least 1")
	}
	if c.Server.ShutdownTimeout <= 0 {
		bad("server.shutdown_timeout", "must be positive")
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "must be debug, info, warn or error")
	}
	if c.Log.Format != "json" && c.Log.Format != "text" {
		bad("log.format", "must be json or text")
	}
	d := c.Dispatch
	if d.Lease < time.Second {
		bad("dispatch.lease", "must be at least 1s")
	}
	if d.SendTimeout <= 0 || d.SendTimeout >= d.Lease {
		bad("dispatch.send_timeout", "must be positive and shorter than dispatch.lease")
	}
	if d.Concurrency < 1 || d.Concurrency > 100000 {
		bad("dispatch.concurrency", "must be between 1 and 100000")
	}
	if d.ClaimBatch < 1 || d.ClaimBatch > 10000 {
		bad("dispatch.claim_batch", "must be between 1 and 10000")
	}
	if d.PollInterval < time.Millisecond {
		bad("dispatch.poll_interval", "must be at least 1ms")
	}
	if d.MaxTriesPerStep < 1 {
		bad("dispatch.max_tries_per_step", "must be at least 1")
	}
	if d.BackoffBase <= 0 || d.BackoffMax < d.BackoffBase {
		bad("dispatch.backoff_base", "must be positive and at most dispatch.backoff_max")
	}
	m := c.Messages
	if len(m.DefaultPolicy) == 0 {
		bad("messages.default_policy", "needs at least one step")
	}
	if m.MaxValidity < time.Second {
		bad("messages.max_validity", "must be at least 1s")
	}
	if m.DefaultValidity < time.Second || m.DefaultValidity > m.MaxValidity {
		bad("messages.default_validity", "must be between 1s and messages.max_validity")
	}
	if m.IdempotencyTTL < 24*time.Hour {
		bad("messages.idempotency_ttl", "must be at least 24h")
	}
	if h := c.Health; h.ProbeCooloff < 100*time.Millisecond || h.MaxCooloff < h.ProbeCooloff || h.ProbeInterval < 10*time.Millisecond {
		bad("health", "probe_cooloff must be at least 100ms, max_cooloff at least probe_cooloff, probe_interval at least 10ms")
	}
	wh := c.Webhooks
	if wh.Timeout < 100*time.Millisecond || wh.Timeout > time.Minute {
		bad("webhooks.timeout", "must be between 100ms and 1m")
	}
	if wh.MaxResponseBytes < 1 {
		bad("webhooks.max_response_bytes", "must be positive")
	}
	if wh.Concurrency < 1 || wh.Concurrency > 10000 {
		bad("webhooks.concurrency", "must be between 1 and 10000")
	}
	if wh.RetryWindow < 24*time.Hour {
		bad("webhooks.retry_window", "must be at least 24h")
	}
	if wh.DisableAfter < time.Hour {
		bad("webhooks.disable_after", "must be at least 1h")
	}
	if wh.DisableFailures < 1 {
		bad("webhooks.disable_failures", "must be at least 1")
	}
	if len(c.Channels.WhatsApp.Numbers) > 0 {
		if err := c.Channels.WhatsApp.Client().WithDefaults().Validate(); err != nil {
			errs = append(errs, fmt.Errorf("config: %w", err))
		}
	}
	errs = append(errs, c.Verify.validate(c.Dispatch, len(c.Channels.WhatsApp.Numbers) > 0)...)
	names := map[string]bool{}
	for i, r := range c.Channels.SMS.Routes {
		if err := r.WithDefaults().Validate(i); err != nil {
			errs = append(errs, fmt.Errorf("config: %w", err))
		} else if names[r.Name] {
			bad(fmt.Sprintf("channels.sms.routes[%d].name", i), "%q repeats", r.Name)
		}
		names[r.Name] = true
	}
	return errors.Join(errs...)
}

// Policy returns the default policy as core steps.
func (m Messages) Policy() []detour.Step {
	out := make([]detour.Step, len(m.DefaultPolicy))
	for i, s := range m.DefaultPolicy {
		out[i] = detour.Step{Channel: s.Channel, Route: s.Route, FallbackAfter: detour.Duration(s.FallbackAfter)}
	}
	return out
}

// validate checks the verification settings; errors name the field.
func (v Verify) validate(d Dispatch, whatsAppOn bool) []error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config: verify.%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if s := v.Secret.Reveal(); s != "" && len(s) < verify.MinSecretLength {
		bad("secret", "must be at least %d bytes (or unset: a random one is kept in the data directory)", verify.MinSecretLength)
	}
	seen := map[string]bool{}
	for _, ch := range v.Channels {
		if ch == "" || seen[ch] {
			bad("channels", "names each channel once")
		}
		seen[ch] = true
	}
	if len(v.Channels) == 0 || len(v.Channels) > verify.MaxChannels {
		bad("channels", "needs 1 to %d channels", verify.MaxChannels)
	}
	if v.Expiry < verify.MinExpiry || v.Expiry > verify.MaxExpiry {
		bad("expiry", "must be between %s and %s", verify.MinExpiry, verify.MaxExpiry)
	}
	if v.CodeLength < detour.MinCodeLength || v.CodeLength > detour.MaxCodeLength {
		bad("code_length", "must be between %d and %d", detour.MinCodeLength, detour.MaxCodeLength)
	}
	if v.Locale == "" {
		bad("locale", "is required (en, es, fr, de or pt)")
	}
	if len([]rune(v.Brand)) > verify.MaxBrandLength {
		bad("brand", "is at most %d characters", verify.MaxBrandLength)
	}
	if v.WhatsApp.Template == "" || strings.Trim(v.WhatsApp.Template, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
		bad("whatsapp.template", "is a template name: lowercase letters, digits and underscores")
	}
	// Meta's range of message_send_ttl_seconds for authentication
	// templates.
	if v.WhatsApp.TemplateTTL < 30*time.Second || v.WhatsApp.TemplateTTL > 15*time.Minute {
		bad("whatsapp.template_ttl", "must be between 30s and 15m, the template's message_send_ttl_seconds")
	}
	if v.FallbackAfter < time.Second {
		bad("fallback_after", "must be at least 1s")
	}
	// A request may put WhatsApp before another channel whatever the
	// default order: with WhatsApp configured at all, the rule holds.
	if (whatsAppOn || slices.Contains(v.Channels, whatsapp.Channel)) && v.FallbackAfter < v.WhatsApp.TemplateTTL+d.SendTimeout {
		bad("fallback_after", "must be at least verify.whatsapp.template_ttl + dispatch.send_timeout (%s), so that WhatsApp "+
			"gives up a message before the next channel sends", v.WhatsApp.TemplateTTL+d.SendTimeout)
	}
	if err := v.Limits.Validate("verify.limits"); err != nil {
		errs = append(errs, fmt.Errorf("config: %w", err))
	}
	return errs
}
