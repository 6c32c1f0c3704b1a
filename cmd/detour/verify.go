package main

import (
	"bufio"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/detourhq/detour"
)

func newVerify() *cobra.Command {
	cmd := &cobra.Command{Use: "verify", Short: "Send one-time codes and check them on a running server"}
	cmd.AddCommand(newVerifyStart(), newVerifyCheck(), newVerifyID("get", "Show a verification with its messages"),
		newVerifyResend(), newVerifyID("cancel", "Cancel a pending verification"))
	return cmd
}

func newVerifyStart() *cobra.Command {
	var (
		cf     clientFlags
		req    detour.VerificationRequest
		expiry string
	)
	cmd := &cobra.Command{
		Use:   "start NUMBER",
		Short: "Send a one-time code to NUMBER (E.164)",
		Example: `  detour verify start +447400123456
  detour verify start +34612345678 --channel sms --locale es --brand Acme --expiry 5m`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			req.To = args[0]
			if expiry != "" {
				d, err := detour.ParseDuration(expiry)
				if err != nil {
					return err
				}
				req.Expiry = detour.Duration(d)
			}
			v, created, err := c.StartVerification(cmd.Context(), &req)
			if err != nil {
				return err
			}
			if !created {
				fmt.Fprintln(cmd.ErrOrStderr(), "a verification of this number is pending: nothing was sent (--new starts anew)")
			}
			return printJSON(cmd.OutOrStdout(), v)
		},
	}
	cf.register(cmd)
	cmd.Flags().StringArrayVar(&req.Channels, "channel", nil, "channel to send on (repeat, in order); default the server's")
	cmd.Flags().StringVar(&req.Locale, "locale", "", "language of the texts: en, es, fr, de, pt")
	cmd.Flags().IntVar(&req.CodeLength, "code-length", 0, "digits of the code, 4 to 10 (default the server's)")
	cmd.Flags().StringVar(&expiry, "expiry", "", "how long the code checks, 1m to 1h (default the server's)")
	cmd.Flags().StringVar(&req.Template, "template", "", "WhatsApp authentication template (default the server's)")
	cmd.Flags().StringVar(&req.Brand, "brand", "", "app or brand name before the SMS text")
	cmd.Flags().BoolVar(&req.New, "new", false, "cancel the verification pending for the number and start anew")
	return cmd
}

func newVerifyCheck() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:   "check ID CODE",
		Short: "Check a code; exits 0 only when it is approved",
		Long: "Check a code the user typed. Prints the verification and exits 0 when the code is approved, 1 otherwise.\n" +
			"CODE - reads the code from standard input, so that it shows neither in ps nor in the shell history.",
		Example: `  detour verify check ver_01JDPB7M3ZQ8V4K6T2N0XW5R9A 482913`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			code := args[1]
			if code == "-" {
				line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
				if err != nil && line == "" {
					return errors.New("no code on standard input")
				}
				code = strings.TrimSpace(line)
			}
			v, err := c.CheckVerification(cmd.Context(), args[0], code)
			if err != nil {
				return err
			}
			if err := printJSON(cmd.OutOrStdout(), v); err != nil {
				return err
			}
			if v.Status != string(detour.VerificationApproved) {
				return fmt.Errorf("not approved: the verification is %s with %d checks left", v.Status, v.ChecksLeft)
			}
			return nil
		},
	}
	cf.register(cmd)
	return cmd
}

func newVerifyResend() *cobra.Command {
	var (
		cf      clientFlags
		channel string
	)
	cmd := &cobra.Command{
		Use:   "resend ID",
		Short: "Send the code again (on the next channel, or --channel)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			v, err := c.ResendVerification(cmd.Context(), args[0], channel)
			if err != nil {
				return err
			}
			return printJSON(cmd.OutOrStdout(), v)
		},
	}
	cf.register(cmd)
	cmd.Flags().StringVar(&channel, "channel", "", "channel to send on (default the next one)")
	return cmd
}

// newVerifyID is a command that takes a verification id: get or cancel.
func newVerifyID(name, short string) *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:   name + " ID",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			get := c.Verification
			if name == "cancel" {
				get = c.CancelVerification
			}
			v, err := get(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return printJSON(cmd.OutOrStdout(), v)
		},
	}
	cf.register(cmd)
	return cmd
}
