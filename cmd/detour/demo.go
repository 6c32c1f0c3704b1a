package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/api"
	"github.com/detourhq/detour/client"
	"github.com/detourhq/detour/config"
	"github.com/detourhq/detour/server"
	"github.com/detourhq/detour/simworld"
)

// demoOptions are the flags of "detour demo".
type demoOptions struct {
	messages, concurrency int
	fallbackAfter         time.Duration
	keep                  bool
}

func newDemo() *cobra.Command {
	var o demoOptions
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run a server on a simulated world, break WhatsApp, and watch messages fall back to SMS",
		Long: `Start a Detour server on a fresh data directory whose channels are the
built-in simulators (a WhatsApp Cloud API and two operator SMSCs, real
protocols on loopback), with the default policy WhatsApp, then SMS after
--fallback-after without a delivery receipt. Then send --messages OTPs to as
many phones in each of four phases: all healthy; WhatsApp down (every send
answered HTTP 500, so the retries run out and SMS takes over); WhatsApp
silent (accepts and never delivers, as on 25 October 2022, so SMS takes over
after --fallback-after); WhatsApp healthy again. Prints, per phase, how many
were delivered on which channel and how long it took, then what one phone
received. Needs no configuration and no credentials.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := runDemo(cmd.Context(), cmd.OutOrStdout(), o)
			return err
		},
	}
	cmd.Flags().IntVar(&o.messages, "messages", 100, "messages to send in each phase")
	cmd.Flags().IntVar(&o.concurrency, "concurrency", 16, "concurrent HTTP clients")
	cmd.Flags().DurationVar(&o.fallbackAfter, "fallback-after", 3*time.Second, "how long WhatsApp has to deliver before SMS is tried")
	cmd.Flags().BoolVar(&o.keep, "keep", false, "keep the data directory afterwards")
	return cmd
}

// demoPhase is one phase of the demo: the WhatsApp simulator's mode and
// what it means.
type demoPhase struct {
	name string
	mode simworld.Mode
	what string
}

var demoPhases = []demoPhase{
	{"healthy", simworld.Healthy, "every simulator healthy"},
	{"whatsapp down", simworld.Down, "every WhatsApp send answered HTTP 500: the retries run out, SMS takes over"},
	{"whatsapp silent", simworld.Silent, "WhatsApp accepts and never delivers (25 October 2022): SMS after fallback_after"},
	{"recovered", simworld.Healthy, "WhatsApp healthy again"},
}

// phaseResult is what became of one phase's messages.
type phaseResult struct {
	name      string
	sent      int
	delivered int
	byChannel map[string]int
	toDeliver []time.Duration // accepted → on the handset, of the delivered ones
	messages  []*api.Message  // final, by phone index; nil if refused
}

func runDemo(ctx context.Context, out io.Writer, o demoOptions) ([]phaseResult, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if o.messages < 1 || o.concurrency < 1 {
		return nil, fmt.Errorf("--messages and --concurrency must be at least 1")
	}
	if o.fallbackAfter < 100*time.Millisecond {
		return nil, fmt.Errorf("--fallback-after must be at least 100ms")
	}
	dir, err := os.MkdirTemp("", "detour-demo-")
	if err != nil {
		return nil, err
	}
	if !o.keep {
		defer os.RemoveAll(dir)
	}
	cfg, err := config.Load("", nil, map[string]any{"server.addr": "127.0.0.1:0", "server.data": dir})
	if err != nil {
		return nil, err
	}
	cfg.Server.RateLimit, cfg.Server.RateBurst = 1e6, 1e6
	// Quick retries: a WhatsApp outage falls through to SMS in a fraction
	// of a second.
	cfg.Dispatch.BackoffBase, cfg.Dispatch.MaxTriesPerStep = 100*time.Millisecond, 3
	node, err := simworld.StartNode(ctx, cfg, server.Options{}, simworld.Config{FallbackAfter: o.fallbackAfter})
	if err != nil {
		return nil, err
	}
	defer node.Stop(context.Background())
	key, _, err := server.CreateKey(ctx, node.Server.Store(), "demo", time.Now())
	if err != nil {
		return nil, err
	}
	c := client.New(node.URL(), key)
	sim := simAPI{base: node.URL(), key: key}

	kept := "deleted afterwards"
	if o.keep {
		kept = "kept"
	}
	fmt.Fprintln(out, "Detour demo: a Detour server on a simulated world, real protocols on loopback, no credentials")
	fmt.Fprintf(out, "  server    %s (data in %s, %s)\n", node.URL(), dir, kept)
	printWorld(out, node.World, o.fallbackAfter)

	phones := make([]string, o.messages)
	for i := range phones {
		phones[i] = fmt.Sprintf("+4474001%05d", i)
	}
	start := time.Now()
	var results []phaseResult
	for i, ph := range demoPhases {
		fmt.Fprintf(out, "\n%d/%d %-16s %s\n", i+1, len(demoPhases), ph.name, ph.what)
		if i > 0 && ph.mode != demoPhases[i-1].mode {
			var s simworld.Simulator
			body := fmt.Sprintf(`{"mode":%q}`, ph.mode)
			if err := sim.call(ctx, "POST", "/v1/sim/whatsapp", body, &s); err != nil {
				return results, err
			}
			native := ""
			if string(s.Mode) != s.NativeMode {
				native = " (" + s.NativeMode + ")"
			}
			fmt.Fprintf(out, "    POST /v1/sim/whatsapp %s → whatsapp is %s%s\n", body, s.Mode, native)
		}
		t0 := time.Now()
		r, err := runPhase(ctx, c, ph.name, phones, i, o.concurrency)
		if err != nil {
			return results, err
		}
		results = append(results, r)
		fmt.Fprintf(out, "    %d OTPs to %d phones, all final %.1fs after the first was sent\n", r.sent, len(phones), time.Since(t0).Seconds())
	}

	if err := measure(ctx, sim, results, phones); err != nil {
		return results, err
	}
	printPhases(out, results)
	if err := showPhone(ctx, out, sim, results, start); err != nil {
		return results, err
	}
	if err := showSimulators(ctx, out, sim); err != nil {
		return results, err
	}
	for _, r := range results {
		if r.delivered != r.sent {
			return results, fmt.Errorf("phase %s: %d of %d messages were not delivered", r.name, r.sent-r.delivered, r.sent)
		}
	}
	return results, nil
}

// otpContent is an OTP as the demo sends it: a template for WhatsApp
// (which takes no free-form text outside the 24-hour window) and the text
// SMS carries.
func otpContent(code string) detour.Content {
	return detour.Content{Text: "Your Detour code is " + code,
		Template: &detour.Template{Name: "otp_code", Language: "en", Params: []string{code}}}
}

// runPhase sends one OTP to each phone on the default policy and waits
// until every one is final.
func runPhase(ctx context.Context, c *client.Client, name string, phones []string, phase, concurrency int) (phaseResult, error) {
	r := phaseResult{name: name, byChannel: map[string]int{}, messages: make([]*api.Message, len(phones))}
	ids := make([]string, len(phones))
	work := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				code := fmt.Sprintf("%06d", (phase*7919+i*104729)%1000000)
				m, err := c.Send(ctx, &detour.SendRequest{To: phones[i], Content: otpContent(code), Priority: detour.PriorityOTP},
					fmt.Sprintf("demo-%d-%d", phase, i))
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				} else if err == nil {
					ids[i] = m.ID
				}
				mu.Unlock()
			}
		}()
	}
	for i := range phones {
		work <- i
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		return r, firstErr
	}
	r.sent = len(phones)

	deadline := time.Now().Add(time.Minute)
	for pending := len(ids); pending > 0; {
		pending = 0
		for i, id := range ids {
			if r.messages[i] != nil {
				continue
			}
			m, err := c.Message(ctx, id)
			if err != nil {
				return r, err
			}
			if !detour.Status(m.Status).Final() {
				pending++
				continue
			}
			r.messages[i] = m
			if detour.Status(m.Status).Delivered() {
				r.delivered++
				r.byChannel[m.Channel]++
			}
		}
		if pending > 0 {
			if time.Now().After(deadline) {
				return r, fmt.Errorf("phase %s: %d messages still not final after a minute", name, pending)
			}
			select {
			case <-ctx.Done():
				return r, ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	return r, nil
}

// measure fills in each phase's times to deliver from the handsets: from
// when Detour accepted a message to when the phone showed it (a
// provider's receipt may carry only whole seconds). A provider's id is
// unique only on its route: two SMSCs may hand out the same ids.
func measure(ctx context.Context, sim simAPI, results []phaseResult, phones []string) error {
	type shown struct{ channel, route, id string }
	handsets := map[string]map[shown]time.Time{}
	for _, p := range phones {
		var h simworld.HandsetMessages
		if err := sim.call(ctx, "GET", "/v1/sim/handsets/"+p, "", &h); err != nil {
			return err
		}
		handsets[p] = map[shown]time.Time{}
		for _, r := range h.Data {
			handsets[p][shown{r.Channel, r.Route, r.ProviderMessageID}] = r.At
		}
	}
	for i := range results {
		r := &results[i]
		for _, m := range r.messages {
			if m == nil || !detour.Status(m.Status).Delivered() {
				continue
			}
			for _, a := range m.Attempts {
				if at, ok := handsets[m.To][shown{a.Channel, a.Route, a.ProviderMessageID}]; ok && a.Channel == m.Channel {
					r.toDeliver = append(r.toDeliver, at.Sub(m.CreatedAt))
					break
				}
			}
		}
	}
	return nil
}

// printPhases prints one line per phase: sent, delivered, by channel, and
// the accepted → delivered percentiles.
func printPhases(out io.Writer, results []phaseResult) {
	fmt.Fprintf(out, "\n%-16s %5s %10s %12s %7s %13s %13s\n", "phase", "sent", "delivered", "on whatsapp", "on sms", "p50 to phone", "p99 to phone")
	for _, r := range results {
		fmt.Fprintf(out, "%-16s %5d %10d %12d %7d %13s %13s\n", r.name, r.sent, r.delivered, r.byChannel["whatsapp"], r.byChannel["sms"],
			seconds(pct(r.toDeliver, 50)), seconds(pct(r.toDeliver, 99)))
	}
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) }

// showPhone prints what one phone received over the whole demo, then the
// attempt trail of its message sent while WhatsApp was down.
func showPhone(ctx context.Context, out io.Writer, sim simAPI, results []phaseResult, start time.Time) error {
	if len(results) < 2 || len(results[1].messages) == 0 || results[1].messages[0] == nil {
		return nil
	}
	// The phone whose message took the most WhatsApp attempts before SMS.
	down := results[1].messages
	pick := 0
	for i, m := range down {
		if m != nil && m.Channel == "sms" && len(m.Attempts) > len(down[pick].Attempts) {
			pick = i
		}
	}
	m := down[pick]
	var h simworld.HandsetMessages
	if err := sim.call(ctx, "GET", "/v1/sim/handsets/"+m.To, "", &h); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nWhat one phone received (GET /v1/sim/handsets/%s):\n", m.To)
	for _, r := range h.Data {
		fmt.Fprintf(out, "  %8s  %-8s %-8s from %-12s %s\n", fmt.Sprintf("+%.2fs", r.At.Sub(start).Seconds()), r.Channel, r.Route, r.From, r.Text)
	}
	fmt.Fprintf(out, "\nIts message in phase %q (GET /v1/messages/%s): %s via %s\n", results[1].name, m.ID, m.Status, m.Channel)
	printTrail(out, m)
	return nil
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

// showSimulators prints what each simulator saw, from GET /v1/sim.
func showSimulators(ctx context.Context, out io.Writer, sim simAPI) error {
	var list simworld.SimulatorList
	if err := sim.call(ctx, "GET", "/v1/sim", "", &list); err != nil {
		return err
	}
	fmt.Fprintln(out, "\nWhat the simulators saw (GET /v1/sim):")
	for _, s := range list.Data {
		c := s.Counters
		if s.Channel == "whatsapp" {
			fmt.Fprintf(out, "  %-9s %d sends: %d accepted (%d silenced), %d answered 500; %d delivered to handsets\n",
				s.Name, c["requests"], c["accepted"], c["silenced"], c["errors.2"], c["handset_messages"])
			continue
		}
		var refused []string
		for _, k := range slices.Sorted(maps.Keys(c)) {
			if st, ok := strings.CutPrefix(k, "submit_resps."); ok && st != "ESME_ROK" {
				refused = append(refused, fmt.Sprintf("%d %s", c[k], st))
			}
		}
		line := fmt.Sprintf("  %-9s %d submits", s.Name, c["submits"])
		if len(refused) > 0 {
			line += " (refused: " + strings.Join(refused, ", ") + ")"
		}
		fmt.Fprintf(out, "%s; %d delivered to handsets\n", line, c["handset_messages"])
	}
	return nil
}

// simAPI calls the /v1/sim endpoints, which the client package does not
// know: they exist only on a simulated node.
type simAPI struct{ base, key string }

func (s simAPI) call(ctx context.Context, method, path, body string, out any) error {
	var rd io.Reader
	if body != "" {
		rd = bytes.NewBufferString(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+s.key)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var p api.Problem
		_ = json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&p)
		return &client.Error{Status: resp.StatusCode, Problem: p}
	}
	return json.NewDecoder(resp.Body).Decode(out)
}
