package report

import (
	"math"
	"reflect"
	"testing"

	"pgregory.net/rapid"
)

func TestLinearMapsAndRounds(t *testing.T) {
	x := linear{0, 40, 52, 744}
	y := linear{0, 100, 220, 10} // upwards
	for _, c := range []struct {
		s    linear
		v    float64
		want float64
	}{
		{x, 0, 52}, {x, 40, 744}, {x, 20, 398}, {x, 1, 69.3},
		{y, 0, 220}, {y, 100, 10}, {y, 50, 115}, {y, 99, 12.1},
		{linear{5, 5, 3, 9}, 7, 3}, // an empty domain maps to the range's start
	} {
		if got := c.s.At(c.v); got != c.want {
			t.Errorf("%+v.At(%v) = %v, want %v", c.s, c.v, got, c.want)
		}
	}
}

func TestLinePathBreaksAtGapsAndDotsLonePoints(t *testing.T) {
	nan := math.NaN()
	for _, c := range []struct {
		pts  []point
		want string
	}{
		{nil, ""},
		{[]point{{1, 2}, {3, 4.25}, {5, 6}}, "M1,2L3,4.3L5,6"},
		{[]point{{1, nan}, {2, 2}, {3, 3}, {4, nan}, {5, 5}, {6, 6}}, "M2,2L3,3M5,5L6,6"},
		{[]point{{1, 1}, {2, nan}, {3, 3}}, "M1,1h0M3,3h0"},
	} {
		if got := linePath(c.pts); got != c.want {
			t.Errorf("linePath(%v) = %q, want %q", c.pts, got, c.want)
		}
	}
}

func TestNiceTicks(t *testing.T) {
	for _, c := range []struct {
		max  float64
		n    int
		want []float64
	}{
		{40, 12, []float64{0, 5, 10, 15, 20, 25, 30, 35, 40}},
		{32, 12, []float64{0, 5, 10, 15, 20, 25, 30}},
		{100, 4, []float64{0, 50, 100}},
		{9, 12, []float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{150, 12, []float64{0, 20, 40, 60, 80, 100, 120, 140}},
		{0, 12, []float64{0}},
	} {
		if got := niceTicks(c.max, c.n); !reflect.DeepEqual(got, c.want) {
			t.Errorf("niceTicks(%v, %d) = %v, want %v", c.max, c.n, got, c.want)
		}
	}
}

func TestAssignLanes(t *testing.T) {
	spans := []span{{0, 50}, {20, 60}, {55, 90}, {30, 40}, {100, 120}}
	lanes, used := assignLanes(spans, 4, 2)
	want := []int{0, 1, 0, -1, 0} // {30,40} overlaps lane 0 and lane 1; no third lane
	if !reflect.DeepEqual(lanes, want) || used != 2 {
		t.Errorf("assignLanes = %v, %d lanes; want %v, 2", lanes, used, want)
	}
}

// No two labels on one lane may touch, whatever the input.
func TestAssignLanesNeverOverlaps(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 20).Draw(t, "n")
		spans := make([]span, n)
		for i := range spans {
			from := rapid.Float64Range(0, 700).Draw(t, "from")
			spans[i] = span{from, from + rapid.Float64Range(1, 120).Draw(t, "width")}
		}
		maxLanes := rapid.IntRange(1, 5).Draw(t, "maxLanes")
		lanes, used := assignLanes(spans, 6, maxLanes)
		if used > maxLanes {
			t.Fatalf("%d lanes used, at most %d allowed", used, maxLanes)
		}
		for i := range spans {
			for j := i + 1; j < len(spans); j++ {
				if lanes[i] < 0 || lanes[i] != lanes[j] {
					continue
				}
				a, b := spans[i], spans[j]
				if a.From < b.To+6 && b.From < a.To+6 {
					t.Fatalf("spans %v and %v share lane %d", a, b, lanes[i])
				}
			}
		}
	})
}
