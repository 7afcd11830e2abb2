package auditreport

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"outlast/internal/audit"
)

// Text writes the report for a terminal: the matrix, N-1 rows then N-2
// rows, each followed by where the areas of geo services go, then the findings at or above Warning in full (what fails, why it
// matters, what to change) and the Info ones a line each, then the result
// against failOn.
func Text(w io.Writer, r *audit.Report, failOn audit.Severity) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "outlast audit of %s\n", sourceName(r))
	geo := geoServices(r)
	for _, scope := range []audit.Scope{audit.ScopeSingle, audit.ScopePair} {
		matrixText(ew, r, scope)
		geoText(ew, geo, scope)
	}
	fmt.Fprintf(ew, "\nFindings: %d critical, %d warning, %d info\n",
		r.Count(audit.Critical), r.Count(audit.Warning), r.Count(audit.Info))
	for _, f := range r.Findings {
		if f.Severity >= audit.Warning {
			fmt.Fprintf(ew, "\n%-8s %s\n  %s\n  why: %s\n  fix: %s\n", strings.ToUpper(f.Severity.String()), heading(f), f.Summary, f.Why, f.Fix)
		}
	}
	if r.Count(audit.Info) > 0 {
		fmt.Fprintln(ew, "\nFor information:")
		for _, f := range r.Findings {
			if f.Severity == audit.Info {
				fmt.Fprintf(ew, "  - [%s] %s\n", f.Check, f.Summary)
			}
		}
	}
	if worst := r.Worst(); worst >= failOn {
		fmt.Fprintf(ew, "\nFAIL: %d finding(s) at or above %s (--fail-on %s)\n", atLeast(r, failOn), failOn, failOn)
	} else {
		fmt.Fprintf(ew, "\nPASS: no finding at or above %s (--fail-on %s)\n", failOn, failOn)
	}
	return ew.err
}

// matrixText writes the rows of one scope as a table.
func matrixText(w io.Writer, r *audit.Report, scope audit.Scope) {
	title := "\nWhat one failure does (N-1):\n"
	if scope == audit.ScopePair {
		title = "\nWhat two failures at once do (N-2):\n"
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	header := false
	for _, row := range r.Domains {
		if row.Scope != scope {
			continue
		}
		if !header {
			fmt.Fprint(w, title)
			fmt.Fprintf(tw, "  lost\t%s\toutlast quorum\tverdicts\tnameservers\n", strings.Join(r.Services, "\t"))
			header = true
		}
		cells := make([]string, len(row.Services))
		for i, c := range row.Services {
			cells[i] = cellText(c)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%d of %d\n", row.Domain, strings.Join(cells, "\t"),
			keptOrLost(row.Quorum), keptOrLost(row.Decides), row.Nameservers, row.NameserversTotal)
	}
	tw.Flush()
}

// geoText writes, per geo service, the failures of one scope that move
// an area's clients, a line per area: "europe: aws/eu-west-1 → gcp/us-central1".
func geoText(w io.Writer, geo []geoService, scope audit.Scope) {
	title := "\nWhere geo areas go (N-1):\n"
	if scope == audit.ScopePair {
		title = "\nWhere geo areas go (N-2):\n"
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, g := range geo {
		service := false
		for _, row := range g.Rows {
			if row.Scope != scope {
				continue
			}
			if title != "" {
				fmt.Fprint(tw, title)
				title = ""
			}
			if !service {
				fmt.Fprintf(tw, "  %s\n", g.Service)
				service = true
			}
			for i, m := range row.Moves {
				domain := row.Domain
				if i > 0 {
					domain = ""
				}
				fmt.Fprintf(tw, "    %s\t%s\n", domain, m.Text)
			}
		}
	}
	tw.Flush()
}

func cellText(c audit.ServiceImpact) string {
	switch {
	case c.Impact == audit.ImpactNone:
		return "-"
	case c.NoNameserver:
		return "DOWN no DNS"
	}
	word := string(c.Impact)
	if c.Impact == audit.ImpactStuck || c.Impact == audit.ImpactDown {
		word = strings.ToUpper(word)
	}
	return fmt.Sprintf("%s %.0f%%", word, c.LostPct)
}

func keptOrLost(ok bool) string {
	if ok {
		return "kept"
	}
	return "LOST"
}

func heading(f audit.Finding) string {
	parts := []string{string(f.Check)}
	if f.Scope != "" {
		parts = append(parts, string(f.Scope), f.Domain)
	}
	return strings.Join(append(parts, f.Subject), "  ")
}

func atLeast(r *audit.Report, s audit.Severity) int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity >= s {
			n++
		}
	}
	return n
}

func sourceName(r *audit.Report) string {
	if r.Source == "" {
		return "an unnamed deployment"
	}
	return r.Source
}

// errWriter keeps the first write error, so the report is written
// straight through and checked once.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return len(p), nil
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, nil
}
