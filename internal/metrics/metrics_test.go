package metrics

import (
	"bytes"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	outlast "outlast/internal/model"
)

func TestExpositionParses(t *testing.T) {
	m := New("test")
	m.Observation(outlast.Observation{Vantage: "n1", Endpoint: "use1", At: time.Now(),
		Result: outlast.Result{Up: false, Reason: outlast.ReasonTimeout, Latency: time.Second}})
	m.Verdict("api.example.test.", "use1", outlast.Location{Provider: "aws", Region: "us-east-1"}, outlast.Down, true)
	m.DNSQuery(dns.TypeA, dns.RcodeSuccess)
	m.DNSQuery(dns.TypeCAA, dns.RcodeRefused)
	m.Config("c.yaml", "abc", true)
	m.ClusterState(ClusterFacts{Leader: true, AppliedIndex: 42, Term: 3, ConfigVersion: 2})
	m.LeaderChanged()

	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	for _, f := range families {
		if _, err := expfmt.MetricFamilyToText(&buf, f); err != nil {
			t.Fatal(err)
		}
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	parsed, err := parser.TextToMetricFamilies(&buf)
	if err != nil {
		t.Fatalf("exposition does not parse: %v", err)
	}
	for _, name := range []string{"outlast_probe_duration_seconds", "outlast_probe_results_total", "outlast_endpoint_verdict",
		"outlast_verdict_changes_total", "outlast_dns_queries_total", "outlast_config_info", "outlast_build_info",
		"outlast_probe_up", "outlast_cluster_is_leader", "outlast_cluster_stale", "outlast_cluster_leader_changes_total",
		"outlast_cluster_applied_index", "outlast_cluster_term", "outlast_config_version"} {
		if parsed[name] == nil {
			t.Errorf("metric %s missing from the exposition", name)
		}
	}
	if got := testutil.ToFloat64(m.probeUp.WithLabelValues("use1", "n1")); got != 0 {
		t.Errorf("a failed probe must set outlast_probe_up to 0, got %v", got)
	}
	if got := testutil.ToFloat64(m.appliedIndex); got != 42 {
		t.Errorf("outlast_cluster_applied_index = %v, want 42", got)
	}
	if got := testutil.ToFloat64(m.dns.vec.WithLabelValues("other", "REFUSED")); got != 1 {
		t.Errorf("CAA/REFUSED should count under qtype=other, got %v", got)
	}
	if got := testutil.ToFloat64(m.verdict.WithLabelValues("api.example.test.", "use1", "aws/us-east-1", "down")); got != 1 {
		t.Errorf("verdict gauge for down should be 1, got %v", got)
	}
}

func TestDNSQueryDoesNotAllocate(t *testing.T) {
	m := New("test")
	if allocs := testing.AllocsPerRun(100, func() { m.DNSQuery(dns.TypeAAAA, dns.RcodeNameError) }); allocs != 0 {
		t.Errorf("DNSQuery is on the query path and must not allocate; got %v allocations", allocs)
	}
}

// TestAreaQueryDoesNotAllocate: counting a geo query, on the query path,
// allocates nothing once its area has a counter.
func TestAreaQueryDoesNotAllocate(t *testing.T) {
	m := New("test")
	area := string([]byte("europe")) // not a constant: as the snapshot's names are
	m.AreaQuery(area)
	if n := testing.AllocsPerRun(100, func() { m.AreaQuery(area) }); n != 0 {
		t.Errorf("AreaQuery allocates %.0f times a query, want 0", n)
	}
}
