package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the golden files in testdata from the current output")

// sections splits the page into its scenario sections, in order.
func sections(t *testing.T, page string) []string {
	t.Helper()
	parts := regexp.MustCompile(`(?s)<section class="scenario".*?</section>`).FindAllString(page, -1)
	if len(parts) == 0 {
		t.Fatal("no scenario sections on the page")
	}
	return parts
}

// TestHTMLMarksLeaderChangesAndOutvotedNodes: a scenario with a leader
// change and an outvoted node draws both on its timeline, names both in
// its legend and lists them in its events; one without draws and names
// neither.
func TestHTMLMarksLeaderChangesAndOutvotedNodes(t *testing.T) {
	secs := sections(t, renderHTML(t, sampleReport()))
	alarm := secs[1] // false-alarm: the cut-off leader is replaced and outvoted
	for _, want := range []string{
		`<line class="mk leader"`, `>leader azure-weu</text>`, // the leader change, labelled
		`<line class="mk outvoted"`, `>gcp-usc1 outvoted</text>`, // the outvoted node, labelled
		`class="mk leader"/></svg>leader change</li>`, `class="mk outvoted"/></svg>outvoted node</li>`, // legend
		`azure-weu took over as leader from gcp-usc1 (term 7)`, // events and tooltip
		`gcp-usc1 was outvoted: it saw use1, usw2 down while the agreed verdict was up, for 16.5 s`,
	} {
		if !strings.Contains(html.UnescapeString(alarm), want) {
			t.Errorf("false-alarm's section lacks %q", want)
		}
	}
	for _, unwanted := range []string{"mk leader", "mk outvoted", "leader change</li>", "outvoted node</li>"} {
		if strings.Contains(secs[0], unwanted) {
			t.Errorf("region-outage's section has %q but had no such event", unwanted)
		}
	}
}

// TestJSONCarriesLeaderChangesAndOutvotes: the structured events are in the
// JSON under their own keys, not only as markers.
func TestJSONCarriesLeaderChangesAndOutvotes(t *testing.T) {
	var b bytes.Buffer
	if err := JSON(&b, sampleReport()); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Scenarios []struct {
			Name           string `json:"name"`
			ClientErrors   *int   `json:"client_errors"`
			ClientRequests *int   `json:"client_requests"`
			LeaderChanges  []struct {
				T        float64
				From, To string
			} `json:"leader_changes"`
			Outvoted []struct {
				Vantage, Endpoint, Saw, Agreed string
				From                           float64 `json:"from_s"`
				To                             float64 `json:"to_s"`
			} `json:"outvoted"`
		} `json:"scenarios"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	s := doc.Scenarios[1]
	if len(s.LeaderChanges) != 1 || s.LeaderChanges[0].From != "gcp-usc1" || s.LeaderChanges[0].To != "azure-weu" {
		t.Errorf("leader_changes %+v, want gcp-usc1 → azure-weu", s.LeaderChanges)
	}
	if len(s.Outvoted) != 2 || s.Outvoted[0].Vantage != "gcp-usc1" || s.Outvoted[0].Saw != "down" || s.Outvoted[0].To != 25 {
		t.Errorf("outvoted %+v, want gcp-usc1 seeing use1 and usw2 down until 25 s", s.Outvoted)
	}
	for _, s := range doc.Scenarios {
		if s.ClientErrors == nil || s.ClientRequests == nil {
			t.Errorf("%s: client_errors and client_requests must both be given", s.Name)
		}
	}
}

// TestClientErrorsWithTheirDenominator: a count of errors means nothing
// without the requests it is out of.
func TestClientErrorsWithTheirDenominator(t *testing.T) {
	page := renderHTML(t, sampleReport())
	for _, want := range []string{
		`<dt>Client errors</dt><dd>812 <small>of 6,000 requests (13.5%)</small></dd>`, // the tile
		`<td>812 <small>of 6,000 requests (13.5%)</small></td>`,                       // the summary table
		`<dd>0 <small>of 4,800 requests (0.0%)</small></dd>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	var b strings.Builder
	if err := Table(&b, sampleReport()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), " 812/6000 ") || !strings.Contains(b.String(), "errors/requests") {
		t.Errorf("the table gives no denominator:\n%s", b.String())
	}
}

