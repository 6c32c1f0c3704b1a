package health

import (
	"fmt"
	"time"

	"github.com/detourhq/detour"
)

// Config configures a Monitor. Zero values take the defaults of
// DefaultConfig; shares are fractions in (0, 1].
type Config struct {
	Clock    detour.Clock     // the only source of time; the system clock if nil
	Metrics  *Metrics         // Prometheus metrics; none if nil
	OnChange func(Transition) // called for every transition; see Monitor

	Window       time.Duration // span of the sliding window of one-second buckets (60 s)
	RecentWindow time.Duration // newest part of the window the shares are judged on, stretched back to MinSamples (10 s)
	MinSamples   int           // submits needed to judge error and throttle shares (20)

	HardConsecutive int           // hard errors in a row that open the breaker (5); at high rates the run must also be a tenth of the previous second's submits
	HardWindow      time.Duration // span of the fast hard-share rule, whole buckets (2 s)
	HardShare       float64       // hard share over HardWindow that opens the breaker (0.5)
	HardMinSubmits  int           // submits HardWindow needs before its share counts (3)

	ErrorDegradedEnter    float64 // hard share that makes a route degraded (0.10)
	ErrorDegradedLeave    float64 // hard share under which it may leave degraded (0.05)
	ThrottleDegradedEnter float64 // throttled share that makes a route degraded (0.25)
	ThrottleDegradedLeave float64 // throttled share under which it may leave degraded (0.10)

	DefaultExpected    time.Duration // expected receipt time before enough receipts were seen (10 s)
	MinExpected        time.Duration // the learned expected receipt time is at least this (3 s)
	MaxExpected        time.Duration // and at most this (20 s)
	ExpectedPercentile float64       // percentile of recent accepted→delivered latencies it is learned from (0.95)
	ExpectedFactor     float64       // times which (2)
	ExpectedMinSamples int           // receipts in the window needed to learn it (20)

	SilentMinSent          int     // matured sends needed to judge delivery (20)
	SilentArm              int     // delivered receipts a route must have shown before it can be judged silent (10)
	SilentDown             float64 // share of matured sends answered in time under which the route is down (0.2)
	DeliveredDegradedEnter float64 // share delivered in time under which it is degraded (0.8)
	DeliveredDegradedLeave float64 // share delivered in time it needs to leave degraded (0.9)

	ProbeCooloff   time.Duration // first wait after a route went down before probing (5 s)
	MaxCooloff     time.Duration // the cool-off doubles per failed probe round up to this (60 s)
	ProbeInterval  time.Duration // at most one probe per interval (1 s)
	ProbeSuccesses int           // good probes in a row that close the breaker (3)

	TickInterval time.Duration // how often Start's loop calls Tick (1 s)
	History      int           // transitions kept per route for snapshots (10)
}

// DefaultConfig returns the defaults for every tunable.
func DefaultConfig() Config {
	return Config{
		Window:                 60 * time.Second,
		RecentWindow:           10 * time.Second,
		MinSamples:             20,
		HardConsecutive:        5,
		HardWindow:             2 * time.Second,
		HardShare:              0.5,
		HardMinSubmits:         3,
		ErrorDegradedEnter:     0.10,
		ErrorDegradedLeave:     0.05,
		ThrottleDegradedEnter:  0.25,
		ThrottleDegradedLeave:  0.10,
		DefaultExpected:        10 * time.Second,
		MinExpected:            3 * time.Second,
		MaxExpected:            20 * time.Second,
		ExpectedPercentile:     0.95,
		ExpectedFactor:         2,
		ExpectedMinSamples:     20,
		SilentMinSent:          20,
		SilentArm:              10,
		SilentDown:             0.2,
		DeliveredDegradedEnter: 0.8,
		DeliveredDegradedLeave: 0.9,
		ProbeCooloff:           5 * time.Second,
		MaxCooloff:             60 * time.Second,
		ProbeInterval:          time.Second,
		ProbeSuccesses:         3,
		TickInterval:           time.Second,
		History:                10,
	}
}

// withDefaults fills zero fields from DefaultConfig and validates the
// result, naming the bad field.
func (c Config) withDefaults() (Config, error) {
	d := DefaultConfig()
	if c.Clock == nil {
		c.Clock = detour.SystemClock{}
	}
	setDefault(&c.Window, d.Window)
	setDefault(&c.RecentWindow, d.RecentWindow)
	setDefault(&c.MinSamples, d.MinSamples)
	setDefault(&c.HardConsecutive, d.HardConsecutive)
	setDefault(&c.HardWindow, d.HardWindow)
	setDefault(&c.HardShare, d.HardShare)
	setDefault(&c.HardMinSubmits, d.HardMinSubmits)
	setDefault(&c.ErrorDegradedEnter, d.ErrorDegradedEnter)
	setDefault(&c.ErrorDegradedLeave, d.ErrorDegradedLeave)
	setDefault(&c.ThrottleDegradedEnter, d.ThrottleDegradedEnter)
	setDefault(&c.ThrottleDegradedLeave, d.ThrottleDegradedLeave)
	setDefault(&c.DefaultExpected, d.DefaultExpected)
	setDefault(&c.MinExpected, d.MinExpected)
	setDefault(&c.MaxExpected, d.MaxExpected)
	setDefault(&c.ExpectedPercentile, d.ExpectedPercentile)
	setDefault(&c.ExpectedFactor, d.ExpectedFactor)
	setDefault(&c.ExpectedMinSamples, d.ExpectedMinSamples)
	setDefault(&c.SilentMinSent, d.SilentMinSent)
	setDefault(&c.SilentArm, d.SilentArm)
	setDefault(&c.SilentDown, d.SilentDown)
	setDefault(&c.DeliveredDegradedEnter, d.DeliveredDegradedEnter)
	setDefault(&c.DeliveredDegradedLeave, d.DeliveredDegradedLeave)
	setDefault(&c.ProbeCooloff, d.ProbeCooloff)
	setDefault(&c.MaxCooloff, d.MaxCooloff)
	setDefault(&c.ProbeInterval, d.ProbeInterval)
	setDefault(&c.ProbeSuccesses, d.ProbeSuccesses)
	setDefault(&c.TickInterval, d.TickInterval)
	setDefault(&c.History, d.History)
	return c, c.validate()
}

