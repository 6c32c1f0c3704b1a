package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/api"
	"github.com/detourhq/detour/client"
)

func newLoad() *cobra.Command {
	var cf clientFlags
	var o loadOptions
	cmd := &cobra.Command{
		Use:   "load",
		Short: "Send a load of messages to a running server and report rates and latencies",
		Long: `Send --messages messages from --concurrency concurrent HTTP clients to a
running server and report the accept rate and latency percentiles. With
--follow it then waits until every message is final and reports the end-to-end
rate and the accepted → final percentiles (from the server's timestamps).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			res := runLoad(cmd.Context(), c, o, newBar(cmd.ErrOrStderr(), o.messages))
			res.print(cmd.OutOrStdout())
			if res.accepted == 0 {
				return fmt.Errorf("no message was accepted")
			}
			return nil
		},
	}
	cf.register(cmd)
	cmd.Flags().IntVar(&o.messages, "messages", 20000, "messages to send")
	cmd.Flags().IntVar(&o.concurrency, "concurrency", 64, "concurrent HTTP clients")
	cmd.Flags().IntVar(&o.warmup, "warmup", 0, "messages sent first and left out of the figures")
	cmd.Flags().BoolVar(&o.follow, "follow", false, "wait until every message is final and report end-to-end figures")
	cmd.Flags().StringVar(&o.template, "template", "", "send this template (one parameter: the code) instead of text")
	cmd.Flags().StringVar(&o.prefix, "ref-prefix", "load", "client_ref prefix; a run number is added so runs never replay each other")
	return cmd
}

type loadOptions struct {
	messages, concurrency, warmup int
	follow                        bool
	otpShare                      int // every otpShare-th message is an OTP; 0 for none
	prefix                        string
	template                      string // send this template instead of text
}

type loadResult struct {
	n, accepted, refused int
	acceptTime, total    time.Duration
	latencies            []time.Duration
	ids                  []string
	followed             bool
	final                int
	toFinal              []time.Duration
	counts               map[string]int
	errors               map[string]int
}

// runLoad sends the load and, if asked, follows it to the end.
func runLoad(ctx context.Context, c *client.Client, o loadOptions, bar *bar) loadResult {
	if ctx == nil {
		ctx = context.Background()
	}
	if o.prefix == "" {
		o.prefix = "demo"
	}
	// Idempotency keys and client_refs carry the run's start time: a second
	// run must not be answered with the first run's messages.
	o.prefix = fmt.Sprintf("%s-%x", o.prefix, time.Now().UnixNano())
	send := func(i int) (*detour.SendRequest, string) {
		req := &detour.SendRequest{
			To:        fmt.Sprintf("+4474%08d", 123456+i%1000000),
			Content:   detour.Content{Text: fmt.Sprintf("Your Detour code is %06d", (i*7919)%1000000)},
			ClientRef: fmt.Sprintf("%s-%d", o.prefix, i),
		}
		if o.template != "" {
			// WhatsApp takes free-form text only inside the 24-hour window.
			req.Content = detour.Content{Template: &detour.Template{Name: o.template, Language: "en",
				Params: []string{fmt.Sprintf("%06d", (i*7919)%1000000)}}}
		}
		if o.otpShare > 0 && i%o.otpShare == 0 {
			req.Priority = detour.PriorityOTP
		}
		return req, fmt.Sprintf("%s-%d", o.prefix, i)
	}
	for i := 0; i < o.warmup; i++ {
		req, key := send(-1 - i)
		req.ClientRef = fmt.Sprintf("warmup-%s-%d", o.prefix, i)
		_, _ = c.Send(ctx, req, "warmup-"+key)
	}
	res := loadResult{n: o.messages, latencies: make([]time.Duration, o.messages), ids: make([]string, o.messages),
		errors: map[string]int{}}
	var accepted, refused atomic.Int64
	var errMu sync.Mutex
	var next atomic.Int64
	start := time.Now()
	since := start.Add(-time.Second) // server clock and ours may differ a little
	var wg sync.WaitGroup
	for w := 0; w < o.concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= o.messages {
					return
				}
				req, key := send(i)
				t0 := time.Now()
				m, err := c.Send(ctx, req, key)
				res.latencies[i] = time.Since(t0)
				if err != nil {
					refused.Add(1)
					errMu.Lock()
					res.errors[errorKind(err)]++
					errMu.Unlock()
					continue
				}
				res.ids[i] = m.ID
				bar.setAccepted(int(accepted.Add(1)))
			}
		}()
	}
	stop, sent := make(chan struct{}), make(chan struct{})
	polled := make(chan map[string]int, 1)
	if o.follow {
		go func() { polled <- pollFinal(ctx, c, o.prefix, since, o.messages, bar, sent, stop) }()
	}
	wg.Wait()
	close(sent)
	res.acceptTime = time.Since(start)
	res.accepted, res.refused = int(accepted.Load()), int(refused.Load())
	if o.follow {
		select {
		case res.counts = <-polled:
		case <-time.After(5 * time.Minute):
			close(stop)
			res.counts = <-polled
		}
		res.total = time.Since(start)
		res.followed = true
		res.final, res.toFinal = finalTimes(ctx, c, o.prefix, since)
	}
	bar.done()
	return res
}

func errorKind(err error) string {
	if ce, ok := err.(*client.Error); ok {
		return fmt.Sprintf("%d %s", ce.Status, ce.Problem.Code)
	}
	return "transport"
}

func (r loadResult) print(out io.Writer) {
	fmt.Fprintln(out)
	fmt.Fprintf(out, "Accepted  %d of %d in %.2fs: %.0f messages/s; HTTP latency p50 %s, p90 %s, p99 %s, max %s\n",
		r.accepted, r.n, r.acceptTime.Seconds(), float64(r.accepted)/r.acceptTime.Seconds(),
		pct(r.latencies, 50), pct(r.latencies, 90), pct(r.latencies, 99), pct(r.latencies, 100))
	if r.refused > 0 {
		fmt.Fprintf(out, "Refused   %d requests: %v\n", r.refused, r.errors)
	}
	if !r.followed {
		return
	}
	fmt.Fprintf(out, "Final     %d of %d in %.2fs: %.0f messages/s end to end; accepted → final p50 %s, p99 %s\n",
		r.final, r.accepted, r.total.Seconds(), float64(r.final)/r.total.Seconds(), pct(r.toFinal, 50), pct(r.toFinal, 99))
	var keys []string
	for k := range r.counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, r.counts[k]))
	}
	fmt.Fprintf(out, "Statuses  %s\n", strings.Join(parts, ", "))
}

// listEachPollUpTo is the largest run whose messages pollFinal lists on
// every poll; larger runs ask only whether any is in flight.
var listEachPollUpTo = 5000

// pollFinal waits until none of this run's messages is still in flight
// once all have been sent (sent is closed), counting them by status when
// the run is small enough to list often.
func pollFinal(ctx context.Context, c *client.Client, prefix string, since time.Time, n int, bar *bar, sent, stop chan struct{}) map[string]int {
	for {
		allSent := false
		select {
		case <-sent:
			allSent = true
		default:
		}
		if n <= listEachPollUpTo {
			counts, final := countStatuses(ctx, c, prefix, since)
			bar.setFinal(final)
			if final >= n {
				return counts
			}
		} else if allSent && !anyInFlight(ctx, c, since) {
			counts, final := countStatuses(ctx, c, prefix, since)
			bar.setFinal(final)
			return counts
		}
		select {
		case <-stop:
			counts, _ := countStatuses(ctx, c, prefix, since)
			return counts
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// anyInFlight asks for one message per non-final status: cheap for the
// server however large the run.
func anyInFlight(ctx context.Context, c *client.Client, since time.Time) bool {
	for _, st := range []detour.Status{detour.StatusQueued, detour.StatusSending, detour.StatusSent} {
		page, err := c.Messages(ctx, client.ListOptions{Status: string(st), CreatedAfter: since, Limit: 1})
		if err != nil || len(page.Data) > 0 {
			return true
		}
	}
	return false
}

// eachMessage calls fn for every message of this run.
func eachMessage(ctx context.Context, c *client.Client, prefix string, since time.Time, fn func(*api.Message)) error {
	cursor := ""
	for {
		page, err := c.Messages(ctx, client.ListOptions{Limit: 500, Cursor: cursor, CreatedAfter: since})
		if err != nil {
			return err
		}
		for i := range page.Data {
			if strings.HasPrefix(page.Data[i].ClientRef, prefix+"-") {
				fn(&page.Data[i])
			}
		}
		if page.NextCursor == nil {
			return nil
		}
		cursor = *page.NextCursor
	}
}

func countStatuses(ctx context.Context, c *client.Client, prefix string, since time.Time) (map[string]int, int) {
	counts, final := map[string]int{}, 0
	_ = eachMessage(ctx, c, prefix, since, func(m *api.Message) {
		counts[string(m.Status)]++
		if detour.Status(m.Status).Final() {
			final++
		}
	})
	return counts, final
}

// finalTimes returns how many of the run's messages are final and their
// accepted → last change durations, from the server's timestamps.
func finalTimes(ctx context.Context, c *client.Client, prefix string, since time.Time) (int, []time.Duration) {
	var times []time.Duration
	_ = eachMessage(ctx, c, prefix, since, func(m *api.Message) {
		if detour.Status(m.Status).Final() {
			times = append(times, m.UpdatedAt.Sub(m.CreatedAt))
		}
	})
	return len(times), times
}

func pct(d []time.Duration, p int) time.Duration {
	s := slices.Clone(d)
	s = slices.DeleteFunc(s, func(x time.Duration) bool { return x == 0 })
	if len(s) == 0 {
		return 0
	}
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[min(max(i-1, 0), len(s)-1)].Round(100 * time.Microsecond)
}

// bar is a progress bar on a terminal, or occasional lines elsewhere.
type bar struct {
	mu              sync.Mutex
	w               io.Writer
	tty             bool
	n               int
	accepted, final int
	last            time.Time
}

func newBar(w io.Writer, n int) *bar {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	return &bar{w: w, tty: tty, n: n}
}

func (b *bar) setAccepted(v int) {
	b.mu.Lock()
	b.accepted = max(b.accepted, v)
	b.drawLocked(false)
	b.mu.Unlock()
}
func (b *bar) setFinal(v int) {
	b.mu.Lock()
	b.final = max(b.final, v)
	b.drawLocked(false)
	b.mu.Unlock()
}
func (b *bar) done() { b.mu.Lock(); b.drawLocked(true); b.mu.Unlock() }

func (b *bar) drawLocked(force bool) {
	every := 100 * time.Millisecond
	if !b.tty {
		every = time.Second
	}
	if !force && time.Since(b.last) < every {
		return
	}
	b.last = time.Now()
	const width = 30
	fill := func(v int) string {
		k := v * width / max(b.n, 1)
		return strings.Repeat("█", k) + strings.Repeat("░", width-k)
	}
	line := fmt.Sprintf("accepted %s %5d/%d   final %s %5d/%d", fill(b.accepted), b.accepted, b.n, fill(b.final), b.final, b.n)
	if b.tty {
		fmt.Fprintf(b.w, "\r%s", line)
		if force {
			fmt.Fprintln(b.w)
		}
	} else {
		fmt.Fprintln(b.w, line)
	}
}
