//go:build linux

package benchkit

import (
	"math"
	"testing"
)

func TestHistogramQuantile(t *testing.T) {
	inf := math.Inf(1)
	bounds := []float64{0.001, 0.01, 0.1, 1, inf}
	// 100 observations before the window; in it, 10 under 1 ms, 60 in
	// (1 ms, 10 ms], 9 in (10 ms, 100 ms] and 1 past a second.
	before := Histogram{Bounds: bounds, Counts: []float64{50, 90, 100, 100, 100}}
	after := Histogram{Bounds: bounds, Counts: []float64{60, 160, 179, 179, 180}}
	w := after.Minus(before)
	if got := w.Total(); got != 80 {
		// 180 - 100: the window's own observations.
		t.Fatalf("Total = %v, want 80", got)
	}
	for _, c := range []struct {
		q          float64
		value, bnd float64
		over       bool
	}{
		{q: 0.5, value: 0.001 + 0.009*30.0/60, bnd: 0.01},
		{q: 0.1, value: 0.0008, bnd: 0.001},
		{q: 0.95, value: 0.01 + 0.09*6.0/9, bnd: 0.1},
		{q: 1, value: 1, bnd: inf, over: true},
	} {
		e := w.Quantile(c.q)
		if math.Abs(e.Value-c.value) > 1e-12 || e.Bound != c.bnd || e.Over != c.over {
			t.Errorf("Quantile(%v) = %+v, want value %v bound %v over %v", c.q, e, c.value, c.bnd, c.over)
		}
	}
	if e := before.Minus(before).Quantile(0.99); !math.IsNaN(e.Value) || !math.IsNaN(e.Bound) {
		t.Errorf("empty window: Quantile = %+v, want NaN", e)
	}
}

// A bound the earlier scrape lacks (a bucket added in between) counts from zero.
func TestHistogramMinusByBound(t *testing.T) {
	inf := math.Inf(1)
	earlier := Histogram{Bounds: []float64{1, inf}, Counts: []float64{3, 4}}
	later := Histogram{Bounds: []float64{0.5, 1, inf}, Counts: []float64{2, 5, 7}}
	got := later.Minus(earlier)
	want := []float64{2, 2, 3}
	for i := range want {
		if got.Counts[i] != want[i] {
			t.Fatalf("Minus = %v, want %v", got.Counts, want)
		}
	}
}
