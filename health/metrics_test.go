package health_test

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/detourhq/detour/health"
	"github.com/prometheus/client_golang/prometheus"
)

// gather returns every sample of reg as `name{label="value",...}` → value.
// (prometheus/testutil would need a new module in go.mod; Gather is what
// it reads too.)
func gather(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"=\""+l.GetValue()+"\"")
			}
			v := m.GetGauge().GetValue() + m.GetCounter().GetValue()
			out[mf.GetName()+"{"+strings.Join(labels, ",")+"}"] = v
		}
	}
	return out
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	w, rec := setup(t, t0, health.Config{Metrics: health.NewMetrics(reg)})
	w.m.Register(health.Key{Channel: "whatsapp"})
	down := downHard(t, w, rec)
	w.run(w.until(down, 10*time.Second), 10, always(okIn1s)) // probes bring it back
	if err := w.m.Force(sms1, health.Down, "maintenance"); err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{
		`detour_route_health_state{channel="sms",route="smsc-1",state="degraded"}`:  0,
		`detour_route_health_state{channel="sms",route="smsc-1",state="down"}`:      1,
		`detour_route_health_state{channel="sms",route="smsc-1",state="healthy"}`:   0,
		`detour_route_health_state{channel="whatsapp",route="",state="degraded"}`:   0,
		`detour_route_health_state{channel="whatsapp",route="",state="down"}`:       0,
		`detour_route_health_state{channel="whatsapp",route="",state="healthy"}`:    1,
		`detour_route_transitions_total{channel="sms",route="smsc-1",to="down"}`:    2,
		`detour_route_transitions_total{channel="sms",route="smsc-1",to="healthy"}`: 1,
	}
	if got := gather(t, reg); !maps.Equal(got, want) {
		t.Fatalf("metrics\n%v\nwant\n%v", slices.Sorted(maps.Keys(got)), want)
	}
}

// Without metrics nothing is recorded and nothing breaks.
func TestNoMetrics(t *testing.T) {
	w, rec := setup(t, t0, health.Config{})
	downHard(t, w, rec)
}
