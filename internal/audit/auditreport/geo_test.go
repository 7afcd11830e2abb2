package auditreport

import (
	"bytes"
	"fmt"
	"html"
	"net/netip"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"outlast/internal/audit"
	"outlast/internal/config"
	"outlast/internal/model"
)

// twoAreas is the hand-built report of a geo service, api, with areas
// us-east (order aws/us-east-1, gcp/us-central1) and europe (order
// aws/eu-west-1 alone), beside a failover service, www, that has no areas.
func twoAreas() *audit.Report {
	const www, api = "www.example.com.", "api.example.com."
	l := func(s string) []model.Location {
		var out []model.Location
		for _, p := range strings.Split(s, ",") {
			loc, err := model.ParseLocation(p)
			if err != nil {
				panic(err)
			}
			out = append(out, loc)
		}
		return out
	}
	move := func(area, from, to string, past bool) audit.AreaMove {
		return audit.AreaMove{Area: area, From: l(from), To: l(to), Exhausted: past}
	}
	row := func(name string, kind audit.DomainKind, scope audit.Scope, moves ...audit.AreaMove) audit.DomainImpact {
		return audit.DomainImpact{Domain: name, Kind: kind, Scope: scope, Quorum: true, Decides: true, Nameservers: 3, NameserversTotal: 3,
			Services: []audit.ServiceImpact{
				{Service: www, Impact: audit.ImpactDegraded, LostPct: 50, Note: "loses www-1"},
				{Service: api, Impact: audit.ImpactDegraded, LostPct: 67, Note: "loses use1", Moves: moves},
			}}
	}
	return &audit.Report{
		Source:   "geo.yaml",
		Services: []string{www, api},
		Domains: []audit.DomainImpact{
			row("aws", audit.KindProvider, audit.ScopeSingle,
				move("us-east", "aws/us-east-1", "gcp/us-central1", false),
				move("europe", "aws/eu-west-1", "gcp/us-central1", true)),
			row("gcp", audit.KindProvider, audit.ScopeSingle),
			row("aws/us-east-1", audit.KindRegion, audit.ScopeSingle,
				move("us-east", "aws/us-east-1", "gcp/us-central1", false)),
			row("aws/eu-west-1 + gcp", audit.KindPair, audit.ScopePair,
				move("europe", "aws/eu-west-1", "aws/us-east-1", true),
				move("", "aws/eu-west-1", "aws/us-east-1,gcp/us-central1", false)),
		},
		Findings: []audit.Finding{
			{Severity: audit.Warning, Check: audit.CheckGeoSharedFirst, Scope: audit.ScopeSingle, Domain: "aws", Subject: api,
				Summary: "losing aws moves 2 areas of api.example.com. at once", Why: "why", Fix: "fix"},
		},
	}
}

func TestTextGeo(t *testing.T) {
	var b bytes.Buffer
	if err := Text(&b, twoAreas(), audit.Warning); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		// Right after each scope's matrix, a line per area per failure.
		"  aws/us-east-1  degraded 50%      degraded 67%      kept            kept      3 of 3\n" +
			"\n" +
			"Where geo areas go (N-1):\n" +
			"  api.example.com.\n" +
			"    aws            us-east: aws/us-east-1 → gcp/us-central1\n" +
			"                   europe: aws/eu-west-1 → gcp/us-central1 (past its order, by priority)\n" +
			"    aws/us-east-1  us-east: aws/us-east-1 → gcp/us-central1\n" +
			"\n" +
			"What two failures at once do (N-2):\n",
		"Where geo areas go (N-2):\n" +
			"  api.example.com.\n" +
			"    aws/eu-west-1 + gcp  europe: aws/eu-west-1 → aws/us-east-1 (past its order, by priority)\n" +
			"                         clients in no area: aws/eu-west-1 → aws/us-east-1, gcp/us-central1\n" +
			"\n" +
			"Findings: 0 critical, 1 warning, 0 info\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the text report lacks\n%s\nin:\n%s", want, out)
		}
	}
	b.Reset()
	if err := Text(&b, quorumTrap(), audit.Warning); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "geo") {
		t.Errorf("a report without geo services speaks of geo:\n%s", b.String())
	}
}

var (
	geoRowTag  = regexp.MustCompile(`(?s)<tr data-geo-domain="([^"]*)"><th scope="row">[^<]*</th><td><ul>(.*?)</ul></td></tr>`)
	geoMoveTag = regexp.MustCompile(`<li data-area="([^"]*)"( class="past")?>(?:<span class="sym" aria-hidden="true">⚠</span> )?([^<]*)</li>`)
)

// movesOf reads the geo tables back out of the page, one line per
// failure: the domain, then each move as "[area] text", "!" when past.
func movesOf(page string) []string {
	var out []string
	for _, r := range geoRowTag.FindAllStringSubmatch(page, -1) {
		line := html.UnescapeString(r[1]) + ":"
		for _, m := range geoMoveTag.FindAllStringSubmatch(r[2], -1) {
			mark := ""
			if m[2] != "" {
				mark = "!"
			}
			line += " " + mark + "[" + html.UnescapeString(m[1]) + "] " + html.UnescapeString(m[3])
		}
		out = append(out, line)
	}
	return out
}

