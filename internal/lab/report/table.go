package report

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"outlast/internal/lab"
	"outlast/internal/lab/measure"
)

// tableHeader is two lines so the column names can stay whole words
// while the columns stay as narrow as their figures.
func tableHeader() [2][]string {
	h := [2][]string{{"scenario"}, {""}}
	for _, f := range figures {
		h[0], h[1] = append(h[0], f.Header[0]), append(h[1], f.Header[1])
	}
	h[0], h[1] = append(h[0], "result"), append(h[1], "")
	return h
}

// Table writes the report as an aligned table, one row per scenario,
// followed by a line per leader change and outvoted node, one per failed
// bound, and a one-line summary.
func Table(w io.Writer, r lab.Report) error {
	var aligned strings.Builder
	tw := tabwriter.NewWriter(&aligned, 0, 0, 2, ' ', 0)
	for _, h := range tableHeader() {
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
		for _, line := range slices.Concat(eventLines(s), areaLines(s), groupLines(s), primaryLines(s)) {
			b.WriteString(s.Name + ": " + line + "\n")
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
		errorsCompact(s.ClientErrors, s.ClientRequests),
		percent(s.ClientSuccessPctAfter),
		strconv.Itoa(s.FalseFailovers),
		strconv.Itoa(s.Flaps),
		seconds(s.ReturnS),
		verdict(s.Pass),
	}
}

// eventLines says, in time order, when a new leader took over, which
// nodes were outvoted, which answers were first seen and how the target
// hostnames' resolution changed, from the fault: what the timeline marks;
// then the figures only this scenario measured.
func eventLines(s lab.Result) []string {
	var lines []string
	for _, m := range measure.EventMarkers(s) {
		lines = append(lines, fromFault(m.T-s.FaultAt)+", "+m.Detail)
	}
	var extra []string
	for i, value := range extraValues(s) {
		if value != "" {
			extra = append(extra, strings.ToLower(extraFigures[i].Name)+" "+value)
		}
	}
	if len(extra) > 0 {
		lines = append(lines, strings.Join(extra, ", "))
	}
	return lines
}

// areaLines say, per client area of a scenario with areas, where its
// answers went and how its devices fared:
//
//	us-east: moved from use1 to usc1 after 0.7 s (1 move), 0 false failovers; its clients: 269/1402 errors, success after 100.0%
//	europe: stayed on euw1 (0 moves), 0 false failovers; its clients: 0/1402 errors, success from the fault on 100.0%
func areaLines(s lab.Result) []string {
	var lines []string
	for _, a := range s.Areas {
		var where, clients string
		if a.Stayed() {
			where = "stayed on " + names(a.Before) + " (0 moves)"
			clients = "success from the fault on " + percent(a.ClientSuccessPct)
		} else {
			where = fmt.Sprintf("moved from %s to %s after %s (%d move%s)", names(a.Before), names(a.After),
				seconds(a.MovedS), a.Moves, plural(a.Moves))
			clients = "success after " + percent(a.ClientSuccessPctAfter)
		}
		lines = append(lines, fmt.Sprintf("%s: %s, %d false failover%s; its clients: %s errors, %s", a.Area, where,
			a.FalseFailovers, plural(a.FalseFailovers), errorsCompact(a.ClientErrors, a.ClientRequests), clients))
	}
	return lines
}

// groupLines say, in a scenario whose devices take two roads, how each
// group fared, side by side, with hundredths of a percent (a proxied
// group's 100.00% is the point) and the slowest request's latency:
//
//	dns-only clients (resolve, call the address answered): 281/1400 errors, success from the fault on 79.92%, after 100.00%; slowest request 984 ms (12 ms before the fault)
//	proxied clients (through the nodes' HTTP proxies): 0/1400 errors, success from the fault on 100.00%, after 100.00%; slowest request 521 ms (9 ms before the fault)
func groupLines(s lab.Result) []string {
	var lines []string
	for _, g := range []struct {
		name string
		g    *measure.ClientGroup
	}{{"dns-only clients (resolve, call the address answered)", s.DNSOnly}, {"proxied clients (through the nodes' HTTP proxies)", s.Proxied}} {
		if g.g == nil {
			continue
		}
		lines = append(lines, fmt.Sprintf("%s: %d/%d errors, success from the fault on %s, after %s; slowest request %s (%s before the fault)",
			g.name, g.g.ClientErrors, g.g.ClientRequests, percent2(g.g.ClientSuccessPct), percent2(g.g.ClientSuccessPctAfter),
			latency(g.g.MaxLatencyS), latency(g.g.MaxLatencyBeforeS)))
	}
	return lines
}

// names lists endpoint names: "usw2 and usc1", "no endpoint".
func names(list []string) string {
	switch len(list) {
	case 0:
		return "no endpoint"
	case 1:
		return list[0]
	}
	return strings.Join(list[:len(list)-1], ", ") + " and " + list[len(list)-1]
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// extraValues are s's values of extraFigures, "" for those it did not
// measure: a scenario that keeps answers measures all three.
func extraValues(s lab.Result) []string {
	if s.OffAnswers < 0 || s.KeptPolls == 0 {
		return make([]string, len(extraFigures))
	}
	kept := fmt.Sprintf("%d/%d", s.KeptPolls-s.OffAnswers, s.KeptPolls)
	return []string{seconds(s.StaleS), seconds(s.FreshS), kept}
}

// fromFault places a time relative to the fault in words.
func fromFault(d float64) string {
	if d < 0 {
		return strconv.FormatFloat(-d, 'f', 1, 64) + " s before the fault"
	}
	return strconv.FormatFloat(d, 'f', 1, 64) + " s after the fault"
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
