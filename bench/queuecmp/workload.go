package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/detourhq/detour"
)

// A system is one durable queue under test, opened on a fresh directory.
// Every write it makes is committed with SQLite WAL and synchronous=FULL.
type system interface {
	// Accept stores m and its dispatch job in one transaction and returns
	// once that transaction is durable, as the API does before it answers
	// 202.
	Accept(ctx context.Context, m *detour.Message) error
	// Start runs the workers: they claim due jobs, "send", and record the
	// outcome (message status and job completion) durably, then call done
	// with the message id. done may be called more than once for an id
	// (at-least-once); the harness counts the first call. fail reports an
	// error that ends the run.
	Start(ctx context.Context, done func(id string), fail func(error)) error
	// Verify checks, after the run, that every message in ids was stored
	// with its outcome and that no job is left to do.
	Verify(ctx context.Context, ids []string) error
	// Close stops the workers and closes the database.
	Close() error
}

// config is the workload, the same for every system.
type config struct {
	N           int           // measured messages
	Warmup      int           // messages sent through the whole pipeline first, not measured
	Producers   int           // concurrent accepting goroutines
	Workers     int           // concurrent sends at most
	SendLatency time.Duration // simulated channel latency per send
	Timeout     time.Duration // longest a phase may take

	RiverConns    int           // database/sql open connections for River
	RiverCooldown time.Duration // River FetchCooldown
	RiverPoll     time.Duration // River FetchPollInterval
	BatchMax      int           // most operations in one group-committed transaction
}

// result is one measured run of one system.
type result struct {
	System      string
	Accepted    float64 // messages accepted per second
	AcceptP50   time.Duration
	AcceptP99   time.Duration
	Completed   float64 // messages completed per second, from the first accept to the last completion
	CompleteP50 time.Duration
	CompleteP99 time.Duration // accept start → outcome durable
	CPU         time.Duration // process CPU time (user+system) per message in the measured phase
}

// cpuTime returns the CPU time the process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// textOf is ~280 characters of message text, so a message's content is
// about 300 bytes of JSON: {"text":"..."}.
var textOf = strings.Repeat("Your Detour verification code is 482913. It expires in 10 minutes. ", 5)[:284]

// newMessage returns a valid message ready to be accepted.
func newMessage(ids *detour.IDSource, now time.Time) *detour.Message {
	return &detour.Message{
		ID:        ids.New("msg_"),
		TenantID:  "ten_bench",
		To:        "+447400123456",
		Content:   detour.Content{Text: textOf},
		Steps:     []detour.Step{{Channel: "sandbox"}},
		Priority:  detour.PriorityNormal,
		Status:    detour.StatusQueued,
		CreatedAt: now,
		UpdatedAt: now,
		ExpiresAt: now.Add(24 * time.Hour),
		Timer:     &detour.Timer{Kind: detour.TimerSend, RunAt: now},
	}
}

// tracker records when each message was accepted and completed.
type tracker struct {
	base     time.Time
	index    map[string]int // message id → index; read-only once built
	accStart []int64        // ns since base
	accEnd   []int64
	doneAt   []int64 // written once with CAS

	mu       sync.Mutex
	lo, hi   int // the phase being waited for: indexes [lo, hi)
	left     int
	phaseEnd chan struct{}

	failOnce sync.Once
	failed   chan struct{}
	err      error
}

func (t *tracker) fail(err error) {
	t.failOnce.Do(func() {
		t.err = err
		close(t.failed)
	})
}

func (t *tracker) done(id string) {
	i, ok := t.index[id]
	if !ok {
		return
	}
	if !atomic.CompareAndSwapInt64(&t.doneAt[i], 0, int64(time.Since(t.base))) {
		return
	}
	t.mu.Lock()
	if i >= t.lo && i < t.hi {
		t.left--
		if t.left == 0 {
			close(t.phaseEnd)
		}
	}
	t.mu.Unlock()
}

