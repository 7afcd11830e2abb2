//go:build linux

package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"time"

	"outlast/bench/internal/benchkit"
	"outlast/internal/wire"
)

// httpTimeout bounds every request this bench makes to a node.
const httpTimeout = 10 * time.Second

func getBody(url string) ([]byte, error) {
	return benchkit.Get(context.Background(), url, httpTimeout)
}

// apiOf is a client of a node's API (plain HTTP on loopback; the bench's
// nodes make their status public, so no token).
func apiOf(n *node) *wire.Client {
	return wire.NewClient(n.httpURL(), "", wire.WithHTTPClient(&http.Client{Timeout: httpTimeout}))
}

// healthCounts counts the endpoints a node reports per effective health,
// and all of them under "endpoints".
func healthCounts(svcs []wire.Service) map[string]int {
	out := map[string]int{}
	for _, s := range svcs {
		for _, e := range s.Endpoints {
			out[e.Health]++
			out["endpoints"]++
		}
	}
	return out
}

// snapshot is one scrape of a node's /metrics.
type snapshot struct {
	at         time.Time
	sent, recv float64 // outlast_cluster_{sent,received}_bytes_total
	applied    float64
	leader     bool
	elections  float64 // outlast_cluster_leader_changes_total
	cpu        float64 // process_cpu_seconds_total
	rss        float64
	goroutines float64
	probes     float64 // outlast_probe_results_total, every result
	probesOK   float64
	lateness   benchkit.Histogram // outlast_probe_start_lateness_seconds
}

func scrape(n *node) (snapshot, error) {
	data, err := getBody(n.httpURL() + "/metrics")
	if err != nil {
		return snapshot{}, err
	}
	at := time.Now()
	m, err := benchkit.ParseMetrics(bytes.NewReader(data))
	if err != nil {
		return snapshot{}, fmt.Errorf("%s /metrics: %w", n.name, err)
	}
	return snapshot{
		at:         at,
		sent:       m.Sum("outlast_cluster_sent_bytes_total"),
		recv:       m.Sum("outlast_cluster_received_bytes_total"),
		applied:    m.Sum("outlast_cluster_applied_index"),
		elections:  m.Sum("outlast_cluster_leader_changes_total"),
		leader:     m.Sum("outlast_cluster_is_leader") == 1,
		cpu:        m.Sum("process_cpu_seconds_total"),
		rss:        m.Sum("process_resident_memory_bytes"),
		goroutines: m.Sum("go_goroutines"),
		probes:     m.Sum("outlast_probe_results_total"),
		probesOK:   m.SumWhere("outlast_probe_results_total", "result", "ok"),
		lateness:   m.Histogram("outlast_probe_start_lateness_seconds"),
	}, nil
}

// latenessP99 is the upper bound of the histogram bucket holding the 99th
// percentile of the probes that started between a and b.
func latenessP99(a, b snapshot) float64 {
	return b.lateness.Minus(a.lateness).Quantile(0.99).Bound
}

// eventsBetween pages through n's event history and returns the events
// recorded at Raft indexes in (from, to].
func eventsBetween(ctx context.Context, n *node, from, to uint64) ([]wire.Event, error) {
	var out []wire.Event
	since := int64(-1)
	for range 1000 {
		page, err := apiOf(n).Events(ctx, since, 1000)
		if err != nil {
			return out, fmt.Errorf("%s events: %w", n.name, err)
		}
		for _, e := range page.Events {
			if e.Index > from && e.Index <= to {
				out = append(out, e)
			}
		}
		if !page.More {
			break
		}
		since = page.Next
	}
	return out, nil
}

// targetStats asks the targets process how many requests it served and how
// many listeners it has.
func targetStats(control string) (served, listening int64, err error) {
	data, err := getBody("http://" + control + "/stats")
	if err != nil {
		return 0, 0, err
	}
	_, err = fmt.Sscan(string(data), &served, &listening)
	return served, listening, err
}
