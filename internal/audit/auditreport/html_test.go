package auditreport

import (
	"bytes"
	"html"
	"regexp"
	"strings"
	"testing"

	"outlast/internal/audit"
)

func render(t *testing.T, r *audit.Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := HTML(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

var (
	rowTag  = regexp.MustCompile(`(?s)<tr data-domain="([^"]*)">(.*?)</tr>`)
	cellTag = regexp.MustCompile(`<td class="([^"]*)" data-(?:service|outlast)="[^"]*" title="([^"]*)"><span class="sym" aria-hidden="true">([^<]*)</span> ([^<]*)<span class="sr">`)
)

// matrixOf reads the matrix back out of the page, one line per row:
// the domain, then each cell as "class symbol text".
func matrixOf(page string) []string {
	var lines []string
	for _, r := range rowTag.FindAllStringSubmatch(page, -1) {
		cells := []string{html.UnescapeString(r[1]) + ":"}
		for _, c := range cellTag.FindAllStringSubmatch(r[2], -1) {
			class := strings.TrimSuffix(c[1], " first-outlast")
			cells = append(cells, strings.TrimPrefix(class, "i-")+"("+c[3]+" "+html.UnescapeString(c[4])+")")
		}
		lines = append(lines, strings.Join(cells, " "))
	}
	return lines
}

func TestMatrixCells(t *testing.T) {
	got := matrixOf(render(t, quorumTrap()))
	want := []string{
		"aws: stuck(⚠ stuck · 50%) down(✕ down · 100%) down(✕ lost) down(✕ no) degraded(◐ 1 of 2)",
		"gcp: degraded(◐ degraded · 50%) none(✓ none) none(✓ kept) none(✓ yes) degraded(◐ 1 of 2)",
		"aws/us-east-1: failover(↪ failover · 50%) degraded(◐ degraded · 33.3%) none(✓ kept) none(✓ yes) none(✓ 2 of 2)",
		"aws/us-west-2: none(✓ none) degraded(◐ degraded · 66.7%) none(✓ kept) none(✓ yes) none(✓ 2 of 2)",
		"aws + gcp: down(✕ down · 100%) down(✕ down · 100%) down(✕ lost) down(✕ no) down(✕ 0 of 2)",
		"aws/us-east-1 + gcp: down(✕ down · 100%) degraded(◐ degraded · 33.3%) down(✕ lost) down(✕ no) degraded(◐ 1 of 2)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("matrix:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestMatrixNotesAreTooltips(t *testing.T) {
	out := render(t, quorumTrap())
	for _, s := range []string{
		`title="fails over to www-usc1 (gcp/us-central1)">`,
		`title="the outlast cluster loses its Raft majority: no verdict, override or config change can be committed">`,
		// A cell without a note explains its impact instead of saying nothing.
		`title="nothing of the service runs there; it does not notice">`,
	} {
		if !strings.Contains(out, s) {
			t.Errorf("page lacks %s", s)
		}
	}
}

// The rows come in three labelled groups, the pairs last and set apart.
func TestMatrixGroups(t *testing.T) {
	out := render(t, quorumTrap())
	groups := regexp.MustCompile(`<tbody( class="pair")?>\s*<tr class="group"><th colspan="6" scope="colgroup">([^<]*)</th>`).FindAllStringSubmatch(out, -1)
	var got []string
	for _, g := range groups {
		got = append(got, g[2]+g[1])
	}
	want := []string{"Providers (N-1, one at a time)", "Regions (N-1, one at a time)", `N-2 (two at once) class="pair"`}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("groups %q, want %q", got, want)
	}
	for _, s := range []string{`<th scope="col">www.example.com.</th><th scope="col">api.example.com.</th>`,
		`Raft quorum`, `Verdicts can change`, `Nameservers left`} {
		if !strings.Contains(out, s) {
			t.Errorf("page lacks %s", s)
		}
	}
}

func TestLegendNamesEveryImpact(t *testing.T) {
	out := render(t, quorumTrap())
	for _, s := range impactStyles {
		want := `<li><span class="swatch i-` + string(s.Impact) + `"><span class="sym" aria-hidden="true">` + s.Symbol + `</span> ` +
			string(s.Impact) + `</span><span>` + html.EscapeString(s.Meaning) + `</span></li>`
		if !strings.Contains(out, want) {
			t.Errorf("legend lacks %s", want)
		}
	}
}

func TestHeader(t *testing.T) {
	out := render(t, quorumTrap())
	for _, s := range []string{
		`<span class="mono">examples/quorum-trap.yaml</span>`,
		`<span class="badge sev-critical">2 critical</span>`,
		`<span class="badge sev-warning">1 warning</span>`,
		`<span class="badge sev-info">1 info</span>`,
		`<p class="verdict sev-critical" id="verdict">Not resilient: a single failure takes a service, or outlast itself, down.</p>`,
	} {
		if !strings.Contains(out, s) {
			t.Errorf("header lacks %s", s)
		}
	}
}

func TestVerdictFollowsTheWorstFinding(t *testing.T) {
	for _, c := range []struct {
		sevs []audit.Severity
		want string
	}{
		{nil, "No findings"},
		{[]audit.Severity{audit.Info}, "No single failure takes anything down; the rest"},
		{[]audit.Severity{audit.Info, audit.Warning}, "weaknesses to fix"},
		{[]audit.Severity{audit.Warning, audit.Critical}, "Not resilient"},
	} {
		r := &audit.Report{Source: "x.yaml"}
		for _, s := range c.sevs {
			r.Findings = append(r.Findings, audit.Finding{Severity: s, Check: audit.CheckRTO, Subject: "x"})
		}
		if got := verdict(r); !strings.Contains(got, c.want) {
			t.Errorf("findings %v: verdict %q, want it to say %q", c.sevs, got, c.want)
		}
	}
}

func TestFindingsWorstFirstGroupedBySeverity(t *testing.T) {
	r := quorumTrap()
	// Shuffled: the page must group them whatever order they come in,
	// keeping the report's order within a severity.
	f := r.Findings
	r.Findings = []audit.Finding{f[3], f[0], f[2], f[1]}
	out := render(t, r)
	groups := regexp.MustCompile(`<h3 class="group-title"><span class="badge sev-(\w+)">\w+</span> (\d+) findings?</h3>`).FindAllStringSubmatch(out, -1)
	var got []string
	for _, g := range groups {
		got = append(got, g[1]+"="+g[2])
	}
	if want := "critical=2 warning=1 info=1"; strings.Join(got, " ") != want {
		t.Errorf("severity groups %q, want %s", got, want)
	}
	summaries := regexp.MustCompile(`<h4 class="summary">([^<]*)</h4>`).FindAllStringSubmatch(out, -1)
	var order []string
	for _, s := range summaries {
		order = append(order, html.UnescapeString(s[1])[:20])
	}
	want := []string{"losing aws leaves 1 ", "losing aws takes api", "losing aws/us-west-2", "losing aws + gcp at "}
	if strings.Join(order, "|") != strings.Join(want, "|") {
		t.Errorf("findings in order %q, want %q", order, want)
	}
	for _, s := range []string{
		`<article class="finding sev-critical">` + "\n" + `<span class="badge sev-critical">critical</span>`,
		`<div><dt>Check</dt><dd><code>quorum-lost</code></dd></div>`,
		`<div><dt>Scope</dt><dd>N-1 (one failure)</dd></div>`, `<div><dt>Scope</dt><dd>N-2 (two at once)</dd></div>`,
		`<div><dt>Failure</dt><dd>aws</dd></div>`, `<div><dt>Affects</dt><dd>outlast</dd></div>`,
		`<h5>Why it matters</h5><p>Without a majority no verdict can change`,
		`<h5>What to change</h5><p>Run an odd number of nodes`,
	} {
		if !strings.Contains(out, s) {
			t.Errorf("findings lack %s", s)
		}
	}
}

func TestEmptyReport(t *testing.T) {
	out := render(t, &audit.Report{})
	for _, s := range []string{"an unnamed deployment", "no failure domains", "No findings.", `<span class="badge zero">0 critical</span>`} {
		if !strings.Contains(out, s) {
			t.Errorf("empty report lacks %q", s)
		}
	}
	if err := HTML(&bytes.Buffer{}, nil); err == nil {
		t.Error("a nil report rendered without error")
	}
}

// A row that lacks a service, or an impact this package does not know,
// shows as such rather than borrowing a neighbour's cell or colour.
func TestMissingAndUnknownCells(t *testing.T) {
	r := quorumTrap()
	r.Domains[0].Services = r.Domains[0].Services[1:]
	r.Domains[1].Services[0].Impact = "melted"
	got := matrixOf(render(t, r))
	if want := "aws: missing(? not audited) down(✕ down · 100%)"; !strings.HasPrefix(got[0], want) {
		t.Errorf("row without www: %s, want it to start %s", got[0], want)
	}
	if want := "gcp: melted(? melted · 50%)"; !strings.HasPrefix(got[1], want) {
		t.Errorf("unknown impact: %s, want it to start %s", got[1], want)
	}
}

func TestPercent(t *testing.T) {
	for v, want := range map[float64]string{100: "100%", 50: "50%", 33.333: "33.3%", 66.667: "66.7%", 0.01: "<0.1%", 12.25: "12.3%"} {
		if got := percent(v); got != want {
			t.Errorf("percent(%v) = %q, want %q", v, got, want)
		}
	}
}
