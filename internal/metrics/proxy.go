package metrics

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// proxyMetrics count what the HTTP failover proxy does. Requests are
// counted by status class, not code, so a client cannot grow the series.
type proxyMetrics struct {
	requests  *prometheus.CounterVec
	tries     *prometheus.HistogramVec
	upstream  *prometheus.HistogramVec
	retries   *prometheus.CounterVec
	exhausted *prometheus.CounterVec
	ejections *prometheus.CounterVec
}

func newProxyMetrics() *proxyMetrics {
	return &proxyMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "outlast_proxy_requests_total",
			Help: "Requests the HTTP proxy answered, by service (\"\" when no route matched) and status class (2xx, 3xx, 4xx, 5xx).",
		}, []string{"service", "class"}),
		tries: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "outlast_proxy_tries",
			Help:    "Tries sent upstream per proxied request (1: no retry).",
			Buckets: []float64{0, 1, 2, 3, 4, 6},
		}, []string{"service"}),
		upstream: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "outlast_proxy_upstream_duration_seconds",
			Help:    "Time from sending a try to its response headers (or its failure), by service, endpoint and outcome (ok: not a connect failure, timeout or 5xx).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"service", "endpoint", "ok"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "outlast_proxy_retries_total",
			Help: "Retries the HTTP proxy sent, by service.",
		}, []string{"service"}),
		exhausted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "outlast_proxy_retry_budget_exhausted_total",
			Help: "Retries the retry budget refused, by service: the failing request was answered as it failed.",
		}, []string{"service"}),
		ejections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "outlast_proxy_ejections_total",
			Help: "Times this node's proxy ejected an endpoint after consecutive failed requests.",
		}, []string{"service", "endpoint"}),
	}
}

func (p *proxyMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{p.requests, p.tries, p.upstream, p.retries, p.exhausted, p.ejections}
}

// ProxyRequest counts one request the proxy answered with code after tries.
func (m *Metrics) ProxyRequest(service string, code, tries int) {
	m.proxy.requests.WithLabelValues(service, statusClass(code)).Inc()
	if service != "" {
		m.proxy.tries.WithLabelValues(service).Observe(float64(tries))
	}
}

// statusClasses are the class labels of the statuses an HTTP server sends.
var statusClasses = [...]string{"1xx", "2xx", "3xx", "4xx", "5xx"}

// statusClass is code's class label, made without allocating for the
// statuses in use: ProxyRequest runs once per proxied request.
func statusClass(code int) string {
	if c := code/100 - 1; c >= 0 && c < len(statusClasses) {
		return statusClasses[c]
	}
	return strconv.Itoa(code/100) + "xx"
}

// ProxyUpstream records one try's time and outcome.
func (m *Metrics) ProxyUpstream(service, endpoint string, ok bool, d time.Duration) {
	m.proxy.upstream.WithLabelValues(service, endpoint, strconv.FormatBool(ok)).Observe(d.Seconds())
}

// ProxyRetry counts one retry sent.
func (m *Metrics) ProxyRetry(service string) { m.proxy.retries.WithLabelValues(service).Inc() }

// ProxyBudgetExhausted counts one retry the budget refused.
func (m *Metrics) ProxyBudgetExhausted(service string) {
	m.proxy.exhausted.WithLabelValues(service).Inc()
}

// ProxyEjection counts one ejection.
func (m *Metrics) ProxyEjection(service, endpoint string) {
	m.proxy.ejections.WithLabelValues(service, endpoint).Inc()
}
