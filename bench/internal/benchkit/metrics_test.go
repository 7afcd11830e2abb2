//go:build linux

package benchkit

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// page is the shape promhttp writes: HELP and TYPE lines, a counter with
// labels, a gauge, and a histogram with its +Inf bucket, _sum and _count.
const page = `# HELP go_goroutines Number of goroutines that currently exist.
# TYPE go_goroutines gauge
go_goroutines 10042
# HELP outlast_probe_results_total Probe results by endpoint and result.
# TYPE outlast_probe_results_total counter
outlast_probe_results_total{endpoint="s001-a01",result="ok",service="svc001.bench.test."} 120
outlast_probe_results_total{endpoint="s001-a01",result="refused",service="svc001.bench.test."} 3
outlast_probe_results_total{endpoint="s001-a02",result="ok",service="svc001.bench.test."} 123
# HELP outlast_probe_start_lateness_seconds How long after its slot each probe started.
# TYPE outlast_probe_start_lateness_seconds histogram
outlast_probe_start_lateness_seconds_bucket{le="0.001"} 200
outlast_probe_start_lateness_seconds_bucket{le="0.01"} 240
outlast_probe_start_lateness_seconds_bucket{le="0.1"} 245
outlast_probe_start_lateness_seconds_bucket{le="+Inf"} 246
outlast_probe_start_lateness_seconds_sum 0.75
outlast_probe_start_lateness_seconds_count 246
`

func TestParseMetrics(t *testing.T) {
	m, err := ParseMetrics(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Sum("go_goroutines"); got != 10042 {
		t.Errorf("go_goroutines = %v, want 10042", got)
	}
	if got := m.Sum("outlast_probe_results_total"); got != 246 {
		t.Errorf("results summed = %v, want 246", got)
	}
	if got := m.SumWhere("outlast_probe_results_total", "result", "ok"); got != 243 {
		t.Errorf("ok results = %v, want 243", got)
	}
	perEnd := map[string]float64{}
	m.Each("outlast_probe_results_total", func(l map[string]string, v float64) { perEnd[l["endpoint"]] += v })
	if perEnd["s001-a01"] != 123 || perEnd["s001-a02"] != 123 || len(perEnd) != 2 {
		t.Errorf("per endpoint = %v, want s001-a01 and s001-a02 at 123 each", perEnd)
	}
	h := m.Histogram("outlast_probe_start_lateness_seconds")
	want := fmt.Sprint(Histogram{Bounds: []float64{0.001, 0.01, 0.1, math.Inf(1)}, Counts: []float64{200, 240, 245, 246}})
	if got := fmt.Sprint(h); got != want {
		t.Errorf("histogram = %s, want %s", got, want)
	}
	if m.Sum("no_such_metric") != 0 || len(m.Histogram("no_such_metric").Bounds) != 0 {
		t.Error("a missing metric should read as nothing")
	}
}

func TestParseMetricsRejectsGarbage(t *testing.T) {
	if _, err := ParseMetrics(strings.NewReader("go_goroutines ten\n")); err == nil {
		t.Error("a value that is no number parsed without an error")
	}
}

func TestGetMetrics(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(page))
	}))
	defer srv.Close()
	s, err := GetMetrics(context.Background(), srv.URL+"/metrics", 0)
	if err != nil {
		t.Fatal(err)
	}
	if s.Bytes != len(page) || s.Samples != 10 {
		t.Errorf("Bytes, Samples = %d, %d; want %d, 10", s.Bytes, s.Samples, len(page))
	}
	if _, err := GetMetrics(context.Background(), srv.URL+"/elsewhere", 0); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("GET of a missing page: err = %v, want one naming the 404", err)
	}
}
