package health_test

import (
	"strings"
	"testing"
	"time"

	"github.com/detourhq/detour/health"
)

func TestConfigValidation(t *testing.T) {
	for _, tc := range []struct {
		cfg  health.Config
		want string // in the error
	}{
		{health.Config{Window: time.Second}, "Config.Window"},
		{health.Config{Window: 20 * time.Second}, "Config.Window"}, // not above MaxExpected + 1s
		{health.Config{RecentWindow: 2 * time.Minute}, "Config.RecentWindow"},
		{health.Config{HardWindow: -time.Second}, "Config.HardWindow"},
		{health.Config{HardShare: 1.5}, "Config.HardShare"},
		{health.Config{ErrorDegradedLeave: 0.2}, "Config.ErrorDegradedLeave"},
		{health.Config{ThrottleDegradedLeave: 0.5}, "Config.ThrottleDegradedLeave"},
		{health.Config{DeliveredDegradedLeave: 0.5}, "Config.DeliveredDegradedLeave"},
		{health.Config{SilentDown: 0.9}, "Config.SilentDown"},
		{health.Config{MinExpected: time.Minute, MaxExpected: 30 * time.Second, Window: 2 * time.Minute}, "Config.MinExpected"},
		{health.Config{ExpectedFactor: 0.5}, "Config.ExpectedFactor"},
		{health.Config{MaxCooloff: time.Second}, "Config.MaxCooloff"},
		{health.Config{ProbeSuccesses: -1}, "Config.ProbeSuccesses"},
	} {
		_, err := health.New(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want one naming %s", tc.cfg, err, tc.want)
		}
	}
	if _, err := health.New(health.Config{}); err != nil {
		t.Fatalf("the defaults: %v", err)
	}
}

// Other settings take effect: a shorter cool-off, more probes, a lower
// silent threshold.
func TestConfigTakesEffect(t *testing.T) {
	w, rec := setup(t, t0, health.Config{ProbeCooloff: 2 * time.Second, ProbeSuccesses: 5, HardConsecutive: 20, HardMinSubmits: 1000})
	w.run(20*time.Second, 10, always(okIn1s))
	start := w.clock.Now()
	w.run(3*time.Second, 10, always(hard))
	tr, ok := rec.first(health.Down, start)
	if !ok {
		t.Fatal("no down")
	}
	if took := tr.At.Sub(start); took < 1900*time.Millisecond || took > 2100*time.Millisecond {
		t.Fatalf("down after %s, want the 20th error in a row", took)
	}
	if r := w.route(); !r.NextProbeAt.Equal(tr.At.Add(2 * time.Second)) {
		t.Fatalf("next probe at %s, want 2s after down", r.NextProbeAt)
	}
	st := w.run(w.until(tr.At, 10*time.Second), 10, always(okIn1s))
	up, ok := rec.first(health.Healthy, tr.At)
	if !ok || up.At.Sub(tr.At) != 6*time.Second || st.probes != 5 {
		t.Fatalf("healthy at +%s after %d probes, want +6s after 5", up.At.Sub(tr.At), st.probes)
	}
}
