package zonediff

import (
	"fmt"
	"strings"
)

// Report says every difference of r in one text, grouped by question, with
// each side named; "" when the servers agree.
func (r Result) Report() string {
	if len(r.Differences) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s and %s differ in %d ways over %d questions (each asked over %d transports):\n",
		r.Ref.Name, r.Got.Name, len(r.Differences), r.Exchanges/len(Transports), len(Transports))
	var last string
	for _, d := range r.Differences {
		if head := d.Query.String() + " over " + string(d.Transport); head != last {
			fmt.Fprintf(&b, "\n%s:\n", head)
			last = head
		}
		switch d.Field {
		case "answer", "authority", "additional":
			fmt.Fprintf(&b, "  %s:\n", d.Field)
			writeLines(&b, "only "+r.Ref.Name, d.Ref)
			writeLines(&b, "only "+r.Got.Name, d.Got)
		default:
			fmt.Fprintf(&b, "  %s: %s %s, %s %s\n", d.Field, r.Ref.Name, d.Ref, r.Got.Name, d.Got)
		}
	}
	return b.String()
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
