package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// signingMetrics show online signing: signatures made per zone, the sets
// whose signatures are cached, and when the node's answers next need
// re-signing.
type signingMetrics struct {
	signed *prometheus.CounterVec
	cached *prometheus.GaugeVec
	resign prometheus.Gauge
	toTCP  prometheus.Counter
}

func newSigningMetrics() *signingMetrics {
	return &signingMetrics{
		signed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "outlast_dnssec_signatures_total",
			Help: "RRSIGs this node made for each signed zone (answer sets at build time, denials of absent names per query); with the signature cache it grows with changes and re-signing, not with rebuilds.",
		}, []string{"zone"}),
		cached: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "outlast_dnssec_cached_sets",
			Help: "Answer sets of each signed zone whose signatures are kept between builds.",
		}, []string{"zone"}),
		toTCP: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "outlast_dnssec_denials_to_tcp_total",
			Help: "Queries over UDP for names that do not exist in a signed zone sent to TCP (empty, TC set) because the zone's allowance of fresh denials a second (zones[].dnssec.denial_rate) was spent: a flood of random names, or a rate set too low.",
		}),
		resign: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "outlast_dnssec_resign_timestamp_seconds",
			Help: "When a signature in the node's current answers falls due for re-signing (Unix time; 0: nothing signed). Answers are rebuilt every second, so a time long past means the node stopped rebuilding them.",
		}),
	}
}

func (s *signingMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{s.signed, s.cached, s.resign, s.toTCP}
}

// SigningFacts are one signed zone's signer counts since the last call.
type SigningFacts struct {
	Zone       string
	NewSigs    uint64 // RRSIGs made since the last report
	CachedSets int
}

// Signing records the signed zones' counts after a build and when its
// answers next need re-signing (zero: nothing is signed). Zones dropped
// from the configuration lose their cached-sets series.
func (m *Metrics) Signing(zones []SigningFacts, resignAt time.Time) {
	s := m.signing
	s.cached.Reset()
	for _, z := range zones {
		s.signed.WithLabelValues(z.Zone).Add(float64(z.NewSigs))
		s.cached.WithLabelValues(z.Zone).Set(float64(z.CachedSets))
	}
	if resignAt.IsZero() {
		s.resign.Set(0)
		return
	}
	s.resign.Set(float64(resignAt.Unix()))
}

// DenialToTCP counts one query sent to TCP because its zone's fresh
// denials were spent; on the query path, without allocating.
func (m *Metrics) DenialToTCP() { m.signing.toTCP.Inc() }