func TestErrorsOf(t *testing.T) {
	for _, c := range []struct {
		errors, requests int
		value, note      string
	}{
		{581, 12000, "581", "of 12,000 requests (4.8%)"},
		{0, 2812, "0", "of 2,812 requests (0.0%)"},
		{1, 1000000, "1", "of 1,000,000 requests (<0.1%)"},
		{1000, 1000, "1,000", "of 1,000 requests (100.0%)"},
		{0, 0, "0", "of 0 requests"},
	} {
		value, note := errorsOf(c.errors, c.requests)
		if value != c.value || note != c.note {
			t.Errorf("errorsOf(%d, %d) = %q %q, want %q %q", c.errors, c.requests, value, note, c.value, c.note)
		}
	}
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 123456: "123,456", -1234: "-1,234"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

// definedTerms are the terms the page's definitions list explains.
func definedTerms(t *testing.T, page string) map[string]bool {
	t.Helper()
	list := regexp.MustCompile(`(?s)<dl class="defs">(.*?)</dl>`).FindStringSubmatch(page)
	if list == nil {
		t.Fatal("the page has no definitions list")
	}
	terms := map[string]bool{}
	for _, m := range regexp.MustCompile(`<dt>(.*?)</dt><dd>(.*?)</dd>`).FindAllStringSubmatch(list[1], -1) {
		if strings.TrimSpace(m[2]) == "" {
			t.Errorf("%q is listed without a meaning", m[1])
		}
		terms[strings.ToLower(html.UnescapeString(m[1]))] = true
	}
	return terms
}

// TestEveryFigureIsDefinedOnThePage: every column of the terminal table
// and of the page's summary table, every figure tile and every marker the
// legend can name has a definition on the page itself.
func TestEveryFigureIsDefinedOnThePage(t *testing.T) {
	page := renderHTML(t, sampleReport())
	terms := definedTerms(t, page)
	need := map[string]string{}
	h := tableHeader()
	for i := range h[0] {
		name := strings.TrimSpace(h[0][i] + " " + strings.TrimSuffix(h[1][i], "/requests"))
		need[name] = "terminal column"
	}
	for _, m := range regexp.MustCompile(`<th scope="col">(.*?)</th>`).FindAllStringSubmatch(page, -1) {
		need[strings.ToLower(m[1])] = "summary table column"
	}
	for _, m := range regexp.MustCompile(`<dl class="figures"><div[^>]*><dt>(.*?)</dt>`).FindAllStringSubmatch(page, -1) {
		need[strings.ToLower(m[1])] = "figure tile"
	}
	for _, m := range markDefs {
		need["marker: "+m.Name] = "legend entry"
	}
	delete(need, "scenario") // the scenario's name, not a figure
	if len(need) < 14 {
		t.Fatalf("found only %d things to define: %v", len(need), need)
	}
	for name, where := range need {
		if !terms[name] {
			t.Errorf("%s %q has no definition on the page (defined: %v)", where, name, terms)
		}
	}
}

// TestMarkerKindsHaveLegendAndStyle: every marker kind the recorder writes
// is drawn in its own style and named in the legend, never as "other".
func TestMarkerKindsHaveLegendAndStyle(t *testing.T) {
	for _, m := range markDefs {
		if markerKind(m.Kind) != m.Kind {
			t.Errorf("marker kind %q is drawn as %q", m.Kind, markerKind(m.Kind))
		}
		if !strings.Contains(pageSource, ".mk."+m.Kind+" ") || !strings.Contains(pageSource, `class="mk `+m.Kind+`"/></svg>`+m.Name+`</li>`) {
			t.Errorf("marker kind %q has no style or no legend entry %q in the template", m.Kind, m.Name)
		}
	}
}

// TestTableGolden holds the terminal table to testdata/table.golden;
// `go test ./internal/lab/report -run TestTableGolden -rewrite` rewrites it.
func TestTableGolden(t *testing.T) {
	var b strings.Builder
	if err := Table(&b, sampleReport()); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "table.golden")
	if *rewrite {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -rewrite to create it)", err)
	}
	if b.String() != string(want) {
		t.Errorf("table differs from %s (rerun with -rewrite if the change is meant):\ngot:\n%s\nwant:\n%s", golden, b.String(), want)
	}
}
