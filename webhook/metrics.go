package webhook

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/detourhq/detour"
)

// Metrics are the dispatcher's Prometheus metrics. A nil *Metrics records
// nothing.
type Metrics struct {
	tries *prometheus.CounterVec
	delay prometheus.Histogram
}

// NewMetrics registers the dispatcher's metrics with reg (none if nil).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		tries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "detour_webhook_tries_total",
			Help: "Webhook delivery tries by outcome (delivered, retry, gone, failed).",
		}, []string{"outcome"}),
		delay: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "detour_webhook_delay_seconds",
			Help:    "From an event's creation to its delivery (2xx).",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 16),
		}),
	}
	if reg != nil {
		reg.MustRegister(m.tries, m.delay)
	}
	return m
}

func (m *Metrics) observe(results []detour.DeliveryResult) {
	if m == nil {
		return
	}
	for _, r := range results {
		m.tries.WithLabelValues(r.Attempt.Outcome).Inc()
	}
}

func (m *Metrics) delivered(delay time.Duration) {
	if m != nil {
		m.delay.Observe(delay.Seconds())
	}
}
