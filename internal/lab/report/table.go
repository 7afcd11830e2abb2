package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"outlast/internal/lab"
)

// tableHeader is two lines so the column names can stay whole words
// while the columns stay as narrow as their figures.
var tableHeader = [2][]string{
	{"scenario", "detection", "steering", "client", "client", "success", "false", "flaps", "return", "result"},
	{"", "", "", "recovery", "errors", "after", "failovers", "", "", ""},
}

// Table writes the report as an aligned table, one row per scenario,
// followed by one line per failed bound and a one-line summary.
func Table(w io.Writer, r lab.Report) error {
	var aligned strings.Builder
	tw := tabwriter.NewWriter(&aligned, 0, 0, 2, ' ', 0)
	for _, h := range tableHeader {
		writeRow(tw, h)
	}
	for _, s := range r.Scenarios {
		writeRow(tw, tableRow(s))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("report: table: %w", err)
	}
	var b strings.Builder
	// The header's second line pads empty cells; trim what tabwriter adds.
	for _, line := range strings.SplitAfter(aligned.String(), "\n") {
		if line != "" {
			b.WriteString(strings.TrimRight(line, " \n") + "\n")
		}
	}
	for _, s := range r.Scenarios {
		for _, f := range s.Failures {
			fmt.Fprintf(&b, "FAIL %s: %s\n", s.Name, f)
		}
	}
	b.WriteString(summaryLine(r) + "\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("report: table: %w", err)
	}
	return nil
}

func tableRow(s lab.Result) []string {
	return []string{
		s.Name,
		seconds(s.DetectionS),
		seconds(s.SteeringS),
		seconds(s.ClientRecoveryS),
		strconv.Itoa(s.ClientErrors),
		percent(s.ClientSuccessPctAfter),
		strconv.Itoa(s.FalseFailovers),
		strconv.Itoa(s.Flaps),
		seconds(s.ReturnS),
		verdict(s.Pass),
	}
}

// writeRow leaves the last cell unterminated: it needs no padding.
func writeRow(w io.Writer, cells []string) {
	fmt.Fprint(w, strings.Join(cells, "\t")+"\n")
}

// summaryLine counts passed scenarios and names the failed ones.
func summaryLine(r lab.Report) string {
	var failed []string
	for _, s := range r.Scenarios {
		if !s.Pass {
			failed = append(failed, s.Name)
		}
	}
	n := len(r.Scenarios)
	line := fmt.Sprintf("%d of %d scenarios passed", n-len(failed), n)
	if len(failed) > 0 {
		line += "; failed: " + strings.Join(failed, ", ")
	}
	return line
}
