package report

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"outlast/internal/lab"
)

// Chart layout in SVG user units. The viewBox scales the whole chart to
// the page width, text included, so on a phone the page's style sets the
// chart's text larger (in user units) than on a desktop; the layout leaves
// room for the larger size: labelFont is the phone's marker label size.
const (
	chartW      = 760.0
	plotLeft    = 60.0
	plotRight   = 30.0 // half of the widest x tick label at the phone's size
	plotH       = 210.0
	plotBottom  = 56.0 // fault strip, x tick labels and the axis title
	laneH       = 22.0
	laneTop     = 4.0
	labelFont   = 19.0
	xTicksMax   = 8 // "100 s" at the phone's size needs ~70 units
	maxLanes    = 4
	labelGap    = 6.0
	successGoal = 99.0 // the demo's bound for client success
)

// chart is everything the template needs to draw one timeline.
type chart struct {
	Label      string // aria-label
	W, H       float64
	Plot       box
	Right      float64 // Plot's right edge
	Bottom     float64 // Plot's bottom edge (the x axis)
	XLabelY    float64 // baseline of the x tick labels
	Band       box     // the fault window, from fault to heal (or the end)
	Strip      box     // the same window as a strip under the x axis, never hidden by bars
	HasBand    bool
	YTicks     []tick
	XTicks     []tick
	Goal       float64 // y of the 99% line
	Bars       []bar
	Hovers     []hover
	Line       string // the client success rate path
	Markers    []mark
	XAxisTitle point
}

type tick struct {
	Pos   float64
	Label string
}

type bar struct {
	box
	Fill string
}

// hover is an invisible column over one second that carries a tooltip.
type hover struct {
	box
	Title string
}

// mark is a vertical event line with its label on one of the label lanes.
type mark struct {
	X, Y1, Y2, TX, TY float64
	Anchor, Kind      string
	Label             string
	Detail            string // the marker's tooltip, when it says more than Label
	ShowLabel         bool
}

// buildChart lays out one scenario's timeline. colors maps an endpoint
// name to its fill; order is the stacking order, bottom first.
func buildChart(r lab.Result, order []string, colors map[string]string) chart {
	end := timelineEnd(r)
	x := linear{0, end, plotLeft, chartW - plotRight}
	marks, lanes := placeMarkers(markersOf(r), x)
	top := laneTop + float64(lanes)*laneH + 4
	c := chart{
		Label: fmt.Sprintf("Timeline of %s: client success rate and serving region per second, with the scenario's events marked", r.Name),
		W:     chartW, H: top + plotH + plotBottom,
		Plot: box{plotLeft, top, chartW - plotLeft - plotRight, plotH},
	}
	c.Right, c.Bottom, c.XLabelY = chartW-plotRight, top+plotH, top+plotH+24
	y := linear{0, 100, top + plotH, top}
	c.Goal = y.At(successGoal)
	c.XAxisTitle = point{plotLeft + c.Plot.W/2, c.H - 6}
	for _, v := range []float64{0, 25, 50, 75, 100} {
		c.YTicks = append(c.YTicks, tick{y.At(v), fmt.Sprintf("%g%%", v)})
	}
	for _, v := range niceTicks(end, xTicksMax) {
		c.XTicks = append(c.XTicks, tick{x.At(v), fmt.Sprintf("%g s", v)})
	}
	if r.FaultAt >= 0 {
		to := end
		if r.HealAt >= 0 {
			to = r.HealAt
		}
		c.Band, c.HasBand = box{x.At(r.FaultAt), top, x.At(to) - x.At(r.FaultAt), plotH}, true
		c.Strip = box{c.Band.X, top + plotH + 1, c.Band.W, 5}
	}
	c.Bars, c.Hovers, c.Line = seriesOf(r.Seconds, x, y, order, colors)
	for i := range marks {
		marks[i].Y2 = top + plotH
		if !marks[i].ShowLabel {
			marks[i].Y1 = top
		}
	}
	c.Markers = marks
	return c
}

// timelineEnd is the whole seconds the chart spans: every recorded second
// and every event.
func timelineEnd(r lab.Result) float64 {
	end := math.Max(r.FaultAt, r.HealAt)
	for _, s := range r.Seconds {
		end = math.Max(end, float64(s.T+1))
	}
	for _, m := range r.Markers {
		end = math.Max(end, m.T)
	}
	return math.Max(1, math.Ceil(end))
}

