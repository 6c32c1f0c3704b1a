package main

import (
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/spf13/cobra"

	"github.com/detourhq/detour/drill"
)

func newDrill() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "drill",
		Short: "Replay an outage on the simulated world and measure what Detour makes of it",
	}
	o := drill.DefaultOptions()
	var asJSON bool
	wa := &cobra.Command{
		Use:   "whatsapp-outage",
		Short: "Replay 25 October 2022: WhatsApp silent, then down, then back, while one SMSC throttles",
		Long: `Start a Detour server on the simulated world (one WhatsApp business number,
two SMSCs, real protocols on loopback) and send steady OTP traffic with the
policy WhatsApp, then SMS after --fallback-after. Phases: before (all
healthy), silent (WhatsApp accepts and never delivers; smsc-1 throttles),
down (WhatsApp answers HTTP 500; smsc-1 throttles), after (all healthy).
Prints how many messages were sent, delivered, lost and duplicated, how fast
the outage detector saw each change, and the time to deliver per phase;
--json prints the same as one JSON object. Exits 1 when a target is missed:
nothing lost, all delivered within validity, the silent outage detected
within 30 s, the hard one within 2 s, and p99 time to deliver at most 2 s
once the outage is known.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			if !asJSON {
				o.Progress = out
			}
			rep, err := drill.Run(cmd.Context(), o)
			if err != nil {
				return err
			}
			if asJSON {
				if err := printJSON(out, rep); err != nil {
					return err
				}
			} else {
				printDrill(out, rep)
				printTargets(out, rep)
			}
			if !rep.Passed() {
				cmd.SilenceUsage = true
				return fmt.Errorf("drill: a target was missed")
			}
			return nil
		},
	}
	wa.Flags().BoolVar(&asJSON, "json", false, "print the report as one JSON object")
	wa.Flags().Float64Var(&o.Rate, "rate", o.Rate, "messages per second")
	wa.Flags().DurationVar(&o.Before, "before", o.Before, "length of the healthy phase before the outage")
	wa.Flags().DurationVar(&o.Silent, "silent", o.Silent, "how long WhatsApp stays silent")
	wa.Flags().DurationVar(&o.Down, "down", o.Down, "how long WhatsApp is down after that")
	wa.Flags().DurationVar(&o.After, "after", o.After, "length of the healthy phase after the outage")
	wa.Flags().DurationVar(&o.FallbackAfter, "fallback-after", o.FallbackAfter, "how long WhatsApp has to deliver before SMS is tried")
	cmd.AddCommand(wa)
	return cmd
}

func printTargets(out io.Writer, rep *drill.Report) {
	fmt.Fprintln(out, "\ntargets:")
	for _, k := range slices.Sorted(maps.Keys(rep.Targets)) {
		mark := "met"
		if !rep.Targets[k] {
			mark = "MISSED"
		}
		fmt.Fprintf(out, "  %-34s %s\n", k, mark)
	}
}
