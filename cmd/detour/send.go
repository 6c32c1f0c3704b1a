package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/client"
)

// clientFlags are the flags of commands that talk to a running server.
type clientFlags struct{ server, key string }

func (f *clientFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.server, "server", envOr("DETOUR_URL", "http://127.0.0.1:8080"), "server URL (env DETOUR_URL)")
	cmd.Flags().StringVar(&f.key, "key", "", "API key (env DETOUR_API_KEY; prefer the environment: flags show in ps)")
}

func (f *clientFlags) client() (*client.Client, error) {
	key := f.key
	if key == "" {
		key = os.Getenv("DETOUR_API_KEY")
	}
	if key == "" {
		return nil, errors.New("no API key: set DETOUR_API_KEY or pass --key (create one with `detour keys create --tenant NAME`)")
	}
	return client.New(f.server, key), nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func newSend() *cobra.Command {
	var (
		cf                             clientFlags
		req                            detour.SendRequest
		text, template, lang, validity string
		params, channels               []string
		idemKey, priority              string
	)
	cmd := &cobra.Command{
		Use:   "send",
		Short: "Send a message through a running server",
		Example: `  detour send --to +447400123456 --text "Your code is 123456"
  detour send --to +447400123456 --template order_update --lang en --param 42 --channel sandbox:10s --channel sandbox
  detour send --to +447400123456 --text "Your code is 123456" --template otp_code --param 123456 --channel whatsapp:10s --channel sms`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			// Both: the template where free-form text cannot go (WhatsApp
			// outside the 24-hour window), the text elsewhere (SMS).
			req.Content.Text = text
			if template != "" {
				req.Content.Template = &detour.Template{Name: template, Language: lang, Params: params}
			}
			for _, s := range channels {
				step, err := parseStep(s)
				if err != nil {
					return err
				}
				req.Channels = append(req.Channels, step)
			}
			if validity != "" {
				d, err := detour.ParseDuration(validity)
				if err != nil {
					return err
				}
				req.Validity = detour.Duration(d)
			}
			req.Priority = detour.Priority(priority)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			m, err := c.Send(ctx, &req, idemKey)
			if err != nil {
				return err
			}
			return printJSON(cmd.OutOrStdout(), m)
		},
	}
	cf.register(cmd)
	cmd.Flags().StringVar(&req.To, "to", "", "recipient in E.164, e.g. +447400123456")
	cmd.Flags().StringVar(&text, "text", "", "text to send")
	cmd.Flags().StringVar(&template, "template", "", "template name (instead of --text, or with it: the template for WhatsApp, the text for SMS)")
	cmd.Flags().StringVar(&lang, "lang", "en", "template language")
	cmd.Flags().StringArrayVar(&params, "param", nil, "template parameter (repeat, in order)")
	cmd.Flags().StringArrayVar(&channels, "channel", nil, "policy step CHANNEL[/ROUTE][:FALLBACK_AFTER] (repeat, in order)")
	cmd.Flags().StringVar(&validity, "validity", "", "validity, e.g. 10m")
	cmd.Flags().StringVar(&priority, "priority", "", "otp, high, normal or bulk")
	cmd.Flags().StringVar(&req.ClientRef, "client-ref", "", "your reference for the message")
	cmd.Flags().StringVar(&idemKey, "idempotency-key", "", "Idempotency-Key header")
	return cmd
}

// parseStep reads CHANNEL[/ROUTE][:FALLBACK_AFTER].
func parseStep(s string) (detour.Step, error) {
	var step detour.Step
	rest, after, hasAfter := strings.Cut(s, ":")
	step.Channel, step.Route, _ = strings.Cut(rest, "/")
	if hasAfter {
		d, err := detour.ParseDuration(after)
		if err != nil {
			return step, err
		}
		step.FallbackAfter = detour.Duration(d)
	}
	return step, nil
}

func newMessages() *cobra.Command {
	msgs := &cobra.Command{Use: "messages", Short: "Look at messages on a running server"}
	var cf clientFlags
	get := &cobra.Command{
		Use:   "get ID",
		Short: "Show a message with its attempt trail",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			m, err := c.Message(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return printJSON(cmd.OutOrStdout(), m)
		},
	}
	cf.register(get)
	var lf clientFlags
	var opts client.ListOptions
	list := &cobra.Command{
		Use:   "list",
		Short: "List messages, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := lf.client()
			if err != nil {
				return err
			}
			page, err := c.Messages(cmd.Context(), opts)
			if err != nil {
				return err
			}
			return printJSON(cmd.OutOrStdout(), page)
		},
	}
	lf.register(list)
	list.Flags().StringVar(&opts.Status, "status", "", "only this status")
	list.Flags().StringVar(&opts.To, "to", "", "only to this number")
	list.Flags().StringVar(&opts.ClientRef, "client-ref", "", "only with this client_ref")
	list.Flags().IntVar(&opts.Limit, "limit", 20, "messages per page")
	list.Flags().StringVar(&opts.Cursor, "cursor", "", "next_cursor of the previous page")
	var xf clientFlags
	cancel := &cobra.Command{
		Use:   "cancel ID",
		Short: "Cancel a message that has not reached a final status",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := xf.client()
			if err != nil {
				return err
			}
			m, err := c.Cancel(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return printJSON(cmd.OutOrStdout(), m)
		},
	}
	xf.register(cancel)
	msgs.AddCommand(get, list, cancel)
	return msgs
}
