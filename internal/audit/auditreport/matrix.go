package auditreport

import (
	"fmt"
	"math"
	"strconv"

	"outlast/internal/audit"
)

// group is a run of matrix rows of one kind: providers, regions or pairs.
type group struct {
	Label string
	Rows  []row
}

type row struct {
	Domain  string
	Cells   []cell
	Outlast []cell // quorum, decides, nameservers
}

// cell is one coloured cell: Class picks the colours, Text says the same
// in words, Note is the longer story for the tooltip.
type cell struct {
	Key    string // the service or outlast column, for data-* attributes
	Class  string
	Symbol string
	Text   string
	Note   string
}

// groupLabels name the kinds of failure domain; pairs are the N-2 rows.
var groupLabels = map[audit.DomainKind]string{
	audit.KindProvider: "Providers (N-1, one at a time)",
	audit.KindRegion:   "Regions (N-1, one at a time)",
	audit.KindPair:     "N-2 (two at once)",
}

// groupsOf splits the rows where the kind changes, keeping the report's order.
func groupsOf(r *audit.Report) []group {
	var out []group
	var last audit.DomainKind
	for i, d := range r.Domains {
		if i == 0 || d.Kind != last {
			label, ok := groupLabels[d.Kind]
			if !ok {
				label = string(d.Kind)
			}
			out = append(out, group{Label: label})
			last = d.Kind
		}
		g := &out[len(out)-1]
		g.Rows = append(g.Rows, rowOf(r.Services, d))
	}
	return out
}

func rowOf(services []string, d audit.DomainImpact) row {
	rw := row{Domain: d.Domain}
	for _, name := range services {
		rw.Cells = append(rw.Cells, impactCell(name, find(d.Services, name)))
	}
	rw.Outlast = []cell{quorumCell(d.Quorum), decidesCell(d.Decides), nameserverCell(d.Nameservers, d.NameserversTotal)}
	return rw
}

// find looks a service's cell up by name rather than trusting positions: a
// row that lacks the service shows that instead of another's impact.
func find(cells []audit.ServiceImpact, name string) *audit.ServiceImpact {
	for i := range cells {
		if cells[i].Service == name {
			return &cells[i]
		}
	}
	return nil
}

func impactCell(service string, si *audit.ServiceImpact) cell {
	if si == nil {
		return cell{Key: service, Class: "i-missing", Symbol: "?", Text: "not audited", Note: "the audit has no figure for this service here"}
	}
	s := styleOf(si.Impact)
	c := cell{Key: service, Class: "i-" + classWord(string(si.Impact)), Symbol: s.Symbol, Text: string(si.Impact), Note: si.Note}
	if si.LostPct > 0 {
		c.Text += " · " + percent(si.LostPct)
	}
	if c.Note == "" {
		c.Note = s.Meaning
	}
	return c
}

func quorumCell(kept bool) cell {
	if kept {
		return cell{Key: "quorum", Class: "i-none", Symbol: "✓", Text: "kept", Note: "the outlast cluster keeps its Raft majority"}
	}
	return cell{Key: "quorum", Class: "i-down", Symbol: "✕", Text: "lost",
		Note: "the outlast cluster loses its Raft majority: no verdict, override or config change can be committed"}
}

func decidesCell(decides bool) cell {
	if decides {
		return cell{Key: "decides", Class: "i-none", Symbol: "✓", Text: "yes",
			Note: "a strict majority of the vote domains survives, so verdicts can still change"}
	}
	return cell{Key: "decides", Class: "i-down", Symbol: "✕", Text: "no",
		Note: "too few vote domains survive: verdicts stay as they were, whatever the probes see"}
}

func nameserverCell(left, total int) cell {
	c := cell{Key: "nameservers", Text: fmt.Sprintf("%d of %d", left, total),
		Note: fmt.Sprintf("%d of the zones' %d nameservers survive", left, total)}
	switch {
	case total == 0:
		c.Class, c.Symbol, c.Text, c.Note = "i-missing", "–", "none set", "no nameservers are configured"
	case left == 0:
		c.Class, c.Symbol = "i-down", "✕"
		c.Note = "no nameserver survives: every zone goes dark"
	case left < total:
		c.Class, c.Symbol = "i-degraded", "◐"
	default:
		c.Class, c.Symbol = "i-none", "✓"
	}
	return c
}

// percent shows a share of weight to a tenth, without a trailing ".0";
// a loss too small to show still must not read as 0%.
func percent(v float64) string {
	r := math.Round(v*10) / 10
	if r == 0 && v > 0 {
		return "<0.1%"
	}
	return strconv.FormatFloat(r, 'f', -1, 64) + "%"
}

// classWord keeps a CSS class to lower-case letters and dashes whatever
// the value, so an unknown impact cannot break out of the attribute's meaning.
func classWord(s string) string {
	b := []byte(s)
	for i, c := range b {
		if (c < 'a' || c > 'z') && c != '-' {
			b[i] = '-'
		}
	}
	return string(b)
}
