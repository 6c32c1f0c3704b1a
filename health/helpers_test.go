package health_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/detourhq/detour/clocktest"
	"github.com/detourhq/detour/health"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// t0 is a whole second: tests shift it to try other phases.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

var sms1 = health.Key{Channel: "sms", Route: "smsc-1"}

// recorder keeps the transitions OnChange reports.
type recorder struct {
	mu sync.Mutex
	ts []health.Transition
}

func (r *recorder) add(t health.Transition) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ts = append(r.ts, t)
}

func (r *recorder) all() []health.Transition {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.ts)
}

// first returns the first transition to state to at or after from.
func (r *recorder) first(to health.State, from time.Time) (health.Transition, bool) {
	for _, t := range r.all() {
		if t.To == to && !t.At.Before(from) {
			return t, true
		}
	}
	return health.Transition{}, false
}

// setup returns a monitor on a manual clock at start, recording
// transitions. cfg's Clock and OnChange are set here.
func setup(t *testing.T, start time.Time, cfg health.Config) (*world, *recorder) {
	t.Helper()
	rec := &recorder{}
	clock := clocktest.New(start)
	cfg.Clock = clock
	cfg.OnChange = rec.add
	m, err := health.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &world{t: t, m: m, clock: clock, key: sms1, ticks: true}, rec
}

// result is what happens to one send.
type result struct {
	class       health.Class
	receipt     time.Duration // after the submit; 0: none ever
	undelivered bool          // the receipt is negative
}

var (
	okIn1s  = result{class: health.OK, receipt: time.Second}
	okNever = result{class: health.OK}
	hard    = result{class: health.Hard}
)

// world drives one route with traffic on the manual clock, event by event:
// sends at a steady rate (each asks Allow first, as the dispatcher will),
// receipts when due, and Tick at every whole second.
type world struct {
	t        *testing.T
	m        *health.Monitor
	clock    *clocktest.Clock
	key      health.Key
	ticks    bool
	latency  time.Duration // of every submit
	receipts []receipt     // pending, by time
	nextTick time.Time
}

type receipt struct {
	at, sentAt time.Time
	delivered  bool
}

// stats counts what a run did.
type stats struct {
	asked, sent, probes int
	probeTimes          []time.Time
}

// run sends rate messages a second for d, the i-th getting outcome(i, at,
// probe), and returns when the clock has moved d.
func (w *world) run(d time.Duration, rate float64, outcome func(i int, at time.Time, probe bool) result) stats {
	w.t.Helper()
	var st stats
	start := w.clock.Now()
	end := start.Add(d)
	gap := time.Duration(float64(time.Second) / rate)
	next := start
	if rate <= 0 {
		next = end.Add(time.Hour)
	}
	if w.nextTick.IsZero() || w.nextTick.Before(start) {
		w.nextTick = start.Truncate(time.Second).Add(time.Second)
	}
	for i := 0; ; {
		at := next
		kind := "send"
		if len(w.receipts) > 0 && w.receipts[0].at.Before(at) {
			at, kind = w.receipts[0].at, "receipt"
		}
		if w.ticks && w.nextTick.Before(at) {
			at, kind = w.nextTick, "tick"
		}
		if !at.Before(end) {
			break
		}
		w.clock.Set(at)
		switch kind {
		case "tick":
			w.m.Tick()
			w.nextTick = w.nextTick.Add(time.Second)
		case "receipt":
			r := w.receipts[0]
			w.receipts = w.receipts[1:]
			if r.delivered {
				w.m.Delivered(w.key, r.sentAt, r.at)
			} else {
				w.m.Undelivered(w.key, r.sentAt, r.at)
			}
		case "send":
			st.asked++
			next = next.Add(gap)
			allowed, probe := w.m.Allow(w.key)
			if !allowed {
				continue
			}
			st.sent++
			if probe {
				st.probes++
				st.probeTimes = append(st.probeTimes, at)
			}
			res := outcome(i, at, probe)
			i++
			w.m.Submitted(w.key, at, w.latency, res.class)
			if res.class == health.OK && res.receipt > 0 {
				w.addReceipt(receipt{at: at.Add(res.receipt), sentAt: at, delivered: !res.undelivered})
			}
		}
	}
	w.clock.Set(end)
	return st
}

func (w *world) addReceipt(r receipt) {
	i, _ := slices.BinarySearchFunc(w.receipts, r.at, func(a receipt, t time.Time) int { return a.at.Compare(t) })
	w.receipts = slices.Insert(w.receipts, i, r)
}

// always returns an outcome function that always gives r.
func always(r result) func(int, time.Time, bool) result {
	return func(int, time.Time, bool) result { return r }
}

// route returns the snapshot of the world's route.
func (w *world) route() health.RouteHealth {
	w.t.Helper()
	for _, c := range w.m.Snapshot() {
		for _, r := range c.Routes {
			if c.Channel == w.key.Channel && r.Route == w.key.Route {
				return r
			}
		}
	}
	w.t.Fatalf("no route %s in the snapshot", w.key)
	return health.RouteHealth{}
}

func (w *world) state() health.State { return w.route().State }
