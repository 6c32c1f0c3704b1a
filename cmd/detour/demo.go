package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/detourhq/detour/api"
	"github.com/detourhq/detour/client"
	"github.com/detourhq/detour/config"
	"github.com/detourhq/detour/sandbox"
	"github.com/detourhq/detour/server"
)

func newDemo() *cobra.Command {
	var n, concurrency int
	var keep bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Start an embedded server, send messages through the sandbox channel, and summarize",
		Long: `Start a Detour server on a fresh data directory with the sandbox channel set
to behave like a real provider (latency, a few transient errors, a few
rejections, receipts after a delay), send messages to it over HTTP from
concurrent clients, follow them to their final status, and print a summary.
Needs no configuration and no credentials.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemo(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), n, concurrency, keep)
		},
	}
	cmd.Flags().IntVar(&n, "messages", 2000, "messages to send")
	cmd.Flags().IntVar(&concurrency, "concurrency", 32, "concurrent HTTP clients")
	cmd.Flags().BoolVar(&keep, "keep", false, "keep the data directory afterwards")
	return cmd
}

func runDemo(ctx context.Context, out, progress io.Writer, n, concurrency int, keep bool) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if n < 1 || concurrency < 1 {
		return fmt.Errorf("--messages and --concurrency must be at least 1")
	}
	dir, err := os.MkdirTemp("", "detour-demo-")
	if err != nil {
		return err
	}
	if !keep {
		defer os.RemoveAll(dir)
	}
	cfg, err := config.Load("", nil, map[string]any{"server.addr": "127.0.0.1:0", "server.data": dir})
	if err != nil {
		return err
	}
	cfg.Server.RateLimit, cfg.Server.RateBurst = 1e6, 1e6
	cfg.Dispatch.BackoffBase = 200 * time.Millisecond
	cfg.Channels.Sandbox.Routes = []sandbox.RouteConfig{{
		Name: "default", Latency: 2 * time.Millisecond, Jitter: 8 * time.Millisecond,
		FailRate: 0.03, RejectRate: 0.003, ReceiptDelay: 150 * time.Millisecond, UndeliveredRate: 0.01,
	}}
	srv, err := server.New(ctx, cfg, server.Options{})
	if err != nil {
		return err
	}
	if err := srv.Start(ctx); err != nil {
		srv.Stop(context.Background())
		return err
	}
	defer srv.Stop(context.Background())
	key, _, err := server.CreateKey(ctx, srv.Store(), "demo", time.Now())
	if err != nil {
		return err
	}
	c := client.New("http://"+srv.Addr(), key)
	fmt.Fprintf(out, "Detour demo: server on http://%s, data in %s\n", srv.Addr(), dir)
	fmt.Fprintf(out, "Sending %d messages from %d concurrent clients through the sandbox channel\n", n, concurrency)
	fmt.Fprintln(out, "(2-12 ms per send, 3% transient errors retried, 0.3% rejected, 1% undeliverable, receipts after 150 ms)")

	res := runLoad(ctx, c, loadOptions{messages: n, concurrency: concurrency, follow: true, otpShare: 4}, newBar(progress, n))
	res.print(out)
	return showTrail(ctx, out, c, res.ids)
}

// showTrail prints the attempt trail of a message that needed a retry, to
// show what GET /v1/messages/{id} tells.
func showTrail(ctx context.Context, out io.Writer, c *client.Client, ids []string) error {
	var pick *api.Message
	for _, id := range ids {
		if id == "" {
			continue
		}
		m, err := c.Message(ctx, id)
		if err != nil {
			return err
		}
		if pick == nil || len(m.Attempts) > 1 {
			pick = m
		}
		if len(m.Attempts) > 1 {
			break
		}
	}
	if pick == nil {
		return nil
	}
	fmt.Fprintf(out, "\nOne message's trail (detour messages get %s):\n", pick.ID)
	fmt.Fprintf(out, "  %s to %s: %s\n", pick.ID, pick.To, pick.Status)
	for _, a := range pick.Attempts {
		var steps []string
		for _, h := range a.History {
			steps = append(steps, fmt.Sprintf("%s +%s", h.Status, h.At.Sub(pick.CreatedAt).Round(time.Millisecond)))
		}
		line := fmt.Sprintf("  attempt %s via %s/%s: %s", a.ID, a.Channel, a.Route, strings.Join(steps, " → "))
		if a.Error != nil {
			line += fmt.Sprintf(" (%s)", a.Error.Code)
		}
		fmt.Fprintln(out, line)
	}
	return nil
}
