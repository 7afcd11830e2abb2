package metrics

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// primaryMetrics show each policy primary service's agreed primary, as
// every node applied it, and the hooks this node ran as leader.
type primaryMetrics struct {
	epoch     *prometheus.GaugeVec
	current   *prometheus.GaugeVec
	held      *prometheus.GaugeVec
	splitMind *prometheus.GaugeVec
	hookRuns  *prometheus.CounterVec
}

func newPrimaryMetrics() *primaryMetrics {
	return &primaryMetrics{
		epoch: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "outlast_primary_epoch",
			Help: "The fencing epoch of each policy primary service's agreed primary: the epoch it was promoted at.",
		}, []string{"service"}),
		current: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "outlast_primary",
			Help: "1 for the endpoint each policy primary service answers, 0 for its others; pending is 1 while a promotion to it waits for its hook.",
		}, []string{"service", "endpoint", "pending"}),
		held: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "outlast_primary_held",
			Help: "1 while an automatic change of primary is held back by a safety rule, a gate or a split brain.",
		}, []string{"service"}),
		splitMind: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "outlast_primary_claimants",
			Help: "Endpoints whose role check passes at once, for services that follow a primary elected elsewhere (above 1: split brain).",
		}, []string{"service"}),
		hookRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "outlast_primary_hook_runs_total",
			Help: "Hook runs (retries included) this node ran as leader, by service, hook and outcome.",
		}, []string{"service", "hook", "ok"}),
	}
}

func (p *primaryMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{p.epoch, p.current, p.held, p.splitMind, p.hookRuns}
}

// PrimaryFacts is one policy primary service's agreed primary.
type PrimaryFacts struct {
	Service, Primary, Pending string
	Endpoints                 []string
	Epoch                     uint64
	Held                      bool
	Claimants                 int
}

// Primaries sets the primary gauges from the agreed state.
func (m *Metrics) Primaries(facts []PrimaryFacts) {
	p := m.primary
	p.epoch.Reset()
	p.current.Reset()
	p.held.Reset()
	p.splitMind.Reset()
	for _, f := range facts {
		p.epoch.WithLabelValues(f.Service).Set(float64(f.Epoch))
		p.held.WithLabelValues(f.Service).Set(boolValue(f.Held))
		p.splitMind.WithLabelValues(f.Service).Set(float64(f.Claimants))
		for _, e := range f.Endpoints {
			p.current.WithLabelValues(f.Service, e, "false").Set(boolValue(e == f.Primary))
			if f.Pending != "" {
				p.current.WithLabelValues(f.Service, e, "true").Set(boolValue(e == f.Pending))
			}
		}
	}
}

// HookRun counts one run of a hook.
func (m *Metrics) HookRun(service, hook string, ok bool) {
	m.primary.hookRuns.WithLabelValues(service, hook, strconv.FormatBool(ok)).Inc()
}