// markersOf returns the scenario's markers, adding fault and heal from
// FaultAt and HealAt when the recorder did not mark them itself.
func markersOf(r lab.Result) []lab.Marker {
	has := map[string]bool{}
	for _, m := range r.Markers {
		has[m.Kind] = true
	}
	ms := append([]lab.Marker(nil), r.Markers...)
	if !has["fault"] && r.FaultAt >= 0 {
		ms = append(ms, lab.Marker{T: r.FaultAt, Kind: "fault", Label: "fault"})
	}
	if !has["heal"] && r.HealAt >= 0 {
		ms = append(ms, lab.Marker{T: r.HealAt, Kind: "heal", Label: "heal"})
	}
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].T < ms[j].T })
	return ms
}

// placeMarkers puts each marker's label beside its line, on the first lane
// where it overlaps no other label; a label that would run off the right
// edge is set to the left of its line instead.
func placeMarkers(ms []lab.Marker, x linear) ([]mark, int) {
	out := make([]mark, len(ms))
	spans := make([]span, len(ms))
	for i, m := range ms {
		px := x.At(math.Max(x.D0, math.Min(m.T, x.D1)))
		w := textWidth(m.Label, labelFont)
		out[i] = mark{X: px, TX: px + 4, Anchor: "start", Kind: markerKind(m.Kind), Label: m.Label, Detail: m.Detail}
		spans[i] = span{px, px + 4 + w}
		if px+4+w > x.R1 {
			out[i].TX, out[i].Anchor = px-4, "end"
			spans[i] = span{px - 4 - w, px}
		}
	}
	lanes, used := assignLanes(spans, labelGap, maxLanes)
	for i, l := range lanes {
		if l < 0 {
			continue
		}
		out[i].ShowLabel = true
		out[i].TY = laneTop + float64(l)*laneH + 16
		out[i].Y1 = out[i].TY + 4
	}
	return out, used
}

// markerKind keeps the kind to a known word: it becomes a CSS class.
func markerKind(k string) string {
	switch k {
	case "fault", "heal", "verdict", "leader", "outvoted", "answer", "resolution":
		return k
	}
	return "other"
}

// seriesOf turns the per-second client record into stacked bars (the share
// of requests each endpoint served), hover columns, and the success line.
// Bars and line share the 0-100% axis, so the stack's top is the line.
func seriesOf(secs []lab.Second, x, y linear, order []string, colors map[string]string) ([]bar, []hover, string) {
	var bars []bar
	var hovers []hover
	pts := make([]point, 0, len(secs))
	for _, s := range secs {
		x0, x1 := x.At(float64(s.T)), x.At(float64(s.T+1))
		hovers = append(hovers, hover{box{x0, y.R1, x1 - x0, y.R0 - y.R1}, secondTitle(s, order)})
		if s.Requests <= 0 {
			pts = append(pts, point{x.At(float64(s.T) + 0.5), math.NaN()})
			continue
		}
		pts = append(pts, point{x.At(float64(s.T) + 0.5), y.At(100 * float64(s.Successes) / float64(s.Requests))})
		acc := 0.0
		for _, name := range order {
			n := s.ServedBy[name]
			if n <= 0 {
				continue
			}
			lo, hi := y.At(100*acc/float64(s.Requests)), y.At(100*(acc+float64(n))/float64(s.Requests))
			acc += float64(n)
			// Columns touch: the stack reads as one area, calmer than stripes.
			bars = append(bars, bar{box{x0, hi, round1(x1 - x0), round1(lo - hi)}, colors[name]})
		}
	}
	return bars, hovers, linePath(pts)
}

// secondTitle is the tooltip of one second: its figures in words.
func secondTitle(s lab.Second, order []string) string {
	if s.Requests <= 0 {
		return fmt.Sprintf("%d s: no requests", s.T)
	}
	parts := []string{fmt.Sprintf("%d s: %s success (%d of %d)", s.T,
		percent(100*float64(s.Successes)/float64(s.Requests)), s.Successes, s.Requests)}
	for _, name := range order {
		if n := s.ServedBy[name]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", name, n))
		}
	}
	return strings.Join(parts, "; ")
}
