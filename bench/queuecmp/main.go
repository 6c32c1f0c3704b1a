// Command queuecmp measures durable dispatch on SQLite two ways: River
// (riversqlite) next to an application messages table, and Detour's
// purpose-built queue (a timer per message inside the message store). The
// workload is the same for both: producers accept messages (message row and
// dispatch job in one durable transaction), workers claim due jobs in
// batches, "send", and record the outcome durably.
//
// It lives in its own module so River never becomes a dependency of Detour.
//
//	go run . -n 20000 -which both
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// variant is one system under test.
type variant struct {
	name string
	open func(ctx context.Context, dir string, cfg config) (system, error)
}

var allVariants = []variant{
	{"river", openRiverPlain},
	{"river+groupcommit", openRiverBatched},
	{"river+groupcommit+completetx", openRiverBatchedCompleteTx},
	{"ours", openOurs},
}

func main() {
	var cfg config
	var which, dir string
	var runs int
	var keep bool
	var cpuProfile string
	flag.IntVar(&cfg.N, "n", 20000, "measured messages per run")
	flag.IntVar(&cfg.Warmup, "warmup", 2000, "messages sent through the pipeline before measuring")
	flag.IntVar(&cfg.Producers, "producers", 64, "concurrent producers, each waiting for its commit")
	flag.IntVar(&cfg.Workers, "workers", 256, "concurrent sends at most (River MaxWorkers)")
	flag.DurationVar(&cfg.SendLatency, "send", 0, "simulated latency of one send")
	flag.DurationVar(&cfg.Timeout, "timeout", 10*time.Minute, "longest one phase may take")
	flag.IntVar(&cfg.RiverConns, "river-conns", 1, "database/sql connections for River (its SQLite driver recommends 1)")
	flag.DurationVar(&cfg.RiverCooldown, "river-cooldown", 5*time.Millisecond, "River FetchCooldown (default in River: 100ms)")
	flag.DurationVar(&cfg.RiverPoll, "river-poll", 20*time.Millisecond, "River FetchPollInterval (default in River: 1s)")
	flag.IntVar(&cfg.BatchMax, "batch", 512, "most writes in one group-committed transaction (river+groupcommit)")
	flag.StringVar(&which, "which", "both", "river (every River variant), river-plain, river-batched, ours, both, or one system's name")
	flag.StringVar(&dir, "dir", "", "directory for the databases (default: a new temporary directory)")
	flag.IntVar(&runs, "runs", 3, "runs of each system, interleaved")
	flag.BoolVar(&keep, "keep", false, "keep the databases after each run")
	flag.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()

	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "queuecmp:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}

	if err := mainErr(cfg, which, dir, runs, keep, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "queuecmp:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func selectVariants(which string) ([]variant, error) {
	names := map[string][]string{
		"river":         {"river", "river+groupcommit", "river+groupcommit+completetx"},
		"river-plain":   {"river"},
		"river-batched": {"river+groupcommit", "river+groupcommit+completetx"},
		"ours":          {"ours"},
		"both":          {"river", "river+groupcommit", "river+groupcommit+completetx", "ours"},
	}[which]
	if names == nil {
		for _, v := range allVariants {
			if v.name == which {
				names = []string{which}
			}
		}
	}
	if names == nil {
		return nil, fmt.Errorf("-which %q: want river, river-plain, river-batched, ours, both or one system's name", which)
	}
	var out []variant
	for _, v := range allVariants {
		if slices.Contains(names, v.name) {
			out = append(out, v)
		}
	}
	return out, nil
}

func mainErr(cfg config, which, dir string, runs int, keep bool, w io.Writer) error {
	if cfg.N <= 0 || cfg.Producers <= 0 || cfg.Workers <= 0 || runs <= 0 || cfg.BatchMax <= 0 || cfg.RiverConns <= 0 {
		return errors.New("-n, -producers, -workers, -runs, -batch and -river-conns must be positive")
	}
	vs, err := selectVariants(which)
	if err != nil {
		return err
	}
	if dir == "" {
		if dir, err = os.MkdirTemp("", "queuecmp-"); err != nil {
			return err
		}
		if !keep {
			defer os.RemoveAll(dir)
		}
	}
	ctx := context.Background()
	fmt.Fprintf(w, "n=%d warmup=%d producers=%d workers=%d send=%s river-conns=%d river-cooldown=%s river-poll=%s batch=%d dir=%s\n",
		cfg.N, cfg.Warmup, cfg.Producers, cfg.Workers, cfg.SendLatency, cfg.RiverConns, cfg.RiverCooldown, cfg.RiverPoll, cfg.BatchMax, dir)

	byName := map[string][]result{}
	for i := range runs {
		for _, v := range vs {
			r, err := runOne(ctx, v, filepath.Join(dir, fmt.Sprintf("%s-%d", strings.ReplaceAll(v.name, "+", "-"), i+1)), cfg, keep)
			if err != nil {
				return fmt.Errorf("run %d %s: %w", i+1, v.name, err)
			}
			byName[v.name] = append(byName[v.name], r)
			fmt.Fprintf(w, "run %d %-28s accepted %7.0f/s p50 %-9s p99 %-9s completed %7.0f/s p50 %-9s p99 %-9s cpu/msg %s\n",
				i+1, v.name, r.Accepted, round(r.AcceptP50), round(r.AcceptP99), r.Completed, round(r.CompleteP50), round(r.CompleteP99), round(r.CPU))
		}
	}

	fmt.Fprintf(w, "\nmedians of %d runs (N=%d):\n\n", runs, cfg.N)
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', tabwriter.Debug)
	fmt.Fprintln(tw, "| system\t accepted/s\t accept p50\t accept p99\t completed/s\t accept→complete p50\t accept→complete p99\t CPU/msg\t")
	fmt.Fprintln(tw, "|---\t---:\t---:\t---:\t---:\t---:\t---:\t---:\t")
	for _, v := range vs {
		m := median(byName[v.name])
		fmt.Fprintf(tw, "| %s\t %.0f\t %s\t %s\t %.0f\t %s\t %s\t %s\t\n", v.name, m.Accepted, round(m.AcceptP50), round(m.AcceptP99),
			m.Completed, round(m.CompleteP50), round(m.CompleteP99), round(m.CPU))
	}
	return tw.Flush()
}

// runOne opens v on a fresh directory, runs the workload and closes it.
func runOne(ctx context.Context, v variant, dir string, cfg config, keep bool) (result, error) {
	if err := os.RemoveAll(dir); err != nil {
		return result{}, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return result{}, err
	}
	if !keep {
		defer os.RemoveAll(dir)
	}
	sys, err := v.open(ctx, dir, cfg)
	if err != nil {
		return result{}, err
	}
	r, err := run(ctx, v.name, sys, cfg)
	return r, errors.Join(err, sys.Close())
}

// median takes the median of each figure separately.
func median(rs []result) result {
	pick := func(f func(result) float64) float64 {
		xs := make([]float64, len(rs))
		for i, r := range rs {
			xs[i] = f(r)
		}
		slices.Sort(xs)
		if len(xs)%2 == 1 {
			return xs[len(xs)/2]
		}
		return (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2
	}
	dur := func(f func(result) time.Duration) time.Duration {
		return time.Duration(pick(func(r result) float64 { return float64(f(r)) }))
	}
	return result{
		System:      rs[0].System,
		Accepted:    pick(func(r result) float64 { return r.Accepted }),
		AcceptP50:   dur(func(r result) time.Duration { return r.AcceptP50 }),
		AcceptP99:   dur(func(r result) time.Duration { return r.AcceptP99 }),
		Completed:   pick(func(r result) float64 { return r.Completed }),
		CompleteP50: dur(func(r result) time.Duration { return r.CompleteP50 }),
		CompleteP99: dur(func(r result) time.Duration { return r.CompleteP99 }),
		CPU:         dur(func(r result) time.Duration { return r.CPU }),
	}
}

// round keeps three significant digits, enough for a table.
func round(d time.Duration) time.Duration {
	switch {
	case d >= 100*time.Millisecond:
		return d.Round(time.Millisecond)
	case d >= 10*time.Millisecond:
		return d.Round(100 * time.Microsecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}
