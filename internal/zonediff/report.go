package zonediff

import (
	"fmt"
	"strings"
)

// Report says every difference of r in one text, by question, with each
// side named; a question whose differences are the same over every
// transport it differs on is written once, naming them. "" when the
// servers agree.
func (r Result) Report() string {
	if len(r.Differences) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s and %s differ in %d ways over %d questions (each asked over %d transports):\n",
		r.Ref.Name, r.Got.Name, len(r.Differences), r.Exchanges/len(Transports), len(Transports))
	for _, q := range r.byQuery() {
		for _, g := range q.groups {
			fmt.Fprintf(&b, "\n%s over %s:\n%s", q.query, strings.Join(g.transports, ", "), g.text)
		}
	}
	return b.String()
}

type queryDiffs struct {
	query  Query
	groups []transportGroup
}

// transportGroup is the differences, as text, seen over some transports.
type transportGroup struct {
	transports []string
	text       string
}

// byQuery gathers the differences per question, in the order asked, and
// per question the transports that saw the same ones.
func (r Result) byQuery() []queryDiffs {
	var out []queryDiffs
	for i := 0; i < len(r.Differences); {
		q := queryDiffs{query: r.Differences[i].Query}
		for i < len(r.Differences) && r.Differences[i].Query == q.query {
			tr := r.Differences[i].Transport
			var b strings.Builder
			for ; i < len(r.Differences) && r.Differences[i].Query == q.query && r.Differences[i].Transport == tr; i++ {
				r.writeDifference(&b, r.Differences[i])
			}
			q.add(string(tr), b.String())
		}
		out = append(out, q)
	}
	return out
}

func (q *queryDiffs) add(transport, text string) {
	for i := range q.groups {
		if q.groups[i].text == text {
			q.groups[i].transports = append(q.groups[i].transports, transport)
			return
		}
	}
	q.groups = append(q.groups, transportGroup{[]string{transport}, text})
}

func (r Result) writeDifference(b *strings.Builder, d Difference) {
	switch d.Field {
	case "answer", "authority", "additional":
		fmt.Fprintf(b, "  %s:\n", d.Field)
		writeLines(b, "only "+r.Ref.Name, d.Ref)
		writeLines(b, "only "+r.Got.Name, d.Got)
	default:
		fmt.Fprintf(b, "  %s: %s %s, %s %s\n", d.Field, r.Ref.Name, d.Ref, r.Got.Name, d.Got)
	}
}

func writeLines(b *strings.Builder, who, lines string) {
	if lines == "" {
		return
	}
	for line := range strings.Lines(lines) {
		fmt.Fprintf(b, "    %-14s %s\n", who+":", strings.TrimSuffix(line, "\n"))
	}
}

// Unused names the allowances that changed no answer: a listed difference
// that no longer happens should be removed from the list.
func (r Result) Unused(allow []Allowance) []string {
	var out []string
	for _, al := range allow {
		if r.Used[al.Name] == 0 {
			out = append(out, al.Name)
		}
	}
	return out
}
