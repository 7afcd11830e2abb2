// Package metrics owns outlast's Prometheus collectors. Other packages never
// touch Prometheus: they hand values to the small methods here, which keeps
// the decision logic free of metrics and the metric names in one place.
package metrics

import (
	"net/http"
	"strconv"
	"time"

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
	probeUp        *prometheus.GaugeVec
	verdict        *prometheus.GaugeVec
	verdictChanges *prometheus.CounterVec
	configInfo     *prometheus.GaugeVec
	configReload   prometheus.Gauge
	answerAddrs    *prometheus.GaugeVec
	resolution     *prometheus.GaugeVec
	isLeader       prometheus.Gauge
	stale          prometheus.Gauge
	ready          prometheus.Gauge
	persistFailing prometheus.Gauge
	leaderChanges  prometheus.Counter
	appliedIndex   prometheus.Gauge
	probeLateness  prometheus.Histogram
	term           prometheus.Gauge
	configVersion  prometheus.Gauge
	apiRequests    *prometheus.CounterVec
	dns            *dnsCounters
	rateLimited    *rateLimited
	cookies        *cookieCounters
	areas          *areaCounters
	proxy          *proxyMetrics
	primary        *primaryMetrics
	transfer       *transferMetrics
	signing        *signingMetrics
}

// New registers outlast's collectors, plus the Go runtime and process ones, on a fresh registry.
func New(version string) *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		probeDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "outlast_probe_duration_seconds",
			Help: "How long probes took, per endpoint and vantage point, whatever their outcome.",
			// Few buckets: this histogram exists per endpoint and vantage
			// point, and at 10,000 endpoints every bucket is 10,000 series.
			Buckets: []float64{.001, .005, .025, .1, .25, 1, 2.5},
		}, []string{"endpoint", "vantage"}),
		probeResults: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "outlast_probe_results_total",
			Help: "Probe outcomes per endpoint and vantage point; result is ok or the failure reason (timeout, refused, status, ...).",
		}, []string{"endpoint", "vantage", "result"}),
		certExpiry: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "outlast_probe_cert_expiry_timestamp_seconds",
			Help: "Earliest NotAfter of the certificate chain an endpoint presented, as a Unix time.",
		}, []string{"endpoint", "vantage"}),
		probeUp: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "outlast_probe_up",
			Help: "This node's latest probe of each endpoint: 1 passed, 0 failed. Scrape every node for the whole vantage × endpoint matrix.",
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
			Help: "How many addresses a steered name currently answers with, per client area (\"\" for clients in no area and names without policy geo), and why (mode: healthy, panic, serve-all, fallback, empty, unresolved).",
		}, []string{"name", "type", "area", "mode"}),
		resolution: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "outlast_target_resolution",
			Help: "What this node's resolver holds for each endpoint target hostname: 1 for the current state " +
				"(fresh, stale: the upstream fails and the last good addresses are served, empty, unresolved), 0 for the others.",
		}, []string{"target", "state"}),
		isLeader: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "outlast_cluster_is_leader",
			Help: "1 while this node is the Raft leader (and runs the health engine), 0 otherwise.",
		}),
		stale: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "outlast_cluster_stale",
			Help: "1 while this node has heard from no leader for longer than cluster.stale_after and answers from the last agreed state.",
		}),
		ready: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "outlast_ready",
			Help: "1 while /healthz/ready says ready: the node is in contact with the cluster and writes its log; 0 otherwise (the reasons are in /healthz/ready).",
		}),
		persistFailing: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "outlast_cluster_persist_failing",
			Help: "1 while this node cannot write its Raft log (a full or broken data disk) and so applies none of the cluster's decisions.",
		}),
		leaderChanges: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "outlast_cluster_leader_changes_total",
			Help: "Times this node saw the Raft leader change (to another node or to none).",
		}),
		appliedIndex: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "outlast_cluster_applied_index",
			Help: "The last Raft log index this node applied; nodes far behind the leader answer from older state.",
		}),
		term: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "outlast_cluster_term",
			Help: "The Raft term this node is in; it grows with every election.",
		}),
		configVersion: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "outlast_config_version",
			Help: "Version of the replicated configuration this node applied (0 before the cluster has one).",
		}),
		apiRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "outlast_api_requests_total",
			Help: "Requests to the operator API and the status page, by method, route (the pattern that served it) and status code.",
		}, []string{"method", "route", "code"}),
		probeLateness: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "outlast_probe_start_lateness_seconds",
			Help: "How long after its scheduled slot each probe started: the scheduler keeping up, or not.",
			// From a timer's usual slack up to a whole default interval.
			Buckets: []float64{0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1},
		}),
		dns:         newDNSCounters(),
		rateLimited: newRateLimited(),
		cookies:     newCookieCounters(),
		areas:       newAreaCounters(),
		proxy:       newProxyMetrics(),
		primary:     newPrimaryMetrics(),
		transfer:    newTransferMetrics(),
		signing:     newSigningMetrics(),
	}
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "outlast_build_info", Help: "Always 1, labelled with the outlast version.",
	}, []string{"version"})
	build.WithLabelValues(version).Set(1)
	m.Registry.MustRegister(m.probeDuration, m.probeResults, m.certExpiry, m.verdict, m.verdictChanges,
		m.configInfo, m.configReload, m.answerAddrs, m.resolution, m.isLeader, m.stale, m.ready, m.persistFailing, m.leaderChanges, m.appliedIndex,
		m.term, m.configVersion, m.probeUp, m.apiRequests, m.dns.vec, m.rateLimited.vec, m.cookies.vec, m.areas.vec, m.probeLateness, build,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.Registry.MustRegister(m.proxy.collectors()...)
	m.Registry.MustRegister(m.primary.collectors()...)
	m.Registry.MustRegister(m.transfer.collectors()...)
	m.Registry.MustRegister(m.signing.collectors()...)
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
	m.probeUp.WithLabelValues(o.Endpoint, o.Vantage).Set(boolValue(o.Result.Up))
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
		m.answerAddrs.WithLabelValues(a.Name, string(a.Type), a.Area, string(a.Mode)).Set(float64(a.AddressCount()))
	}
}

