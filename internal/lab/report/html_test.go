package report

import (
	"bytes"
	"math"
	"regexp"
	"strings"
	"testing"

	"outlast/internal/lab"
)

func renderHTML(t *testing.T, r lab.Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := HTML(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

var timelineTag = regexp.MustCompile(`<svg class="timeline"[^>]*aria-label="Timeline of ([^:"]+):`)

func TestHTMLHasOneTimelinePerScenario(t *testing.T) {
	out := renderHTML(t, sampleReport())
	got := timelineTag.FindAllStringSubmatch(out, -1)
	want := []string{"region-outage", "false-alarm", "recovery"}
	if len(got) != len(want) {
		t.Fatalf("%d timeline charts, want %d", len(got), len(want))
	}
	for i, m := range got {
		if m[1] != want[i] {
			t.Errorf("chart %d is labelled for %q, want %q", i, m[1], want[i])
		}
	}
	for _, s := range []string{
		`<meta name="viewport"`, `viewBox="0 0 760 `, // phone-friendly, scales
		`<table>`, `href="#s1-region-outage"`, // summary table with links
		`served by use1`, `served by usw2`, `client success rate`, // legend in words
		`>use1 down</text>`, `>fault</text>`, `>heal</text>`, // markers with labels
		`1.6 s`, `99.8%`, `1 flap &gt; 0`, `<div class="bad"><dt>Flaps</dt><dd>1</dd></div>`, `2 of 3 scenarios passed`,
	} {
		if !strings.Contains(out, s) {
			t.Errorf("report lacks %q", s)
		}
	}
}

// The report must open offline: nothing may be fetched from anywhere.
func TestHTMLIsSelfContained(t *testing.T) {
	out := renderHTML(t, sampleReport())
	for _, bad := range []string{"http://", "https://", "<script", "<link", "@import", "url(", "<img", "src="} {
		if strings.Contains(out, bad) {
			i := strings.Index(out, bad)
			t.Errorf("report contains %q: ...%s...", bad, out[max(0, i-60):min(len(out), i+60)])
		}
	}
	if !strings.Contains(out, "<style>") {
		t.Error("report has no inline style")
	}
}

func TestHTMLEscapesScenarioText(t *testing.T) {
	r := sampleReport()
	evil := `<script>alert("x")</script><img src=x onerror=alert(1)>`
	r.Scenarios[0].Title = evil
	r.Scenarios[0].Description = evil
	r.Scenarios[0].Name = `a"><script>alert(2)</script>`
	r.Scenarios[0].Failures = []string{evil}
	r.Scenarios[0].Markers = append(r.Scenarios[0].Markers, lab.Marker{T: 20, Kind: `"><script>`, Label: evil})
	r.Scenarios[0].Seconds[3].ServedBy[`"><script>alert(3)</script>`] = 1
	out := renderHTML(t, r)
	for _, bad := range []string{"<script", "<img"} {
		if strings.Contains(out, bad) {
			i := strings.Index(out, bad)
			t.Errorf("unescaped %q: ...%s...", bad, out[max(0, i-80):min(len(out), i+80)])
		}
	}
	if !strings.Contains(out, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
		t.Error("the title is not shown escaped")
	}
}

func TestChartStacksServedSharesUpToTheSuccessLine(t *testing.T) {
	order, colors := endpointColors(sampleReport())
	if want := []string{"use1", "usw2"}; strings.Join(order, ",") != strings.Join(want, ",") {
		t.Fatalf("endpoint order %v, want %v", order, want)
	}
	r := recovery()
	c := buildChart(r, order, colors)
	y := linear{0, 100, c.Bottom, c.Plot.Y}
	// Second 30 is after the return: both regions serve, stacked.
	x0 := linear{0, timelineEnd(r), plotLeft, chartW - plotRight}.At(30)
	var stack []bar
	for _, b := range c.Bars {
		if b.X == x0 {
			stack = append(stack, b)
		}
	}
	if len(stack) != 2 || stack[0].Fill != colors["use1"] || stack[1].Fill != colors["usw2"] {
		t.Fatalf("bars at 30 s: %+v, want use1 below usw2", stack)
	}
	s := r.Seconds[30]
	if top := stack[1].Y; math.Abs(top-y.At(100*float64(s.Successes)/float64(s.Requests))) > 0.2 {
		t.Errorf("stack top %v, want the success rate's y", top)
	}
	if math.Abs(stack[0].Y-stack[1].Y-stack[1].H) > 0.2 {
		t.Errorf("usw2 (%+v) does not sit on use1 (%+v)", stack[1], stack[0])
	}
	if len(c.Hovers) != len(r.Seconds) {
		t.Errorf("%d hover columns for %d seconds", len(c.Hovers), len(r.Seconds))
	}
}

func TestChartMarkersStayInsideAndLabelsApart(t *testing.T) {
	r := recovery()
	r.Markers = append(r.Markers, lab.Marker{T: 39.9, Kind: "verdict", Label: "usw2 down at the very end"})
	c := buildChart(r, []string{"use1", "usw2"}, map[string]string{})
	if len(c.Markers) != len(r.Markers) {
		t.Fatalf("%d markers drawn, want %d", len(c.Markers), len(r.Markers))
	}
	shown := 0
	for _, m := range c.Markers {
		if m.X < c.Plot.X || m.X > c.Right || m.Y2 != c.Bottom {
			t.Errorf("marker %+v outside the plot", m)
		}
		if m.ShowLabel {
			shown++
			w := textWidth(m.Label, labelFont)
			from := m.TX
			if m.Anchor == "end" {
				from -= w
			}
			if from < 0 || from+w > c.W {
				t.Errorf("label %q runs off the chart (%v..%v of %v)", m.Label, from, from+w, c.W)
			}
		}
	}
	if shown < 5 {
		t.Errorf("only %d of %d labels shown", shown, len(c.Markers))
	}
}

func TestChartGapForSecondWithoutRequests(t *testing.T) {
	c := buildChart(falseAlarm(), []string{"use1"}, map[string]string{"use1": "#000"})
	if !strings.HasPrefix(c.Line, "M") || strings.Count(c.Line, "M") != 1 {
		t.Errorf("line %q: want one run that skips the empty first second", c.Line)
	}
	if !c.HasBand || c.Band.W <= 0 {
		t.Errorf("fault window %+v, want a band from fault to heal", c.Band)
	}
}

func TestAnchor(t *testing.T) {
	if got := anchor(0, "Region Outage/1"); got != "s1-region-outage-1" {
		t.Errorf("anchor = %q", got)
	}
}

func TestHTMLWithoutScenariosDoesNotPass(t *testing.T) {
	out := renderHTML(t, lab.Report{})
	if !strings.Contains(out, `<span class="badge fail">FAIL</span> 0 of 0 scenarios passed`) {
		t.Error("an empty run is shown as passing")
	}
}

func BenchmarkHTML(b *testing.B) {
	r := sampleReport()
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := HTML(&buf, r); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "bytes/report")
}

// TestLegendNamesOnlyTheMarkersDrawn: a scenario that never heals has no
// heal line, so its legend must not name one; nor a verdict change that
// never happened.
func TestLegendNamesOnlyTheMarkersDrawn(t *testing.T) {
	out := renderHTML(t, sampleReport())
	legends := regexp.MustCompile(`(?s)<ul class="legend">(.*?)</ul>`).FindAllStringSubmatch(out, -1)
	want := []struct{ fault, heal, verdict bool }{
		{true, false, true}, // region-outage: fault, a verdict, no heal
		{true, true, false}, // false-alarm: fault and heal, no verdict
		{true, true, true},  // recovery: all three
	}
	if len(legends) != len(want) {
		t.Fatalf("%d legends, want %d", len(legends), len(want))
	}
	for i, w := range want {
		l := legends[i][1]
		for name, has := range map[string]bool{"fault</li>": w.fault, "heal</li>": w.heal, "verdict change</li>": w.verdict} {
			if strings.Contains(l, name) != has {
				t.Errorf("legend %d: names %q is %v, want %v", i, name, !has, has)
			}
		}
	}
}
