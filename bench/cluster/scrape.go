//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"outlast/bench/internal/benchkit"
	// Named so: this bench calls each outlast process a node.
	nodestatus "outlast/internal/node"
)

// httpTimeout bounds every request this bench makes to a node.
const httpTimeout = 10 * time.Second

func getBody(url string) ([]byte, error) {
	return benchkit.Get(context.Background(), url, httpTimeout)
}

// getHealthz reads a node's /healthz.
func getHealthz(n *node) (*nodestatus.Healthz, error) {
	data, err := getBody(n.httpURL() + "/healthz")
	if err != nil {
		return nil, err
	}
	var h nodestatus.Healthz
	if err := json.Unmarshal(data, &h); err != nil {
		return nil, fmt.Errorf("%s /healthz: %w", n.name, err)
	}
	return &h, nil
}

// healthCounts counts the endpoints a node reports per effective health.
func healthCounts(h *nodestatus.Healthz) map[string]int {
	out := map[string]int{}
	for _, e := range h.Endpoints {
		out[e.Health]++
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

// event is one entry of the replicated event history (GET /api/v1/events).
type event struct {
	Seq      uint64    `json:"seq"`
	Index    uint64    `json:"index"`
	At       time.Time `json:"at"`
	Kind     string    `json:"kind"`
	Endpoint string    `json:"endpoint"`
	Who      string    `json:"who"`
	Detail   string    `json:"detail"`
}

// eventsBetween pages through n's event history and returns the events
// recorded at Raft indexes in (from, to].
func eventsBetween(n *node, from, to uint64) ([]event, error) {
	var out []event
	since := int64(-1)
	for range 1000 {
		data, err := getBody(fmt.Sprintf("%s/api/v1/events?since=%d&limit=1000", n.httpURL(), since))
		if err != nil {
			return out, err
		}
		var page struct {
			Events []event `json:"events"`
			Next   int64   `json:"next"`
			More   bool    `json:"more"`
		}
		if err := json.Unmarshal(data, &page); err != nil {
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