// run drives one system through the warm-up and then the measured phase.
func run(ctx context.Context, name string, sys system, cfg config) (result, error) {
	ids := detour.NewIDSource(time.Now, nil)
	total := cfg.Warmup + cfg.N
	msgs := make([]*detour.Message, total)
	t := &tracker{
		base:     time.Now(),
		index:    make(map[string]int, total),
		accStart: make([]int64, total),
		accEnd:   make([]int64, total),
		doneAt:   make([]int64, total),
		failed:   make(chan struct{}),
	}
	for i := range msgs {
		msgs[i] = newMessage(ids, time.Now())
		t.index[msgs[i].ID] = i
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := sys.Start(ctx, t.done, t.fail); err != nil {
		return result{}, fmt.Errorf("start: %w", err)
	}
	if cfg.Warmup > 0 {
		if _, err := phase(ctx, sys, cfg, t, msgs, 0, cfg.Warmup); err != nil {
			return result{}, fmt.Errorf("warm-up: %w", err)
		}
	}
	cpu0 := cpuTime()
	start, err := phase(ctx, sys, cfg, t, msgs, cfg.Warmup, total)
	if err != nil {
		return result{}, err
	}
	cpu := cpuTime() - cpu0

	all := make([]string, total)
	for i, m := range msgs {
		all[i] = m.ID
	}
	if err := sys.Verify(ctx, all); err != nil {
		return result{}, fmt.Errorf("verify: %w", err)
	}

	r := result{System: name, CPU: cpu / time.Duration(cfg.N)}
	acc := make([]time.Duration, 0, cfg.N)
	e2e := make([]time.Duration, 0, cfg.N)
	var lastAcc, lastDone int64
	for i := cfg.Warmup; i < total; i++ {
		acc = append(acc, time.Duration(t.accEnd[i]-t.accStart[i]))
		doneAt := atomic.LoadInt64(&t.doneAt[i])
		e2e = append(e2e, time.Duration(doneAt-t.accStart[i]))
		lastAcc = max(lastAcc, t.accEnd[i])
		lastDone = max(lastDone, doneAt)
	}
	r.Accepted = float64(cfg.N) / time.Duration(lastAcc-start).Seconds()
	r.Completed = float64(cfg.N) / time.Duration(lastDone-start).Seconds()
	r.AcceptP50, r.AcceptP99 = percentile(acc, 50), percentile(acc, 99)
	r.CompleteP50, r.CompleteP99 = percentile(e2e, 50), percentile(e2e, 99)
	return r, nil
}

// phase accepts msgs[lo:hi] from cfg.Producers goroutines, each waiting for
// its commit before it takes the next message, and waits until every one
// of them has completed. It returns when the phase started, in ns since
// t.base.
func phase(ctx context.Context, sys system, cfg config, t *tracker, msgs []*detour.Message, lo, hi int) (int64, error) {
	t.mu.Lock()
	t.lo, t.hi, t.left = lo, hi, hi-lo
	t.phaseEnd = make(chan struct{})
	for i := lo; i < hi; i++ {
		if atomic.LoadInt64(&t.doneAt[i]) != 0 {
			t.left--
		}
	}
	end := t.phaseEnd
	t.mu.Unlock()

	start := int64(time.Since(t.base))
	var next atomic.Int64
	next.Store(int64(lo))
	errs := make(chan error, cfg.Producers)
	var wg sync.WaitGroup
	for range cfg.Producers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= hi {
					return
				}
				t.accStart[i] = int64(time.Since(t.base))
				if err := sys.Accept(ctx, msgs[i]); err != nil {
					errs <- fmt.Errorf("accept %s: %w", msgs[i].ID, err)
					return
				}
				t.accEnd[i] = int64(time.Since(t.base))
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := errors.Join(collect(errs)...); err != nil {
		return 0, err
	}
	timeout := time.NewTimer(cfg.Timeout)
	defer timeout.Stop()
	select {
	case <-end:
		return start, nil
	case <-t.failed:
		return 0, t.err
	case <-timeout.C:
		t.mu.Lock()
		left := t.left
		t.mu.Unlock()
		return 0, fmt.Errorf("%d of %d messages not completed after %s", left, hi-lo, cfg.Timeout)
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

func collect(errs <-chan error) []error {
	var out []error
	for err := range errs {
		out = append(out, err)
	}
	return out
}

// percentile returns the p-th percentile (nearest rank) of d; it sorts d.
func percentile(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	k := (len(d)*p + 99) / 100 // ceil(n·p/100)
	return d[max(k-1, 0)]
}
