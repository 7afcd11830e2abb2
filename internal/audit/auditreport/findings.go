package auditreport

import (
	"slices"

	"outlast/internal/audit"
)

// findingGroup is the findings of one severity, in the report's order.
type findingGroup struct {
	Severity string
	Class    string
	Findings []finding
}

type finding struct {
	Check, Scope, Domain, Subject string
	Summary, Why, Fix             string
}

// scopeWords spell out the scopes for a reader who does not know the jargon.
var scopeWords = map[audit.Scope]string{
	audit.ScopeSingle: "N-1 (one failure)",
	audit.ScopePair:   "N-2 (two at once)",
}

// findingGroups groups by severity, worst first, keeping each group in
// the report's own order.
func findingGroups(fs []audit.Finding) []findingGroup {
	var sevs []audit.Severity
	for _, f := range fs {
		if !slices.Contains(sevs, f.Severity) {
			sevs = append(sevs, f.Severity)
		}
	}
	slices.SortFunc(sevs, func(a, b audit.Severity) int { return int(b) - int(a) })
	var out []findingGroup
	for _, s := range sevs {
		g := findingGroup{Severity: s.String(), Class: "sev-" + classWord(s.String())}
		for _, f := range fs {
			if f.Severity == s {
				g.Findings = append(g.Findings, findingOf(f))
			}
		}
		out = append(out, g)
	}
	return out
}

func findingOf(f audit.Finding) finding {
	scope := scopeWords[f.Scope]
	if scope == "" && f.Scope != "" {
		scope = string(f.Scope)
	}
	return finding{
		Check: string(f.Check), Scope: scope, Domain: f.Domain, Subject: f.Subject,
		Summary: f.Summary, Why: f.Why, Fix: f.Fix,
	}
}
