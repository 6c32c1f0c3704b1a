package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

func newChannels() *cobra.Command {
	var lf clientFlags
	cmd := &cobra.Command{
		Use:   "channels",
		Short: "Show each channel and route with its health, or force a route down or up",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := lf.client()
			if err != nil {
				return err
			}
			l, err := c.Channels(cmd.Context())
			if err != nil {
				return err
			}
			return printJSON(cmd.OutOrStdout(), l)
		},
	}
	lf.register(cmd)
	var ff clientFlags
	var note string
	force := &cobra.Command{
		Use:   "force CHANNEL/ROUTE down|healthy|auto",
		Short: "Force a route down (nothing is sent on it) or healthy, or hand it back to the detector (auto)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			channel, route, ok := strings.Cut(args[0], "/")
			if !ok || channel == "" || route == "" {
				return fmt.Errorf("name the route as CHANNEL/ROUTE, e.g. sms/smsc-1")
			}
			c, err := ff.client()
			if err != nil {
				return err
			}
			r, err := c.ForceRoute(cmd.Context(), channel, route, args[1], note)
			if err != nil {
				return err
			}
			return printJSON(cmd.OutOrStdout(), r)
		},
	}
	ff.register(force)
	force.Flags().StringVar(&note, "note", "", "why (kept with the transition and in the channel.health event)")
	cmd.AddCommand(force)
	return cmd
}
