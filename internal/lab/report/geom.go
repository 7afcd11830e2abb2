package report

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The SVG geometry helpers: pure functions from data to user units, so the
// chart is tested as numbers and strings rather than as pixels.

// point is a position in SVG user units; a NaN Y means "no value here".
type point struct{ X, Y float64 }

// box is an axis-aligned rectangle in SVG user units.
type box struct{ X, Y, W, H float64 }

// linear maps the data interval [D0, D1] onto the range [R0, R1]. A range
// may run backwards (R0 > R1), which is how a y axis grows upwards.
type linear struct{ D0, D1, R0, R1 float64 }

// At maps v, rounded to a tenth of a unit: finer is invisible and only
// makes the file larger.
func (s linear) At(v float64) float64 {
	if s.D1 == s.D0 {
		return round1(s.R0)
	}
	return round1(s.R0 + (v-s.D0)/(s.D1-s.D0)*(s.R1-s.R0))
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

// num writes a coordinate compactly: "12", "12.5", never "12.500000".
func num(v float64) string { return strconv.FormatFloat(round1(v), 'f', -1, 64) }

// linePath draws a polyline through pts. A point with a NaN Y breaks the
// line, so a second without requests shows as a gap rather than as a fall
// to zero; a point alone between gaps becomes a dot (a zero-length segment
// that round line caps make visible).
func linePath(pts []point) string {
	var b strings.Builder
	for i, p := range pts {
		if math.IsNaN(p.Y) {
			continue
		}
		prevGap := i == 0 || math.IsNaN(pts[i-1].Y)
		if prevGap {
			b.WriteByte('M')
		} else {
			b.WriteByte('L')
		}
		b.WriteString(num(p.X) + "," + num(p.Y))
		nextGap := i == len(pts)-1 || math.IsNaN(pts[i+1].Y)
		if prevGap && nextGap {
			b.WriteString("h0")
		}
	}
	return b.String()
}

// niceTicks returns 0, step, 2*step, ... up to max, with step a 1, 2 or 5
// times a power of ten chosen so there are at most n intervals.
func niceTicks(max float64, n int) []float64 {
	if max <= 0 || n < 1 || math.IsNaN(max) || math.IsInf(max, 0) {
		return []float64{0}
	}
	step := niceStep(max / float64(n))
	var ticks []float64
	for i := 0; ; i++ {
		t := float64(i) * step
		if t > max+step*1e-9 {
			break
		}
		ticks = append(ticks, round1(t*1000)/1000)
	}
	return ticks
}

// niceStep is the smallest 1, 2 or 5 times a power of ten at least raw.
func niceStep(raw float64) float64 {
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw*(1-1e-9) {
			return m * mag
		}
	}
	return 10 * mag
}

// textWidth estimates a label's width; SVG text is not measured before it
// is drawn, and an estimate on the generous side keeps labels apart.
func textWidth(s string, fontSize float64) float64 {
	return float64(utf8.RuneCountInString(s)) * fontSize * 0.6
}

// span is a label's horizontal extent.
type span struct{ From, To float64 }

// assignLanes puts each span on the lowest lane (row) where it does not
// touch an earlier span, leaving gap between neighbours. A span that fits
// on none of maxLanes lanes gets -1: its label is left out (its event
// stays in the event list under the chart). It returns the lanes and how
// many lanes are in use.
func assignLanes(spans []span, gap float64, maxLanes int) ([]int, int) {
	order := make([]int, len(spans))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return spans[order[a]].From < spans[order[b]].From })
	lanes := make([]int, len(spans))
	var ends []float64 // right end of the last span on each lane
	for _, i := range order {
		lanes[i] = -1
		for l, end := range ends {
			if spans[i].From >= end+gap {
				lanes[i], ends[l] = l, spans[i].To
				break
			}
		}
		if lanes[i] < 0 && len(ends) < maxLanes {
			lanes[i] = len(ends)
			ends = append(ends, spans[i].To)
		}
	}
	return lanes, len(ends)
}
