package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
)

// transferMetrics show the zones served to secondaries: what each
// transfer request got, each NOTIFY's outcome, the serial published, and
// TSIG verifications.
type transferMetrics struct {
	requests *prometheus.CounterVec
	notifies *prometheus.CounterVec
	serial   *prometheus.GaugeVec
	tsig     *prometheus.CounterVec
}

func newTransferMetrics() *transferMetrics {
	return &transferMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "outlast_zone_transfers_total",
			Help: "AXFR and IXFR requests for zones served to secondaries, by zone, type and result (full, incremental, uptodate, refused, busy, failed).",
		}, []string{"zone", "type", "result"}),
		notifies: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "outlast_zone_notifies_total",
			Help: "NOTIFY messages to secondaries that finished, by zone, secondary and result (acknowledged, rejected, unanswered).",
		}, []string{"zone", "secondary", "result"}),
		serial: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "outlast_zone_serial",
			Help: "The SOA serial of the newest version of each zone served to secondaries, as this node journaled it.",
		}, []string{"zone"}),
		tsig: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "outlast_dns_tsig_total",
			Help: "Requests signed with a configured TSIG key, by key and result (ok, badkey, badsig, badtime).",
		}, []string{"key", "result"}),
	}
}

func (t *transferMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{t.requests, t.notifies, t.serial, t.tsig}
}

// ZoneTransfer counts one transfer request.
func (m *Metrics) ZoneTransfer(zone, qtype, result string) {
	m.transfer.requests.WithLabelValues(zone, qtype, result).Inc()
}

// ZoneNotify counts one finished NOTIFY.
func (m *Metrics) ZoneNotify(zone, secondary, result string) {
	m.transfer.notifies.WithLabelValues(zone, secondary, result).Inc()
}

// ZoneSerial sets the serial a zone's newest journaled version has.
func (m *Metrics) ZoneSerial(zone string, serial uint32) {
	m.transfer.serial.WithLabelValues(zone).Set(float64(serial))
}

// TSIG counts one verification of a request signed with a configured key.
func (m *Metrics) TSIG(key, result string) {
	m.transfer.tsig.WithLabelValues(key, result).Inc()
}
