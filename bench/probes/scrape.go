package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// scrape is what the bench reads from one GET /metrics.
type scrape struct {
	at         time.Time     // when the request was sent
	took       time.Duration // until the last byte
	bytes      int           // of text, after gzip
	samples    int           // sample lines, all metrics
	goroutines float64
	late       histogram
	results    map[string]float64    // outlast_probe_results_total summed by result
	perEnd     map[string]*endCounts // by endpoint
}

// endCounts are one endpoint's probe outcomes so far.
type endCounts struct{ ok, failed float64 }

// histogram is a cumulative Prometheus histogram: counts[i] observations
// were <= bounds[i]; the last bound is +Inf.
type histogram struct {
	bounds []float64
	counts []float64
}

const (
	metricLate       = "outlast_probe_start_lateness_seconds"
	metricLateBucket = metricLate + "_bucket"
	metricResults    = "outlast_probe_results_total"
	metricGoroutines = "go_goroutines"
)

// getMetrics fetches and parses url (a /metrics page).
func getMetrics(ctx context.Context, url string) (*scrape, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	s := &scrape{at: time.Now(), results: map[string]float64{}, perEnd: map[string]*endCounts{}}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape: %s: %s", url, resp.Status)
	}
	if err := s.parse(resp.Body); err != nil {
		return nil, fmt.Errorf("scrape: %w", err)
	}
	s.took = time.Since(s.at)
	return s, nil
}

// parse reads the text exposition format, keeping only the few metrics the
// bench reports; a line parser is enough for what promhttp writes.
func (s *scrape) parse(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		s.bytes += len(line) + 1
		if line == "" || line[0] == '#' {
			continue
		}
		s.samples++
		name, labels, value, err := splitSample(line)
		if err != nil {
			return err
		}
		switch name {
		case metricGoroutines:
			s.goroutines = value
		case metricLateBucket:
			s.late.add(labels["le"], value)
		case metricResults:
			s.addResult(labels["endpoint"], labels["result"], value)
		}
	}
	return sc.Err()
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

// splitSample splits `name{a="x",b="y"} value` into its parts. Label values
// here are endpoint names and reasons, which hold no quotes or commas.
func splitSample(line string) (string, map[string]string, float64, error) {
	sp := strings.LastIndexByte(line, ' ')
	if sp < 0 {
		return "", nil, 0, fmt.Errorf("bad sample %q", line)
	}
	value, err := strconv.ParseFloat(line[sp+1:], 64)
	if err != nil {
		return "", nil, 0, fmt.Errorf("bad value in %q", line)
	}
	head := line[:sp]
	brace := strings.IndexByte(head, '{')
	if brace < 0 {
		return head, nil, value, nil
	}
	labels := map[string]string{}
	for _, kv := range strings.Split(strings.TrimSuffix(head[brace+1:], "}"), ",") {
		k, v, _ := strings.Cut(kv, "=")
		labels[k] = strings.Trim(v, `"`)
	}
	return head[:brace], labels, value, nil
}

func (h *histogram) add(le string, count float64) {
	bound := math.Inf(1)
	if le != "+Inf" {
		bound, _ = strconv.ParseFloat(le, 64)
	}
	h.bounds = append(h.bounds, bound)
	h.counts = append(h.counts, count)
}

// minus is h - earlier, bucket by bucket: the observations between two scrapes.
func (h histogram) minus(earlier histogram) histogram {
	out := histogram{bounds: h.bounds, counts: make([]float64, len(h.counts))}
	for i := range h.counts {
		out.counts[i] = h.counts[i]
		if i < len(earlier.counts) {
			out.counts[i] -= earlier.counts[i]
		}
	}
	return out
}

func (h histogram) total() float64 {
	if len(h.counts) == 0 {
		return 0
	}
	return h.counts[len(h.counts)-1]
}

// quantile interpolates linearly inside the bucket holding rank q, as
// Prometheus's histogram_quantile does. over is true when the rank falls in
// the +Inf bucket: then the figure is only "more than the last bound".
func (h histogram) quantile(q float64) (v float64, over bool) {
	n := h.total()
	if n == 0 {
		return math.NaN(), false
	}
	rank := q * n
	i := sort.Search(len(h.counts), func(i int) bool { return h.counts[i] >= rank })
	if math.IsInf(h.bounds[i], 1) {
		return h.bounds[len(h.bounds)-2], true
	}
	lower, below := 0.0, 0.0
	if i > 0 {
		lower, below = h.bounds[i-1], h.counts[i-1]
	}
	inBucket := h.counts[i] - below
	if inBucket == 0 {
		return h.bounds[i], false
	}
	return lower + (h.bounds[i]-lower)*(rank-below)/inBucket, false
}
