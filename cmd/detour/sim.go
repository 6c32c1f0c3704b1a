package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/sim/smsc"
	"github.com/detourhq/detour/smpp"
	"github.com/detourhq/detour/smpp/coding"
)

func newSim() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Run simulators of the systems Detour talks to, for demos, development and load tests",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newSimSMSC(), newSimWhatsApp())
	return cmd
}

// smscFlags are the flags of "detour sim smsc".
type smscFlags struct {
	addr, systemID, password, smscID    string
	delay, mode, idFormat, submitErrors string
	delivered, undeliverable, expired   float64
	throttle                            float64
	hexIDs, textOnly                    bool
	window, maxBinds                    int
	interval                            time.Duration
}

func newSimSMSC() *cobra.Command {
	var f smscFlags
	cmd := &cobra.Command{
		Use:   "smsc",
		Short: "Run a simulated operator SMSC (SMPP 3.4) until interrupted",
		Long: `Run an SMPP 3.4 server that behaves like an operator's SMSC: it binds one
account with its password, answers submit_sm with message ids, sends delivery
receipts after --receipt-delay with the given shares of delivered,
undeliverable and expired messages (the remainder never gets a receipt),
refuses a share of submits with chosen error codes, throttles past
--throttle submits a second, and can run --mode silent (accepts, never
reports), down (refuses connections) or throttled (refuses submits past one
a second with ESME_RTHROTTLED). Counters go to stderr every
--interval until SIGINT or SIGTERM.

--receipt-delay takes a duration (200ms), a uniform range (100ms-2s) or a
log-normal median~p99 (200ms~5s). --submit-errors takes status=share pairs
with the status in hex or decimal: 0x58=0.01,0x14=0.005.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.config()
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runSimSMSC(ctx, cmd.ErrOrStderr(), cfg, f.interval, nil)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", "127.0.0.1:2775", "address to listen on")
	fl.StringVar(&f.systemID, "system-id", "detour", "system_id the client binds with")
	fl.StringVar(&f.password, "password", "secret", "password the client binds with (at most 8 characters)")
	fl.StringVar(&f.smscID, "smsc-id", "detoursim", "the SMSC's own system_id in bind responses")
	fl.StringVar(&f.delay, "receipt-delay", "200ms", "receipt delay: 200ms, 100ms-2s (uniform) or 200ms~5s (log-normal median~p99)")
	fl.Float64Var(&f.delivered, "delivered", 0.97, "share of messages reported DELIVRD")
	fl.Float64Var(&f.undeliverable, "undeliverable", 0.02, "share of messages reported UNDELIV")
	fl.Float64Var(&f.expired, "expired", 0.01, "share of messages reported EXPIRED")
	fl.StringVar(&f.submitErrors, "submit-errors", "", "shares of submits refused, by status: 0x58=0.01,0x14=0.005")
	fl.Float64Var(&f.throttle, "throttle", 0, "submits a second per account above which the answer is ESME_RTHROTTLED (0: no limit)")
	fl.StringVar(&f.mode, "mode", "healthy", "healthy, silent (accept, never report), down (refuse connections) or throttled (one submit a second)")
	fl.StringVar(&f.idFormat, "id-format", "decimal", "message ids: decimal, hex, or hex-decimal (hex in submit_sm_resp, decimal in the receipt text)")
	fl.BoolVar(&f.hexIDs, "hex-ids", false, "same as --id-format hex")
	fl.BoolVar(&f.textOnly, "text-only-receipts", false, "send receipts without the receipted_message_id and message_state TLVs")
	fl.IntVar(&f.window, "window", 100, "deliver_sm sent to one bind and not yet answered, at most")
	fl.IntVar(&f.maxBinds, "max-binds", 8, "binds the account may hold at once")
	fl.DurationVar(&f.interval, "interval", 5*time.Second, "how often to print the counters")
	return cmd
}

// config turns the flags into a simulator configuration.
func (f smscFlags) config() (smsc.Config, error) {
	var cfg smsc.Config
	delay, err := smsc.ParseDist(f.delay)
	if err != nil {
		return cfg, fmt.Errorf("--receipt-delay: %w", err)
	}
	mode, err := smsc.ParseMode(f.mode)
	if err != nil {
		return cfg, fmt.Errorf("--mode: %w", err)
	}
	idf, err := smsc.ParseIDFormat(f.idFormat)
	if err != nil {
		return cfg, fmt.Errorf("--id-format: %w", err)
	}
	if f.hexIDs {
		idf = smsc.IDHex
	}
	errs, err := parseSubmitErrors(f.submitErrors)
	if err != nil {
		return cfg, fmt.Errorf("--submit-errors: %w", err)
	}
	if f.interval <= 0 {
		return cfg, fmt.Errorf("--interval: must be positive")
	}
	if f.window < 1 {
		return cfg, fmt.Errorf("--window: must be at least 1")
	}
	if f.maxBinds < 1 {
		return cfg, fmt.Errorf("--max-binds: must be at least 1")
	}
	cfg = smsc.Config{
		Addr: f.addr, SystemID: f.smscID,
		Accounts: []smsc.Account{{SystemID: f.systemID, Password: detour.Secret(f.password)}},
		MaxBinds: f.maxBinds, Window: f.window, IDFormat: idf, Mode: mode,
		Behavior: smsc.Behavior{
			ReceiptDelay: delay, Delivered: f.delivered, Undeliverable: f.undeliverable, Expired: f.expired,
			SubmitErrors: errs, ThrottleAbove: f.throttle, TextOnlyReceipts: f.textOnly,
		},
	}
	if f.delivered == 0 && f.undeliverable == 0 && f.expired == 0 {
		// All zero would mean "all delivered" in the package; on the
		// command line it can only mean the operator wants no receipts.
		return cfg, fmt.Errorf("--delivered, --undeliverable, --expired: all zero; use --mode silent for no receipts")
	}
	return cfg, nil
}

// parseSubmitErrors reads "0x58=0.01,20=0.005".
func parseSubmitErrors(s string) (map[smpp.Status]float64, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	out := map[smpp.Status]float64{}
	for _, pair := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok {
			return nil, fmt.Errorf("%q: want STATUS=SHARE", pair)
		}
		st, err := strconv.ParseUint(strings.TrimSpace(k), 0, 32)
		if err != nil {
			return nil, fmt.Errorf("%q: status: %v", pair, err)
		}
		share, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return nil, fmt.Errorf("%q: share: %v", pair, err)
		}
		out[smpp.Status(st)] += share
	}
	return out, nil
}

// runSimSMSC runs the simulator until ctx ends, printing its counters to
// progress every interval; started, if set, is called once it listens.
func runSimSMSC(ctx context.Context, progress io.Writer, cfg smsc.Config, interval time.Duration, started func(*smsc.Server)) error {
	cfg.Logger = slog.New(slog.NewTextHandler(progress, &slog.HandlerOptions{Level: slog.LevelInfo}))
	s, err := smsc.New(cfg)
	if err != nil {
		return err
	}
	if err := s.Start(ctx); err != nil {
		return err
	}
	fmt.Fprintf(progress, "SMSC simulator on %s (system_id %s, mode %s, receipts after %s, ids %s); Ctrl-C to stop\n",
		s.Addr(), cfg.Accounts[0].SystemID, s.Mode(), cfg.Behavior.ReceiptDelay, cfg.IDFormat)
	if started != nil {
		started(s)
	}
	return serveUntilDone(ctx, progress, interval, func() string { return formatCounters(s.Counters()) }, s.Stop)
}

// serveUntilDone prints a simulator's counters every interval until ctx
// ends, then stops the simulator and prints them once more.
func serveUntilDone(ctx context.Context, progress io.Writer, interval time.Duration, counters func() string, stop func(context.Context)) error {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			fmt.Fprintln(progress, counters())
		case <-ctx.Done():
			stopCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			stop(stopCtx)
			cancel()
			fmt.Fprintln(progress, counters())
			return nil
		}
	}
}

// formatCounters writes the counters on one line.
func formatCounters(c smsc.Counters) string {
	var b strings.Builder
	fmt.Fprintf(&b, "bound %d, submits %d", c.Bound, c.Submits)
	if len(c.SubmitResps) > 0 {
		b.WriteString(" (")
		writeCounts(&b, c.SubmitResps, "%s %d")
		b.WriteString(")")
	}
	b.WriteString(", receipts")
	for _, st := range []coding.State{coding.StateDelivered, coding.StateUndeliverable, coding.StateExpired} {
		fmt.Fprintf(&b, " %s %d", st, c.Receipts[st])
	}
	fmt.Fprintf(&b, ", none %d, redelivered %d, mo %d, scheduled %d, queued %d, outstanding %d",
		c.NoReceipt, c.Redeliveries, c.MO, c.Scheduled, c.Queued, c.Outstanding)
	if c.Malformed > 0 || c.Dropped > 0 {
		fmt.Fprintf(&b, ", malformed %d, dropped %d", c.Malformed, c.Dropped)
	}
	return b.String()
}

// writeCounts writes a map of counts in key order, each entry with format
// (key, count), separated by commas.
func writeCounts[K cmp.Ordered, V any](b *strings.Builder, m map[K]V, format string) {
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(b, format, k, m[k])
	}
}
