package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strconv"
	"strings"

	"outlast/internal/lab"
)

//go:embed report.html.tmpl
var pageSource string

var pageTemplate = template.Must(template.New("report").Parse(pageSource))

// page is the template's view of a report: the figures already formatted,
// the chart geometry already computed.
type page struct {
	Title     string
	Started   string
	Machine   string
	Version   string
	Summary   string
	AllPass   bool
	Columns   []string // the figures' names, the summary table's columns
	Defs      []definition
	Scenarios []scenarioView
}

// definition is one entry of the page's list of what each figure and
// marker means.
type definition struct{ Term, Means string }

type scenarioView struct {
	ID          string // anchor, safe as a fragment
	Name        string
	Title       string
	Description string
	Pass        bool
	Verdict     string
	Failures    []string
	Figures     []figure
	Extra       []figure // the figures only this scenario measured
	Areas       []string // per client area, where it was answered and how its devices fared
	Groups      []string // per group of devices (DNS-only, proxied), how it fared; a primary database's figures
	Chart       chart
	Legend      []legendItem
	Marks       map[string]bool // the marker kinds the chart draws, so the legend names only those
	Events      []event
}

// figure is one measured figure; Bad marks one a failure names. Note, in
// smaller type under Value, says what the value is out of.
type figure struct {
	Name, Value, Note string
	Bad               bool
}

type legendItem struct{ Name, Color string }

type event struct{ T, Kind, Label string }

// definitions lists every figure, the result and every marker kind with
// what it means, so the page explains itself.
func definitions() []definition {
	var out []definition
	for _, f := range append(slices.Clone(figures), extraFigures...) {
		out = append(out, definition{f.Name, f.Means})
	}
	out = append(out, definition{"Client areas", areasMeans})
	out = append(out, definition{"DNS-only and proxied devices", groupsMeans})
	out = append(out, definition{"Result", resultMeans})
	for _, m := range markDefs {
		out = append(out, definition{"Marker: " + m.Name, m.Means})
	}
	return out
}

// HTML writes the report as one self-contained HTML page: a summary table,
// then per scenario its figures and a timeline chart in inline SVG.
func HTML(w io.Writer, r lab.Report) error {
	if err := pageTemplate.Execute(w, pageOf(r)); err != nil {
		return fmt.Errorf("report: html: %w", err)
	}
	return nil
}

func pageOf(r lab.Report) page {
	// A run with no scenarios proved nothing, so it does not pass.
	p := page{Title: "outlast demo report", Machine: r.Machine, Version: r.Version, Summary: summaryLine(r),
		AllPass: len(r.Scenarios) > 0, Defs: definitions()}
	for _, f := range figures {
		p.Columns = append(p.Columns, f.Name)
	}
	if !r.Started.IsZero() {
		p.Started = r.Started.Format("2 January 2006, 15:04:05 MST")
	}
	order, colors := endpointColors(r)
	for i, s := range r.Scenarios {
		p.AllPass = p.AllPass && s.Pass
		p.Scenarios = append(p.Scenarios, scenarioOf(i, s, order, colors))
	}
	return p
}

func scenarioOf(i int, s lab.Result, order []string, colors map[string]string) scenarioView {
	v := scenarioView{
		ID: anchor(i, s.Name), Name: s.Name, Title: s.Title, Description: s.Description,
		Pass: s.Pass, Verdict: verdict(s.Pass), Failures: s.Failures,
		Chart: buildChart(s, order, colors), Areas: areaLines(s), Groups: append(groupLines(s), primaryLines(s)...),
	}
	if v.Title == "" {
		v.Title = s.Name
	}
	cells := tableRow(s)
	for j, f := range figures {
		fig := figure{Name: f.Name, Value: cells[j+1], Bad: named(s.Failures, f.Failure)}
		if f.Name == "Client errors" { // with its denominator, which the terminal gives compactly
			fig.Value, fig.Note = errorsOf(s.ClientErrors, s.ClientRequests)
		}
		v.Figures = append(v.Figures, fig)
	}
	for i, value := range extraValues(s) {
		if value != "" {
			f := extraFigures[i]
			v.Extra = append(v.Extra, figure{Name: f.Name, Value: value, Bad: named(s.Failures, f.Failure)})
		}
	}
	for _, name := range servedIn(s, order) {
		v.Legend = append(v.Legend, legendItem{name, colors[name]})
	}
	v.Marks = map[string]bool{}
	for _, m := range markersOf(s) {
		text := m.Label
		if m.Detail != "" {
			text = m.Detail
		}
		v.Events = append(v.Events, event{seconds(m.T), markerKind(m.Kind), text})
		v.Marks[markerKind(m.Kind)] = true
	}
	return v
}

// named reports whether any failure mentions words.
func named(failures []string, words string) bool {
	for _, f := range failures {
		if words != "" && strings.Contains(strings.ToLower(f), words) {
			return true
		}
	}
	return false
}

// anchor makes a fragment id from a scenario name: lower-case letters,
// digits and dashes, prefixed by the position so two scenarios never share one.
func anchor(i int, name string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(name) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteRune(c)
		default:
			b.WriteByte('-')
		}
	}
	return "s" + strconv.Itoa(i+1) + "-" + b.String()
}
