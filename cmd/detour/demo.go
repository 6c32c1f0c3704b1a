package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/detourhq/detour/api"
	"github.com/detourhq/detour/config"
	"github.com/detourhq/detour/drill"
)

// demoOptions are the flags of "detour demo".
type demoOptions struct {
	rate                                       float64
	before, silent, down, after, fallbackAfter time.Duration
}

func defaultDemo() demoOptions {
	return demoOptions{rate: 20, before: 5 * time.Second, silent: 12 * time.Second, down: 6 * time.Second,
		after: 8 * time.Second, fallbackAfter: 3 * time.Second}
}

func newDemo() *cobra.Command {
	o := defaultDemo()
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run a server on a simulated world, break WhatsApp, and watch messages fall back to SMS",
		Long: `Start a Detour server on a fresh data directory whose channels are the
built-in simulators (a WhatsApp Cloud API and two operator SMSCs, real
protocols on loopback), with the policy WhatsApp, then SMS after
--fallback-after without a delivery receipt. Send steady OTP traffic while
WhatsApp goes silent (accepts and never delivers, as on 25 October 2022),
then fails outright, then recovers, and one SMSC throttles meanwhile. A
short run of "detour drill whatsapp-outage": it prints what the outage
detector saw, per phase how many messages reached their phones on which
channel and how fast, and what one phone received. Needs no configuration
and no credentials; takes about 40 seconds.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := runDemo(cmd.Context(), cmd.OutOrStdout(), o)
			return err
		},
	}
	cmd.Flags().Float64Var(&o.rate, "rate", o.rate, "messages per second")
	cmd.Flags().DurationVar(&o.fallbackAfter, "fallback-after", o.fallbackAfter, "how long WhatsApp has to deliver before SMS is tried")
	cmd.Flags().DurationVar(&o.silent, "silent", o.silent, "how long WhatsApp stays silent")
	return cmd
}

func runDemo(ctx context.Context, out io.Writer, o demoOptions) (*drill.Report, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	fmt.Fprintln(out, "Detour demo: a Detour server on a simulated world (a WhatsApp Cloud API and two SMSCs,")
	fmt.Fprintln(out, "real protocols on loopback), steady OTP traffic, policy WhatsApp then SMS after", o.fallbackAfter)
	fmt.Fprintln(out, "(the detector probes a route that is down every few seconds here; in production the cool-off grows to 30 s)")
	fmt.Fprintln(out)
	rep, err := drill.Run(ctx, drill.Options{Rate: o.rate, Before: o.before, Silent: o.silent, Down: o.down, After: o.after,
		FallbackAfter: o.fallbackAfter, Progress: out, Tune: func(c *config.Config) {
			c.Health.ProbeCooloff, c.Health.MaxCooloff = time.Second, 3*time.Second
		}})
	if err != nil {
		return nil, err
	}
	printDrill(out, rep)
	if s, ok := rep.Samples[drill.Silent]; ok && s.Message != nil {
		fmt.Fprintf(out, "\nWhat one phone received (GET /v1/sim/handsets/%s):\n", s.Message.To)
		for _, r := range s.Handset {
			fmt.Fprintf(out, "  %8s  %-8s %-8s from %-12s %s\n", fmt.Sprintf("+%.2fs", r.At.Sub(s.Accepted).Seconds()), r.Channel, r.Route, r.From, r.Text)
		}
		fmt.Fprintf(out, "\nIts message, sent while WhatsApp was silent (GET /v1/messages/%s): %s via %s\n", s.Message.ID, s.Message.Status, s.Message.Channel)
		printTrail(out, s.Message)
	}
	if rep.Lost > 0 {
		return rep, fmt.Errorf("%d of %d messages never reached their phone", rep.Lost, rep.Sent)
	}
	return rep, nil
}

// printDrill prints a drill's report for people.
func printDrill(out io.Writer, rep *drill.Report) {
	fmt.Fprintf(out, "\n%-8s %5s %10s %12s %7s %13s %13s\n", "phase", "sent", "delivered", "on whatsapp", "on sms", "p50 to phone", "p99 to phone")
	for _, p := range drill.Phases {
		by := rep.ByPhaseChannel[p]
		fmt.Fprintf(out, "%-8s %5d %10d %12d %7d %12.2fs %12.2fs\n", p, rep.SentByPhase[p], by["whatsapp"]+by["sms"],
			by["whatsapp"], by["sms"], rep.P50DeliverS[p], rep.P99DeliverS[p])
	}
	fmt.Fprintf(out, "\nsent %d, delivered %d, lost %d, duplicates %d\n", rep.Sent, rep.Delivered, rep.Lost, rep.Duplicates)
	hard := "down after " + secs(rep.HardDetectS)
	if rep.HardAlreadyDown {
		hard = "already down (a probe met the hard failure after " + secs(rep.HardSeenS) + ")"
	}
	fmt.Fprintf(out, "silent outage detected after %s from the missing receipts; when WhatsApp failed outright it was %s;\n"+
		"recovery seen after %s\n", secs(rep.SilentDetectS), hard, secs(rep.RecoverDetectS))
	if rep.P99DetectedS != nil {
		fmt.Fprintf(out, "p99 time to phone while the outage was known: %.2fs\n", *rep.P99DetectedS)
	}
	if len(rep.Transitions) > 0 {
		fmt.Fprintln(out, "\nThe WhatsApp route as the detector saw it (GET /v1/channels, last transitions):")
		for _, t := range rep.Transitions {
			fmt.Fprintf(out, "  %s  %-8s → %-8s %s\n", t.At.Format("15:04:05.000"), t.From, t.To, t.Reason)
		}
	}
}

func secs(p *float64) string {
	if p == nil {
		return "(not seen)"
	}
	return fmt.Sprintf("%.1fs", *p)
}

// printTrail prints a message's attempts, each with its status history
// relative to when the message was accepted.
func printTrail(out io.Writer, m *api.Message) {
	for _, a := range m.Attempts {
		var steps []string
		for _, h := range a.History {
			steps = append(steps, fmt.Sprintf("%s +%s", h.Status, h.At.Sub(m.CreatedAt).Round(time.Millisecond)))
		}
		line := fmt.Sprintf("  step %d %s/%s: %s", a.Step, a.Channel, a.Route, strings.Join(steps, " → "))
		if a.Error != nil {
			line += fmt.Sprintf(" (%s)", a.Error.Code)
		}
		fmt.Fprintln(out, line)
	}
}