func TestHTMLGeo(t *testing.T) {
	out := render(t, twoAreas())
	got := movesOf(out)
	want := []string{
		"aws: [us-east] us-east: aws/us-east-1 → gcp/us-central1 ![europe] europe: aws/eu-west-1 → gcp/us-central1 (past its order, by priority)",
		"aws/us-east-1: [us-east] us-east: aws/us-east-1 → gcp/us-central1",
		"aws/eu-west-1 + gcp: ![europe] europe: aws/eu-west-1 → aws/us-east-1 (past its order, by priority) " +
			"[clients in no area] clients in no area: aws/eu-west-1 → aws/us-east-1, gcp/us-central1",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("geo moves:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, s := range []string{
		`<h2 id="geo-title">Where geo areas go</h2>`,
		`<h3>api.example.com.</h3>`,
		`<table class="moves" data-service="api.example.com.">`,
	} {
		if !strings.Contains(out, s) {
			t.Errorf("page lacks %s", s)
		}
	}
	// The failover service has no areas: no table of its own.
	if strings.Contains(out, `<table class="moves" data-service="www.example.com.">`) {
		t.Error("a table of moves for the failover service")
	}
	// The matrix is untouched: geo rows are not matrix rows.
	if rows := matrixOf(out); len(rows) != 4 {
		t.Errorf("the matrix has %d rows, want 4:\n%s", len(rows), strings.Join(rows, "\n"))
	}
	if strings.Contains(render(t, quorumTrap()), "geo-title") {
		t.Error("a report without geo services has a geo section")
	}
}

func TestHTMLGeoIsSafe(t *testing.T) {
	r := twoAreas()
	evil := `<script>alert("x")</script>`
	r.Services[1] = evil
	r.Domains[0].Domain = evil
	r.Domains[0].Services[1].Service = evil
	r.Domains[0].Services[1].Moves[0].Area = evil
	out := render(t, r)
	if i := strings.Index(out, "<script"); i >= 0 {
		t.Errorf("unescaped: ...%s...", out[max(0, i-80):min(len(out), i+80)])
	}
	if got := movesOf(out); len(got) != 1 || !strings.HasPrefix(got[0], evil+": ["+evil+"] "+evil+": aws/us-east-1") {
		t.Errorf("the evil service's moves read %q", got)
	}
	for _, bad := range []string{"http://", "https://", "src=", "href=", "url("} {
		if strings.Contains(out, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
}

// TestGeoDocShowsRealOutput: docs/audit.md's geo example is what the
// audit of the deployment it describes prints.
func TestGeoDocShowsRealOutput(t *testing.T) {
	l := func(s string) model.Location {
		loc, err := model.ParseLocation(s)
		if err != nil {
			t.Fatal(err)
		}
		return loc
	}
	ep := func(name, where string, priority int, last byte) config.Endpoint {
		a := netip.AddrFrom4([4]byte{198, 51, 100, last})
		return config.Endpoint{Name: name, Location: l(where), Priority: priority, Addresses: []netip.Addr{a}, ProbeAddress: a}
	}
	spread := []string{"aws/us-east-1", "gcp/us-central1", "azure/eastus"}
	d := audit.Deployment{Zones: []config.Zone{{Apex: "example.com."}}}
	for i, where := range spread {
		d.Nodes = append(d.Nodes, audit.Node{Name: fmt.Sprintf("n%d", i+1), Location: l(where), Voter: true})
		d.Zones[0].NS = append(d.Zones[0].NS, config.NameServer{Name: fmt.Sprintf("ns%d.example.com.", i+1), Location: l(where)})
	}
	d.Services = []config.Service{{Name: "api.example.com.", Type: model.TypeA, TTL: 30 * time.Second, Policy: config.PolicyGeo,
		Check: config.Check{Interval: time.Second, Timeout: time.Second, Fall: 3},
		Geo: config.ServiceGeo{Areas: []config.AreaOrder{
			{Area: "us-east", Order: []model.Location{l("aws/us-east-1"), l("gcp/us-central1")}},
			{Area: "europe", Order: []model.Location{l("aws/eu-west-1")}},
		}},
		Endpoints: []config.Endpoint{ep("use1", "aws/us-east-1", 1, 1), ep("euw1", "aws/eu-west-1", 1, 2), ep("usc1", "gcp/us-central1", 2, 3)},
	}}
	var b bytes.Buffer
	if err := Text(&b, audit.Run(d), audit.Warning); err != nil {
		t.Fatal(err)
	}
	start := strings.Index(b.String(), "Where geo areas go (N-1):")
	end := strings.Index(b.String(), "What two failures at once do")
	if start < 0 || end < start {
		t.Fatalf("no geo section for N-1:\n%s", b.String())
	}
	section := strings.TrimSpace(b.String()[start:end])
	doc, err := os.ReadFile("../../../docs/audit.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), "```\n"+section+"\n```") {
		t.Errorf("docs/audit.md does not show what the audit prints now:\n%s", section)
	}
}
