package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/sim/smsc"
	wasim "github.com/detourhq/detour/sim/whatsapp"
)

// waFlags are the flags of "detour sim whatsapp".
type waFlags struct {
	addr, webhookURL, token, appSecret, version string
	pnids, displays, notOnWA                    []string
	latency, sentDelay, statusDelay, readDelay  string
	mode                                        string
	readShare, throttle                         float64
	undeliverableAsStatus                       bool
	interval                                    time.Duration
}

func newSimWhatsApp() *cobra.Command {
	var f waFlags
	cmd := &cobra.Command{
		Use:   "whatsapp",
		Short: "Run a simulated WhatsApp Cloud API until interrupted",
		Long: `Run an HTTP server that behaves like the WhatsApp Business Cloud API: it
answers POST /{version}/{phone-number-id}/messages with wamids or Graph error
objects, and posts signed status webhooks (sent, delivered, read for
--read-share of messages) to --webhook-url. --mode healthy, down-5xx,
down-timeout, down-refused, silent (accepts, reports sent, never
delivered) or throttled (one send a second per number, then 130429). Counters go to stderr every --interval until SIGINT or SIGTERM.

Delays take a duration (200ms), a uniform range (100ms-2s) or a log-normal
median~p99 (200ms~5s). The token and app secret may come from the
environment instead (DETOUR_SIM_WHATSAPP_TOKEN, DETOUR_SIM_WHATSAPP_APP_SECRET);
they are never printed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, interval, err := f.config()
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runSimWhatsApp(ctx, cmd.ErrOrStderr(), cfg, interval, nil)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", "127.0.0.1:8082", "address to listen on")
	fl.StringVar(&f.webhookURL, "webhook-url", "http://127.0.0.1:8080/webhooks/whatsapp", "where to post webhooks (empty: post none)")
	fl.StringVar(&f.token, "token", "", "access token sends must carry (or DETOUR_SIM_WHATSAPP_TOKEN)")
	fl.StringVar(&f.appSecret, "app-secret", "", "app secret that signs webhooks (or DETOUR_SIM_WHATSAPP_APP_SECRET)")
	fl.StringVar(&f.version, "version", "v23.0", "Graph API version in the path")
	fl.StringSliceVar(&f.pnids, "phone-number-id", []string{"106540352242922"}, "business phone number ids (repeat or comma-separate)")
	fl.StringSliceVar(&f.displays, "display-phone-number", nil, "the numbers themselves, in the order of --phone-number-id (default 1555000000N)")
	fl.StringVar(&f.latency, "latency", "0s", "send answer latency")
	fl.StringVar(&f.sentDelay, "sent-delay", "0s", "delay of the sent status after the answer")
	fl.StringVar(&f.statusDelay, "status-delay", "200ms", "delay of the delivered status after sent")
	fl.StringVar(&f.readDelay, "read-delay", "1s", "delay of the read status after delivered")
	fl.Float64Var(&f.readShare, "read-share", 0, "share of delivered messages that are read")
	fl.StringVar(&f.mode, "mode", "healthy", "healthy, down-5xx, down-timeout, down-refused, silent or throttled")
	fl.Float64Var(&f.throttle, "throttle", 0, "sends a second per number above which the answer is 130429 (0: no limit)")
	fl.StringSliceVar(&f.notOnWA, "not-on-whatsapp", nil, "recipient prefixes that are not on WhatsApp (131026), e.g. +4477")
	fl.BoolVar(&f.undeliverableAsStatus, "undeliverable-as-status", false, "accept sends to --not-on-whatsapp numbers and report a failed status instead")
	fl.DurationVar(&f.interval, "interval", 5*time.Second, "how often to print the counters")
	return cmd
}

// config turns the flags into a simulator configuration.
func (f waFlags) config() (wasim.Config, time.Duration, error) {
	var cfg wasim.Config
	var lat, sent, st, rd smsc.Dist
	for _, d := range []struct {
		flag, v string
		to      *smsc.Dist
	}{{"--latency", f.latency, &lat}, {"--sent-delay", f.sentDelay, &sent}, {"--status-delay", f.statusDelay, &st}, {"--read-delay", f.readDelay, &rd}} {
		v, err := smsc.ParseDist(d.v)
		if err != nil {
			return cfg, 0, fmt.Errorf("%s: %w", d.flag, err)
		}
		*d.to = v
	}
	mode, err := wasim.ParseMode(f.mode)
	if err != nil {
		return cfg, 0, fmt.Errorf("--mode: %w", err)
	}
	if f.interval <= 0 {
		return cfg, 0, fmt.Errorf("--interval: must be positive")
	}
	token, secret := f.token, f.appSecret
	if token == "" {
		token = os.Getenv("DETOUR_SIM_WHATSAPP_TOKEN")
	}
	if secret == "" {
		secret = os.Getenv("DETOUR_SIM_WHATSAPP_APP_SECRET")
	}
	if token == "" {
		return cfg, 0, fmt.Errorf("--token: is required (or DETOUR_SIM_WHATSAPP_TOKEN)")
	}
	if secret == "" {
		return cfg, 0, fmt.Errorf("--app-secret: is required (or DETOUR_SIM_WHATSAPP_APP_SECRET)")
	}
	if len(f.displays) > len(f.pnids) {
		return cfg, 0, fmt.Errorf("--display-phone-number: more numbers than --phone-number-id")
	}
	var numbers []wasim.Number
	for i, id := range f.pnids {
		n := wasim.Number{PhoneNumberID: strings.TrimSpace(id), DisplayPhoneNumber: fmt.Sprintf("1555000%04d", i)}
		if i < len(f.displays) {
			n.DisplayPhoneNumber = strings.TrimPrefix(strings.TrimSpace(f.displays[i]), "+")
		}
		numbers = append(numbers, n)
	}
	b := wasim.Behavior{Latency: lat, SentDelay: sent, StatusDelay: st, ReadDelay: rd, ReadShare: f.readShare,
		ThrottleAbove: f.throttle, UndeliverableAsStatus: f.undeliverableAsStatus}
	if len(f.notOnWA) > 0 {
		b.NotOnWhatsApp = wasim.Prefixes(f.notOnWA...)
	}
	cfg = wasim.Config{Addr: f.addr, Version: f.version, Token: detour.Secret(token), AppSecret: detour.Secret(secret),
		WebhookURL: f.webhookURL, Numbers: numbers, Mode: mode, Behavior: b}
	return cfg, f.interval, nil
}

// runSimWhatsApp runs the simulator until ctx ends, printing its counters
// to progress every interval; started, if set, is called once it listens.
func runSimWhatsApp(ctx context.Context, progress io.Writer, cfg wasim.Config, interval time.Duration, started func(*wasim.Server)) error {
	cfg.Logger = slog.New(slog.NewTextHandler(progress, &slog.HandlerOptions{Level: slog.LevelInfo}))
	s, err := wasim.New(cfg)
	if err != nil {
		return err
	}
	if err := s.Start(ctx); err != nil {
		return err
	}
	ids := make([]string, len(cfg.Numbers))
	for i, n := range cfg.Numbers {
		ids[i] = n.PhoneNumberID
	}
	hook := cfg.WebhookURL
	if hook == "" {
		hook = "(none)"
	}
	fmt.Fprintf(progress, "WhatsApp Cloud API simulator on %s/%s (numbers %s, mode %s, latency %s, delivered after %s, webhooks to %s); Ctrl-C to stop\n",
		s.URL(), cfg.Version, strings.Join(ids, ","), s.Mode(), cfg.Behavior.Latency, cfg.Behavior.StatusDelay, hook)
	if started != nil {
		started(s)
	}
	return serveUntilDone(ctx, progress, interval, func() string { return formatWACounters(s.Counters()) }, s.Stop)
}

// formatWACounters writes the counters on one line.
func formatWACounters(c wasim.Counters) string {
	var b strings.Builder
	fmt.Fprintf(&b, "requests %d, accepted %d", c.Requests, c.Accepted)
	if len(c.Errors) > 0 {
		b.WriteString(", errors (")
		writeCounts(&b, c.Errors, "%d: %d")
		b.WriteString(")")
	}
	b.WriteString(", statuses posted")
	for _, st := range []string{"sent", "delivered", "read", "failed"} {
		fmt.Fprintf(&b, " %s %d/%d", st, c.Posted[st], c.Statuses[st])
	}
	fmt.Fprintf(&b, ", posts %d, failed posts %d, given up %d, inbound %d/%d, queued %d",
		c.Posts, c.PostFailures, c.PostsDropped, c.InboundPosted, c.Inbound, c.Queued)
	if c.Held > 0 || c.Silenced > 0 || c.Dropped > 0 {
		fmt.Fprintf(&b, ", held %d, silenced %d, dropped %d", c.Held, c.Silenced, c.Dropped)
	}
	return b.String()
}
