//go:build linux

package benchkit

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Get fetches url, giving up after timeout (0: only when ctx ends), and
// returns the body; any status but 200 is an error that quotes the body's
// start.
func Get(ctx context.Context, url string, timeout time.Duration) ([]byte, error) {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %.200s", url, resp.Status, data)
	}
	return data, nil
}

// Scrape is one GET of a /metrics page in the text format.
type Scrape struct {
	At      time.Time     // when the request was sent
	Took    time.Duration // until the page was read and parsed
	Bytes   int           // of text, after any gzip
	Samples int           // sample lines, of every metric
	Metrics Metrics
}

// GetMetrics fetches and parses url, a /metrics page.
func GetMetrics(ctx context.Context, url string, timeout time.Duration) (*Scrape, error) {
	s := &Scrape{At: time.Now()}
	data, err := Get(ctx, url, timeout)
	if err != nil {
		return nil, err
	}
	if s.Metrics, err = ParseMetrics(bytes.NewReader(data)); err != nil {
		return nil, err
	}
	s.Bytes, s.Samples = len(data), sampleLines(data)
	s.Took = time.Since(s.At)
	return s, nil
}

// sampleLines counts the lines that are neither blank nor comments: what
// a page costs to write and to read, whatever the metrics' types.
func sampleLines(data []byte) int {
	n := 0
	for line := range bytes.SplitSeq(data, []byte("\n")) {
		if len(line) > 0 && line[0] != '#' {
			n++
		}
	}
	return n
}

// Metrics is a parsed /metrics page: the metric families by name, as the
// TYPE lines name them (counters with their _total, histograms without
// _bucket).
type Metrics map[string]*dto.MetricFamily

// ParseMetrics reads the Prometheus text format with Prometheus's own
// parser.
func ParseMetrics(r io.Reader) (Metrics, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("benchkit: metrics: %w", err)
	}
	return Metrics(fams), nil
}

// Each calls fn with the labels and value of every series of a counter,
// gauge or untyped metric.
func (m Metrics) Each(name string, fn func(labels map[string]string, v float64)) {
	for _, s := range m[name].GetMetric() {
		labels := make(map[string]string, len(s.GetLabel()))
		for _, l := range s.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		fn(labels, value(s))
	}
}

// Sum is the sum over the series of a counter, gauge or untyped metric
// (its only value when it has one series; 0 when it has none).
func (m Metrics) Sum(name string) float64 {
	return m.SumWhere(name, "", "")
}

// SumWhere is Sum over the series whose label is value; an empty label
// takes every series.
func (m Metrics) SumWhere(name, label, value string) float64 {
	sum := 0.0
	m.Each(name, func(l map[string]string, v float64) {
		if label == "" || l[label] == value {
			sum += v
		}
	})
	return sum
}

func value(s *dto.Metric) float64 {
	switch {
	case s.Counter != nil:
		return s.Counter.GetValue()
	case s.Gauge != nil:
		return s.Gauge.GetValue()
	default:
		return s.GetUntyped().GetValue()
	}
}

// Histogram is the histogram metric name with its series added up bucket
// by bucket (a histogram without labels has just the one).
func (m Metrics) Histogram(name string) Histogram {
	byBound := map[float64]float64{}
	for _, s := range m[name].GetMetric() {
		h := s.GetHistogram()
		for _, b := range h.GetBucket() {
			byBound[b.GetUpperBound()] += count(b.GetCumulativeCount(), b.GetCumulativeCountFloat())
		}
		if _, ok := byBound[math.Inf(1)]; !ok && h != nil {
			byBound[math.Inf(1)] = count(h.GetSampleCount(), h.GetSampleCountFloat())
		}
	}
	var out Histogram
	for b := range byBound {
		out.Bounds = append(out.Bounds, b)
	}
	sort.Float64s(out.Bounds)
	for _, b := range out.Bounds {
		out.Counts = append(out.Counts, byBound[b])
	}
	return out
}

// count is a histogram count, which the text parser keeps as an integer
// or, when any is fractional, as a float.
func count(n uint64, f float64) float64 {
	if f != 0 {
		return f
	}
	return float64(n)
}