// TargetStates are the states outlast_target_resolution reports.
var TargetStates = []string{"fresh", "stale", "empty", "unresolved"}

// TargetResolution replaces every target's resolution series with states,
// target name to one of TargetStates, so targets a reload dropped go away.
func (m *Metrics) TargetResolution(states map[string]string) {
	m.resolution.Reset()
	for target, state := range states {
		for _, s := range TargetStates {
			m.resolution.WithLabelValues(target, s).Set(boolValue(s == state))
		}
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

// ClusterState records this node's place in the cluster.
func (m *Metrics) ClusterState(c ClusterFacts) {
	m.isLeader.Set(boolValue(c.Leader))
	m.stale.Set(boolValue(c.Stale))
	m.persistFailing.Set(boolValue(c.PersistFailing))
	m.appliedIndex.Set(float64(c.AppliedIndex))
	m.term.Set(float64(c.Term))
	m.configVersion.Set(float64(c.ConfigVersion))
}

// ClusterFacts are what ClusterState records.
type ClusterFacts struct {
	Leader, Stale      bool
	PersistFailing     bool
	AppliedIndex, Term uint64
	ConfigVersion      uint64
}

// APIRequest counts one request to the API or the status page. route is
// the pattern that served it, such as /api/v1/services/{name}, so a label
// value never holds a client's path; a method outside HTTP's own set counts
// as "other", for the same reason.
func (m *Metrics) APIRequest(method, route string, code int) {
	if !knownMethods[method] {
		method = "other"
	}
	m.apiRequests.WithLabelValues(method, route, strconv.Itoa(code)).Inc()
}

var knownMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
	http.MethodConnect: true, http.MethodTrace: true,
}

// ClusterTraffic exports the bytes a node's cluster port sent and
// received, read from the counters the cluster keeps; call it once.
func (m *Metrics) ClusterTraffic(traffic func() (sent, received uint64)) {
	sent := prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "outlast_cluster_sent_bytes_total",
		Help: "Bytes this node sent to other nodes through the cluster port, TLS included.",
	}, func() float64 { s, _ := traffic(); return float64(s) })
	received := prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "outlast_cluster_received_bytes_total",
		Help: "Bytes this node received from other nodes through the cluster port, TLS included.",
	}, func() float64 { _, r := traffic(); return float64(r) })
	m.Registry.MustRegister(sent, received)
}

// ProbeLateness records how late a probe started against its slot.
func (m *Metrics) ProbeLateness(late time.Duration) { m.probeLateness.Observe(late.Seconds()) }

// LeaderChanged counts a change of leader seen by this node.
func (m *Metrics) LeaderChanged() { m.leaderChanges.Inc() }

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// DNSQuery counts one DNS query; it is called on the query path and does not allocate.
func (m *Metrics) DNSQuery(qtype uint16, rcode int) { m.dns.inc(qtype, rcode) }

// DNSCookie counts a query's COOKIE option by what it held: 1 a client
// cookie alone, 2 a valid server cookie, 3 an invalid one (dnsserver's
// CookieKind); 0 counts nothing.
func (m *Metrics) DNSCookie(kind uint8) {
	if kind >= 1 && int(kind) <= len(m.cookies.by) {
		m.cookies.by[kind-1].Inc()
	}
}

// DNSRateLimited counts one reply rate limiting truncated (slipped) or,
// when dropped, did not send; on the query path, without allocating.
func (m *Metrics) DNSRateLimited(dropped bool) {
	if dropped {
		m.rateLimited.drop.Inc()
	} else {
		m.rateLimited.slip.Inc()
	}
}

// AreaQuery counts one query of a geo name for the client area it was
// answered for; on the query path, it allocates only on an area's first query.
func (m *Metrics) AreaQuery(area string) { m.areas.inc(area) }

// AreaQueries are the queries AreaQuery counted since the node started,
// by area ("" for clients in no area).
func (m *Metrics) AreaQueries() map[string]uint64 { return m.areas.counts() }

// Refusals reads one listener's refused-connection counters: over its
// per-client cap and over its total cap.
type Refusals func() (perClient, total uint64)

// RefusedConnections exports how many connections the HTTP listener and the
// DNS TCP listener closed at once because a client (or everyone) held too
// many, read from their counters, and how many handshakes the cluster port
// refused; call it once.
func (m *Metrics) RefusedConnections(http, dnsTCP Refusals, cluster func() uint64) {
	const help = "Connections a listener closed at once because their client already held its per-client cap (reason per_client) or the listener its total cap (reason total)."
	for listener, read := range map[string]Refusals{"http": http, "dns_tcp": dnsTCP} {
		for _, reason := range []string{"per_client", "total"} {
			m.Registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "outlast_connections_refused_total", Help: help,
				ConstLabels: prometheus.Labels{"listener": listener, "reason": reason},
			}, func() float64 {
				perClient, total := read()
				if reason == "per_client" {
					return float64(perClient)
				}
				return float64(total)
			}))
		}
	}
	m.Registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "outlast_cluster_connections_refused_total",
		Help: "Connections the cluster port refused: failed mutual-TLS handshakes and unknown connection kinds.",
	}, func() float64 { return float64(cluster()) }))
}

// Ready records whether the node is ready (/healthz/ready).
func (m *Metrics) Ready(ready bool) { m.ready.Set(boolValue(ready)) }
