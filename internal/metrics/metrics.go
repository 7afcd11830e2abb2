// Package metrics owns outlast's Prometheus collectors. Other packages never
// touch Prometheus: they hand values to the small methods here, which keeps
// the decision logic free of metrics and the metric names in one place.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"outlast/internal/model"
)

// Metrics holds every outlast collector, registered on one registry.
type Metrics struct {
	Registry *prometheus.Registry

	probeDuration  *prometheus.HistogramVec
	probeResults   *prometheus.CounterVec
	certExpiry     *prometheus.GaugeVec
	verdict        *prometheus.GaugeVec
	verdictChanges *prometheus.CounterVec
	configInfo     *prometheus.GaugeVec
	configReload   prometheus.Gauge
	answerAddrs    *prometheus.GaugeVec
	isLeader       prometheus.Gauge
	stale          prometheus.Gauge
	dns            *dnsCounters
}

// New registers outlast's collectors, plus the Go runtime and process ones, on a fresh registry.
func New(version string) *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		probeDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "outlast_probe_duration_seconds",
			Help:    "How long probes took, per endpoint and vantage point, whatever their outcome.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"endpoint", "vantage"}),
		probeResults: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "outlast_probe_results_total",
			Help: "Probe outcomes per endpoint and vantage point; result is ok or the failure reason (timeout, refused, status, ...).",
		}, []string{"endpoint", "vantage", "result"}),
		certExpiry: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "outlast_probe_cert_expiry_timestamp_seconds",
			Help: "Earliest NotAfter of the certificate chain an endpoint presented, as a Unix time.",
		}, []string{"endpoint", "vantage"}),
		verdict: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "outlast_endpoint_verdict",
			Help: "Quorum verdict per endpoint: 1 for the current state (up, down or unknown), 0 for the others.",
		}, []string{"service", "endpoint", "location", "state"}),
		verdictChanges: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "outlast_verdict_changes_total",
			Help: "Verdict changes per endpoint, by the state changed to.",
		}, []string{"endpoint", "to"}),
		configInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "outlast_config_info",
			Help: "The configuration in use: always 1, labelled with its hash and file.",
		}, []string{"hash", "file"}),
		configReload: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "outlast_config_last_reload_successful",
			Help: "1 if the last configuration load succeeded, 0 if it failed and the previous one is still in use.",
		}),
		answerAddrs: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "outlast_answer_addresses",
			Help: "How many addresses a steered name currently answers with, and why (mode: healthy, panic, serve-all, fallback, empty).",
		}, []string{"name", "type", "mode"}),
		isLeader: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "outlast_cluster_is_leader",
			Help: "1 while this node is the Raft leader (and runs the health engine), 0 otherwise.",
		}),
		stale: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "outlast_cluster_stale",
			Help: "1 while this node has heard from no leader for longer than cluster.stale_after and answers from the last agreed state.",
		}),
		dns: newDNSCounters(),
	}
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "outlast_build_info", Help: "Always 1, labelled with the outlast version.",
	}, []string{"version"})
	build.WithLabelValues(version).Set(1)
	m.Registry.MustRegister(m.probeDuration, m.probeResults, m.certExpiry, m.verdict, m.verdictChanges,
		m.configInfo, m.configReload, m.answerAddrs, m.isLeader, m.stale, m.dns.vec, build,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Observation records one probe result.
func (m *Metrics) Observation(o model.Observation) {
	m.probeDuration.WithLabelValues(o.Endpoint, o.Vantage).Observe(o.Result.Latency.Seconds())
	result := string(o.Result.Reason)
	if o.Result.Up {
		result = string(model.ReasonOK)
	}
	m.probeResults.WithLabelValues(o.Endpoint, o.Vantage, result).Inc()
	if !o.Result.CertExpiry.IsZero() {
		m.certExpiry.WithLabelValues(o.Endpoint, o.Vantage).Set(float64(o.Result.CertExpiry.Unix()))
	}
}

// Verdict sets an endpoint's current verdict; changed says whether it is a change to count.
func (m *Metrics) Verdict(service, endpoint string, loc model.Location, h model.Health, changed bool) {
	for _, s := range []model.Health{model.Up, model.Down, model.Unknown} {
		v := 0.0
		if s == h {
			v = 1
		}
		m.verdict.WithLabelValues(service, endpoint, loc.String(), s.String()).Set(v)
	}
	if changed {
		m.verdictChanges.WithLabelValues(endpoint, h.String()).Inc()
	}
}

// ResetVerdicts forgets every endpoint's verdict series, so endpoints removed
// by a reload do not linger; the caller sets the current ones again.
func (m *Metrics) ResetVerdicts() { m.verdict.Reset() }

// Answers records what each steered name answers now.
func (m *Metrics) Answers(answers []model.Answer) {
	m.answerAddrs.Reset()
	for _, a := range answers {
		m.answerAddrs.WithLabelValues(a.Name, string(a.Type), string(a.Mode)).Set(float64(a.AddressCount()))
	}
}

// Config records a configuration load: its hash and file on success, the failure otherwise.
func (m *Metrics) Config(file, hash string, ok bool) {
	if ok {
		m.configInfo.Reset()
		m.configInfo.WithLabelValues(hash, file).Set(1)
		m.configReload.Set(1)
		return
	}
	m.configReload.Set(0)
}

// ClusterState records whether this node leads and whether its state is stale.
func (m *Metrics) ClusterState(leader, stale bool) {
	m.isLeader.Set(boolValue(leader))
	m.stale.Set(boolValue(stale))
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// DNSQuery counts one DNS query; it is called on the query path and does not allocate.
func (m *Metrics) DNSQuery(qtype uint16, rcode int) { m.dns.inc(qtype, rcode) }
