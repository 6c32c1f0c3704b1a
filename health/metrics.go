package health

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the health Prometheus metrics. A nil *Metrics records
// nothing.
type Metrics struct {
	states      *prometheus.GaugeVec
	transitions *prometheus.CounterVec
}

// NewMetrics makes the metrics and registers them on reg (none if nil).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		states: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "detour_route_health_state", Help: "1 for the current health state of each route (healthy, degraded, down), 0 for the others."},
			[]string{"channel", "route", "state"}),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "detour_route_transitions_total", Help: "Health transitions of each route, by the state entered (forcing and unforcing included)."},
			[]string{"channel", "route", "to"}),
	}
	if reg != nil {
		reg.MustRegister(m.states, m.transitions)
	}
	return m
}

// state sets the state gauges of route k.
func (m *Metrics) state(k Key, s State) {
	if m == nil {
		return
	}
	for _, st := range States {
		v := 0.0
		if st == s {
			v = 1
		}
		m.states.WithLabelValues(k.Channel, k.Route, string(st)).Set(v)
	}
}

// transition counts t and sets the gauges to its new state.
func (m *Metrics) transition(t Transition) {
	if m == nil {
		return
	}
	m.transitions.WithLabelValues(t.Channel, t.Route, string(t.To)).Inc()
	m.state(t.Key, t.To)
}
