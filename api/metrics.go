package api

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// routeUnmatched labels requests that matched no route.
const routeUnmatched = "unmatched"

// commonStatuses are the statuses whose counters are resolved up front, so
// counting a request costs no label lookup.
var commonStatuses = []int{200, 202, 400, 401, 404, 405, 409, 413, 415, 422, 429, 500, 503}

// metrics are the API's Prometheus metrics.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	accepted prometheus.Counter
}

// routeMetrics are one route's metric children, resolved once.
type routeMetrics struct {
	route    string
	requests *prometheus.CounterVec
	byStatus map[int]prometheus.Counter // read-only after creation
	duration prometheus.Observer
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "detour_http_requests_total", Help: "HTTP requests answered, by route pattern and status code."},
			[]string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "detour_http_request_duration_seconds", Help: "Time to answer an HTTP request, by route pattern.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}},
			[]string{"route"}),
		accepted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "detour_messages_accepted_total", Help: "Messages accepted by POST /v1/messages (idempotent replays not counted)."}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration, m.accepted} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// forRoute resolves the metric children of one route.
func (m *metrics) forRoute(route string) *routeMetrics {
	rm := &routeMetrics{
		route:    route,
		requests: m.requests,
		byStatus: make(map[int]prometheus.Counter, len(commonStatuses)),
		duration: m.duration.WithLabelValues(route),
	}
	for _, s := range commonStatuses {
		rm.byStatus[s] = m.requests.WithLabelValues(route, strconv.Itoa(s))
	}
	return rm
}

// observe counts one answered request.
func (rm *routeMetrics) observe(status int, seconds float64) {
	c, ok := rm.byStatus[status]
	if !ok {
		c = rm.requests.WithLabelValues(rm.route, strconv.Itoa(status))
	}
	c.Inc()
	rm.duration.Observe(seconds)
}
