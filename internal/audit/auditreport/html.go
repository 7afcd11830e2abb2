package auditreport

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"

	"outlast/internal/audit"
)

//go:embed page.html.tmpl
var pageSource string

var pageTemplate = template.Must(template.New("audit").Parse(pageSource))

// page is the template's view of a report: every word, symbol and class
// already chosen here, so the template only lays them out.
type page struct {
	Source   string
	Counts   []count
	Verdict  string
	Worst    string // the worst severity's name, or "none"
	Services []string
	Span     int // columns of the matrix: domain, services, outlast's three
	Groups   []group
	Geo      []geoService
	Impacts  []impactStyle
	Severity []severityStyle
	Findings []findingGroup
}

// count is how many findings one severity has.
type count struct {
	Name string
	N    int
}

// HTML writes the report as one self-contained HTML page: the verdict and
// counts, the failure-domain × service matrix with a legend, where the
// areas of geo services go, then the findings grouped by severity, worst
// first.
func HTML(w io.Writer, r *audit.Report) error {
	if r == nil {
		return fmt.Errorf("auditreport: html: no report")
	}
	if err := pageTemplate.Execute(w, pageOf(r)); err != nil {
		return fmt.Errorf("auditreport: html: %w", err)
	}
	return nil
}

func pageOf(r *audit.Report) page {
	p := page{
		Source: sourceName(r), Verdict: verdict(r), Worst: "none",
		Services: r.Services, Span: len(r.Services) + 4, Groups: groupsOf(r), Geo: geoServices(r),
		Impacts: impactStyles, Severity: severityStyles,
		Findings: findingGroups(r.Findings),
	}
	if w := r.Worst(); w != 0 {
		p.Worst = w.String()
	}
	for _, s := range []audit.Severity{audit.Critical, audit.Warning, audit.Info} {
		p.Counts = append(p.Counts, count{s.String(), r.Count(s)})
	}
	return p
}

// verdict says in one line what the findings add up to; the wording
// follows the severities' own definitions, so it claims no more than the
// audit found.
func verdict(r *audit.Report) string {
	switch r.Worst() {
	case audit.Critical:
		return "Not resilient: a single failure takes a service, or outlast itself, down."
	case audit.Warning:
		return "No single failure takes anything down, but there are weaknesses to fix before they matter."
	case audit.Info:
		return "No single failure takes anything down; the rest is worth knowing."
	case 0:
		return "No findings: no single provider or region failure takes anything down."
	}
	return "The audit found things this report cannot rank; read them below."
}
