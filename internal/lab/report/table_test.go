package report

import (
	"strings"
	"testing"

	"outlast/internal/lab"
	"outlast/internal/lab/measure"
)

func TestTableHasOneAlignedRowPerScenario(t *testing.T) {
	var b strings.Builder
	if err := Table(&b, sampleReport()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	t.Logf("\n%s", out)
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	want := map[string][]string{
		"region-outage": {"1.6 s", "2.1 s", "7.0 s", "812", "99.8%", "PASS"},
		"false-alarm":   {"-", "0.0 s", "100.0%", "PASS"},
		"recovery":      {"1.4 s", "2.3 s", "7.2 s", "790", "99.5%", "2.2 s", "FAIL"},
	}
	resultCol := strings.Index(lines[0], "result")
	if resultCol < 0 {
		t.Fatalf("no result column in header %q", lines[0])
	}
	for name, cells := range want {
		row := lineStarting(lines, name+" ")
		if row == "" {
			t.Fatalf("no row for %s in\n%s", name, out)
		}
		for _, c := range cells {
			if !strings.Contains(row, c) {
				t.Errorf("row %q lacks %q", row, c)
			}
		}
		if got := strings.LastIndex(row, " ") + 1; got != resultCol {
			t.Errorf("row %q: result at column %d, header at %d", row, got, resultCol)
		}
	}
	for _, l := range []string{"FAIL recovery: 1 flap > 0", "2 of 3 scenarios passed; failed: recovery"} {
		if lineStarting(lines, l) == "" {
			t.Errorf("missing line %q in\n%s", l, out)
		}
	}
}

func TestTableDashForNoHeal(t *testing.T) {
	var b strings.Builder
	if err := Table(&b, sampleReport()); err != nil {
		t.Fatal(err)
	}
	row := lineStarting(strings.Split(b.String(), "\n"), "region-outage ")
	fields := strings.Fields(row)
	// scenario, detection (2 words), steering (2), recovery (2), errors,
	// success, false failovers, flaps, return, result
	if got := fields[len(fields)-2]; got != "-" {
		t.Errorf("return of a scenario without heal = %q, want -; row %q", got, row)
	}
}

func TestFormatting(t *testing.T) {
	for _, c := range []struct {
		got, want string
	}{
		{seconds(1.44), "1.4 s"}, {seconds(0), "0.0 s"}, {seconds(-1), "-"},
		{percent(99.95), "99.9%"}, {percent(100), "100.0%"}, {percent(-1), "-"},
		{verdict(true), "PASS"}, {verdict(false), "FAIL"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// wantTableLines renders r alone with Table and reports each of want that
// no line of it starts with.
func wantTableLines(t *testing.T, r lab.Result, want ...string) {
	t.Helper()
	var b strings.Builder
	if err := Table(&b, lab.Report{Scenarios: []lab.Result{r}}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	for _, w := range want {
		if lineStarting(lines, w) == "" {
			t.Errorf("no line %q in\n%s", w, b.String())
		}
	}
}

func lineStarting(lines []string, prefix string) string {
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// A scenario that keeps a hostname endpoint's answers through its DNS
// failing says, under the table, which hostname was answered, when the
// nodes turned stale and fresh again, and how many answers were kept.
func TestTableSaysWhatTargetDNSDownMeasured(t *testing.T) {
	r := lab.Result{
		Name: "target-dns-down", DetectionS: -1, SteeringS: -1, ReturnS: -1, Pass: true, FaultAt: 3, HealAt: 13,
		StaleS: 4.5, FreshS: 2.25, KeptPolls: 420, OffAnswers: 0,
		Answered: []measure.AnswerSet{{Addrs: []string{"127.77.1.4"}, Names: []string{"shop.cdn-a.test"}, From: 0.1, To: 20}},
		Resolutions: []measure.ResolutionEvent{
			{At: 7.5, Node: "aws-use1", Target: "shop.cdn-a.test.", State: "stale", Error: "i/o timeout"},
			{At: 15.25, Node: "aws-use1", Target: "shop.cdn-a.test.", State: "fresh"},
		},
	}
	wantTableLines(t, r,
		"target-dns-down: 2.9 s before the fault, a nameserver answered 127.77.1.4 (shop.cdn-a.test)",
		"target-dns-down: 4.5 s after the fault, shop.cdn-a.test turned stale on aws-use1: its DNS fails, so its last good addresses are still answered and probed (i/o timeout)",
		"target-dns-down: 12.2 s after the fault, shop.cdn-a.test turned fresh on aws-use1: resolved again within its TTL",
		"target-dns-down: stale resolution 4.5 s, fresh again 2.2 s, answers kept 420/420",
	)
	r.Markers = measure.EventMarkers(r) // as the lab marks them
	var page strings.Builder
	if err := HTML(&page, lab.Report{Scenarios: []lab.Result{r}}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<dt>Stale resolution</dt><dd>4.5 s", "<dt>Answers kept</dt><dd>420/420", "mk resolution", "mk answer"} {
		if !strings.Contains(page.String(), want) {
			t.Errorf("the HTML report lacks %q", want)
		}
	}
	var others strings.Builder
	if err := Table(&others, sampleReport()); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(others.String(), "answers kept") {
		t.Errorf("scenarios that keep no answers show the kept answers:\n%s", others.String())
	}
}

// A scenario with client areas says, under the table and on the page,
// where each area was answered and how its devices fared.
func TestAreasSayWhereEachWent(t *testing.T) {
	r := lab.Result{
		Name: "geo-region-outage", DetectionS: 0.6, SteeringS: 0.7, ReturnS: -1, Pass: true, FaultAt: 3, HealAt: -1,
		Areas: []measure.AreaResult{
			{Area: "europe", Before: []string{"euw1"}, After: []string{"euw1"}, MovedS: -1,
				ClientRequests: 1400, ClientSuccessPct: 100, ClientSuccessPctAfter: 100},
			{Area: "us-east", Before: []string{"use1"}, After: []string{"usc1"}, MovedS: 0.74, Moves: 1,
				ClientErrors: 269, ClientRequests: 1402, ClientSuccessPct: 80.81, ClientSuccessPctAfter: 100},
			{Area: "asia <&>", Before: []string{"use1"}, After: []string{"usw2", "usc1"}, MovedS: 2, Moves: 2, FalseFailovers: 1,
				ClientSuccessPct: 99.95, ClientSuccessPctAfter: 99.95},
		},
	}
	wantTableLines(t, r,
		"geo-region-outage: europe: stayed on euw1 (0 moves), 0 false failovers; its clients: 0/1400 errors, success from the fault on 100.0%",
		"geo-region-outage: us-east: moved from use1 to usc1 after 0.7 s (1 move), 0 false failovers; its clients: 269/1402 errors, success after 100.0%",
		"geo-region-outage: asia <&>: moved from use1 to usw2 and usc1 after 2.0 s (2 moves), 1 false failover; its clients: 0/0 errors, success after 99.9%",
	)
	page := renderHTML(t, lab.Report{Scenarios: []lab.Result{r}})
	for _, w := range []string{`<ul class="areas" aria-label="Client areas"><li>europe: stayed on euw1`, "asia &lt;&amp;&gt;: moved", "<dt>Client areas</dt>"} {
		if !strings.Contains(page, w) {
			t.Errorf("the HTML report lacks %q", w)
		}
	}
	if others := renderHTML(t, sampleReport()); strings.Contains(others, `class="areas"`) {
		t.Error("scenarios without client areas show an areas list")
	}
}

// A scenario with DNS-only and proxied devices shows both groups side by
// side, under the table and on the page, with hundredths of a percent.
func TestGroupsSideBySide(t *testing.T) {
	r := lab.Result{
		Name: "proxy-region-outage", DetectionS: 0.6, SteeringS: 0.7, ReturnS: -1, Pass: true, FaultAt: 3, HealAt: -1,
		DNSOnly: &measure.ClientGroup{ClientErrors: 281, ClientRequests: 1400, ClientSuccessPct: 79.92, ClientSuccessPctAfter: 100,
			MaxLatencyS: 0.984, MaxLatencyBeforeS: 0.012},
		Proxied: &measure.ClientGroup{ClientRequests: 1400, ClientSuccessPct: 100, ClientSuccessPctAfter: 100,
			MaxLatencyS: 0.521, MaxLatencyBeforeS: 0.009},
	}
	wantTableLines(t, r,
		"proxy-region-outage: dns-only clients (resolve, call the address answered): 281/1400 errors, success from the fault on 79.92%, after 100.00%; slowest request 984 ms (12 ms before the fault)",
		"proxy-region-outage: proxied clients (through the nodes' HTTP proxies): 0/1400 errors, success from the fault on 100.00%, after 100.00%; slowest request 521 ms (9 ms before the fault)",
	)
	page := renderHTML(t, lab.Report{Scenarios: []lab.Result{r}})
	if w := `<ul class="areas" aria-label="Client groups"><li>dns-only clients`; !strings.Contains(page, w) {
		t.Errorf("the HTML report lacks %q", w)
	}
	if others := renderHTML(t, sampleReport()); strings.Contains(others, "Client groups") {
		t.Error("scenarios without client groups show a groups list")
	}
}
