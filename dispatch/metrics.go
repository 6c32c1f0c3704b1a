package dispatch

import (
	"github.com/detourhq/detour"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the dispatcher's Prometheus metrics.
type Metrics struct {
	statuses         *prometheus.CounterVec
	dispatchDelay    prometheus.Histogram
	sendDuration     *prometheus.HistogramVec
	sendErrors       *prometheus.CounterVec
	receipts         *prometheus.CounterVec
	unknownOutcomes  prometheus.Counter
	doubleDeliveries prometheus.Counter
	expedited        prometheus.Counter
	orphansApplied   prometheus.Counter
	queueDepth       func() float64
}

// NewMetrics makes the metrics and registers them on reg (none if nil).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		statuses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "detour_message_status_total", Help: "Messages entering each status, by the channel of their latest attempt."},
			[]string{"status", "channel"}),
		dispatchDelay: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "detour_dispatch_delay_seconds", Help: "Time from a message's acceptance to each hand-over to a channel.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300}}),
		sendDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "detour_send_duration_seconds", Help: "Time a channel took to answer one send, by result.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}},
			[]string{"channel", "result"}),
		sendErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "detour_send_errors_total", Help: "Sends a channel did not accept, by channel, route, result (retryable or permanent) and reason: the raw signal of channel and route health."},
			[]string{"channel", "route", "result", "reason"}),
		receipts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "detour_receipts_total", Help: "Receipts received, by channel, status and whether their attempt was found at once."},
			[]string{"channel", "status", "matched"}),
		unknownOutcomes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "detour_attempts_outcome_unknown_total", Help: "Attempts whose sender died mid-send; each may be a duplicate on the handset."}),
		doubleDeliveries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "detour_double_deliveries_total", Help: "Messages delivered by more than one attempt."}),
		expedited: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "detour_fallbacks_expedited_total", Help: "Messages moved to their next step early because their channel or route went down."}),
		orphansApplied: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "detour_orphan_receipts_applied_total", Help: "Receipts that arrived before their send was recorded and were applied later."}),
	}
	if reg != nil {
		reg.MustRegister(m.statuses, m.dispatchDelay, m.sendDuration, m.sendErrors, m.receipts,
			m.unknownOutcomes, m.doubleDeliveries, m.expedited, m.orphansApplied,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "detour_queue_depth", Help: "Timers due now and not yet claimed (messages waiting for a worker)."},
				func() float64 {
					if m.queueDepth == nil {
						return 0
					}
					return m.queueDepth()
				}))
	}
	return m
}

func (m *Metrics) setQueueDepth(f func() float64) { m.queueDepth = f }

// transition counts a message entering a new status.
func (m *Metrics) transition(from detour.Status, msg *detour.Message) {
	if msg == nil || msg.Status == from {
		return
	}
	ch := ""
	if n := len(msg.Attempts); n > 0 {
		ch = msg.Attempts[n-1].Channel
	}
	if a := msg.DeliveredBy(); a != nil {
		ch = a.Channel
	}
	m.statuses.WithLabelValues(string(msg.Status), ch).Inc()
}
