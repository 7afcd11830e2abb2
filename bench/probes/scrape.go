//go:build linux

package main

import (
	"context"
	"fmt"
	"time"

	"outlast/bench/internal/benchkit"
)

// scrape is what the bench reads from one GET /metrics.
type scrape struct {
	*benchkit.Scrape
	goroutines float64
	late       benchkit.Histogram
	results    map[string]float64    // outlast_probe_results_total summed by result
	perEnd     map[string]*endCounts // by endpoint
}

// endCounts are one endpoint's probe outcomes so far.
type endCounts struct{ ok, failed float64 }

const (
	metricLate       = "outlast_probe_start_lateness_seconds"
	metricResults    = "outlast_probe_results_total"
	metricGoroutines = "go_goroutines"
)

// getMetrics fetches and parses url (a /metrics page), keeping only the few
// metrics the bench reports.
func getMetrics(ctx context.Context, url string) (*scrape, error) {
	page, err := benchkit.GetMetrics(ctx, url, 60*time.Second)
	if err != nil {
		return nil, fmt.Errorf("scrape: %w", err)
	}
	s := &scrape{Scrape: page, results: map[string]float64{}, perEnd: map[string]*endCounts{}}
	s.goroutines = page.Metrics.Sum(metricGoroutines)
	s.late = page.Metrics.Histogram(metricLate)
	page.Metrics.Each(metricResults, func(labels map[string]string, v float64) {
		s.addResult(labels["endpoint"], labels["result"], v)
	})
	return s, nil
}

func (s *scrape) addResult(endpoint, result string, v float64) {
	s.results[result] += v
	c := s.perEnd[endpoint]
	if c == nil {
		c = &endCounts{}
		s.perEnd[endpoint] = c
	}
	if result == "ok" {
		c.ok += v
	} else {
		c.failed += v
	}
}
