//go:build linux

package benchkit

import (
	"math"
	"sort"
)

// Histogram is a cumulative Prometheus histogram: Counts[i] observations
// were <= Bounds[i]. Bounds ascend and the last is +Inf.
type Histogram struct {
	Bounds []float64
	Counts []float64
}

// Minus is h - earlier, bucket by bucket: the observations between two
// scrapes. A bound earlier lacks counts from zero.
func (h Histogram) Minus(earlier Histogram) Histogram {
	out := Histogram{Bounds: h.Bounds, Counts: make([]float64, len(h.Counts))}
	j := 0
	for i, b := range h.Bounds {
		for j < len(earlier.Bounds) && earlier.Bounds[j] < b {
			j++
		}
		out.Counts[i] = h.Counts[i]
		if j < len(earlier.Bounds) && earlier.Bounds[j] == b {
			out.Counts[i] -= earlier.Counts[j]
		}
	}
	return out
}

// Total is the number of observations.
func (h Histogram) Total() float64 {
	if len(h.Counts) == 0 {
		return 0
	}
	return h.Counts[len(h.Counts)-1]
}

// Estimate is where quantile q of a histogram's observations lies, as far
// as its buckets tell.
type Estimate struct {
	// Value interpolates linearly inside the bucket holding rank q, as
	// Prometheus's histogram_quantile does; past the last finite bound it
	// is that bound. NaN without observations.
	Value float64
	// Bound is the upper bound of the bucket holding rank q: +Inf past
	// the last finite bound, NaN without observations.
	Bound float64
	// Over is true when rank q falls in the +Inf bucket: the quantile is
	// then only "more than Value".
	Over bool
}

// Quantile estimates quantile q (0 to 1) of the observations.
func (h Histogram) Quantile(q float64) Estimate {
	n := h.Total()
	if n <= 0 {
		return Estimate{Value: math.NaN(), Bound: math.NaN()}
	}
	rank := q * n
	i := sort.Search(len(h.Counts), func(i int) bool { return h.Counts[i] >= rank })
	i = min(i, len(h.Counts)-1)
	lower, below := 0.0, 0.0
	if i > 0 {
		lower, below = h.Bounds[i-1], h.Counts[i-1]
	}
	bound := h.Bounds[i]
	switch inBucket := h.Counts[i] - below; {
	case math.IsInf(bound, 1):
		if i == 0 {
			lower = math.NaN() // no finite bound to speak of
		}
		return Estimate{Value: lower, Bound: bound, Over: true}
	case inBucket == 0:
		return Estimate{Value: bound, Bound: bound}
	default:
		return Estimate{Value: lower + (bound-lower)*(rank-below)/inBucket, Bound: bound}
	}
}