func (c Config) validate() error {
	for _, f := range []struct {
		name string
		v    time.Duration
	}{{"Window", c.Window}, {"RecentWindow", c.RecentWindow}, {"HardWindow", c.HardWindow},
		{"DefaultExpected", c.DefaultExpected}, {"MinExpected", c.MinExpected}, {"MaxExpected", c.MaxExpected},
		{"ProbeCooloff", c.ProbeCooloff}, {"MaxCooloff", c.MaxCooloff}, {"ProbeInterval", c.ProbeInterval},
		{"TickInterval", c.TickInterval}} {
		if f.v < 0 {
			return fmt.Errorf("health: Config.%s must not be negative, not %s", f.name, f.v)
		}
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"MinSamples", c.MinSamples}, {"HardConsecutive", c.HardConsecutive}, {"HardMinSubmits", c.HardMinSubmits},
		{"ExpectedMinSamples", c.ExpectedMinSamples}, {"SilentMinSent", c.SilentMinSent}, {"SilentArm", c.SilentArm},
		{"ProbeSuccesses", c.ProbeSuccesses}, {"History", c.History}} {
		if f.v < 0 {
			return fmt.Errorf("health: Config.%s must not be negative, not %d", f.name, f.v)
		}
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"HardShare", c.HardShare}, {"ErrorDegradedEnter", c.ErrorDegradedEnter}, {"ErrorDegradedLeave", c.ErrorDegradedLeave},
		{"ThrottleDegradedEnter", c.ThrottleDegradedEnter}, {"ThrottleDegradedLeave", c.ThrottleDegradedLeave},
		{"ExpectedPercentile", c.ExpectedPercentile}, {"SilentDown", c.SilentDown},
		{"DeliveredDegradedEnter", c.DeliveredDegradedEnter}, {"DeliveredDegradedLeave", c.DeliveredDegradedLeave}} {
		if !(f.v > 0 && f.v <= 1) {
			return fmt.Errorf("health: Config.%s must be a share in (0, 1], not %g", f.name, f.v)
		}
	}
	switch {
	case c.Window < 2*time.Second:
		return fmt.Errorf("health: Config.Window must be at least 2s, not %s", c.Window)
	case c.RecentWindow > c.Window:
		return fmt.Errorf("health: Config.RecentWindow (%s) must not exceed Window (%s)", c.RecentWindow, c.Window)
	case c.HardWindow > c.Window:
		return fmt.Errorf("health: Config.HardWindow (%s) must not exceed Window (%s)", c.HardWindow, c.Window)
	case c.MinExpected > c.MaxExpected:
		return fmt.Errorf("health: Config.MinExpected (%s) must not exceed MaxExpected (%s)", c.MinExpected, c.MaxExpected)
	case c.MaxExpected+time.Second >= c.Window:
		return fmt.Errorf("health: Config.Window (%s) must exceed MaxExpected (%s) by more than a second, or no send ever matures", c.Window, c.MaxExpected)
	case c.ExpectedFactor < 1:
		return fmt.Errorf("health: Config.ExpectedFactor must be at least 1, not %g", c.ExpectedFactor)
	case c.ErrorDegradedLeave > c.ErrorDegradedEnter:
		return fmt.Errorf("health: Config.ErrorDegradedLeave (%g) must not exceed ErrorDegradedEnter (%g)", c.ErrorDegradedLeave, c.ErrorDegradedEnter)
	case c.ThrottleDegradedLeave > c.ThrottleDegradedEnter:
		return fmt.Errorf("health: Config.ThrottleDegradedLeave (%g) must not exceed ThrottleDegradedEnter (%g)", c.ThrottleDegradedLeave, c.ThrottleDegradedEnter)
	case c.DeliveredDegradedLeave < c.DeliveredDegradedEnter:
		return fmt.Errorf("health: Config.DeliveredDegradedLeave (%g) must not be under DeliveredDegradedEnter (%g)", c.DeliveredDegradedLeave, c.DeliveredDegradedEnter)
	case c.SilentDown > c.DeliveredDegradedEnter:
		return fmt.Errorf("health: Config.SilentDown (%g) must not exceed DeliveredDegradedEnter (%g)", c.SilentDown, c.DeliveredDegradedEnter)
	case c.MaxCooloff < c.ProbeCooloff:
		return fmt.Errorf("health: Config.MaxCooloff (%s) must not be under ProbeCooloff (%s)", c.MaxCooloff, c.ProbeCooloff)
	}
	return nil
}

func setDefault[T comparable](v *T, d T) {
	var zero T
	if *v == zero {
		*v = d
	}
}

// seconds returns d in whole seconds, rounded up, at least 1.
func seconds(d time.Duration) int64 {
	return max(1, int64((d+time.Second-1)/time.Second))
}
