package statuspage

import (
	"net/netip"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/net/html"

	"outlast/internal/api/apitest"
	"outlast/internal/wire"
)

// targetRow finds the target hostnames table's row of target.
func targetRow(t *testing.T, doc *html.Node, target string) *html.Node {
	t.Helper()
	rows := findAll(doc, func(n *html.Node) bool { v, ok := attr(n, "data-target"); return n.Data == "tr" && ok && v == target })
	if len(rows) != 1 {
		t.Fatalf("found %d rows for target %q, want 1", len(rows), target)
	}
	return rows[0]
}

// rowHeader is the matrix's row header of endpoint: its name and what it is reached at.
func rowHeader(t *testing.T, doc *html.Node, endpoint string) string {
	t.Helper()
	for _, th := range findAll(doc, func(n *html.Node) bool { return n.Data == "th" && hasAttr(n, "scope", "row") }) {
		if th.FirstChild != nil && th.FirstChild.Type == html.TextNode && th.FirstChild.Data == endpoint {
			return text(th)
		}
	}
	t.Fatalf("the matrix has no row for endpoint %q", endpoint)
	return ""
}

func byID(doc *html.Node, id string) []*html.Node {
	return findAll(doc, func(n *html.Node) bool { return hasAttr(n, "id", id) })
}

func TestTargetHostnamesTable(t *testing.T) {
	doc := parse(t, mustBody(t, sample(t), "/"))
	if h := byID(doc, "h-targets"); len(h) != 1 || text(h[0]) != "Target hostnames" {
		t.Fatal("a node resolving target hostnames shows no Target hostnames section")
	}
	rows := findAll(doc, func(n *html.Node) bool { _, ok := attr(n, "data-target"); return n.Data == "tr" && ok })
	var order []string
	for _, r := range rows {
		v, _ := attr(r, "data-target")
		order = append(order, v)
	}
	if got := strings.Join(order, " "); got != "shop.cdn-a.test. shop.cdn-b.test." {
		t.Errorf("target rows %q, want sorted by target", got)
	}
	for _, c := range []struct{ target, state, class, text string }{
		{"shop.cdn-a.test.", "stale", "s-degraded", "shop.cdn-a.test. ! stale lookups fail: answering and probing the last good addresses " +
			"A 198.51.100.1, 198.51.100.11 AAAA 2001:db8::a 30 s SERVFAIL from 192.0.2.53:53 failing since 15:28:30 UTC (1 min ago)"},
		{"shop.cdn-b.test.", "fresh", "s-up", "shop.cdn-b.test. ✓ fresh A 198.51.100.2 42 s none"},
	} {
		row := targetRow(t, doc, c.target)
		if got := text(row); got != c.text {
			t.Errorf("%s reads\n%q, want\n%q", c.target, got, c.text)
		}
		td := findAll(row, func(n *html.Node) bool { _, ok := attr(n, "data-resolution"); return ok })
		if len(td) != 1 {
			t.Fatalf("%s: %d state cells, want 1", c.target, len(td))
		}
		if got, _ := attr(td[0], "data-resolution"); got != c.state {
			t.Errorf("%s: data-resolution %q, want %q", c.target, got, c.state)
		}
		if cls, _ := attr(td[0], "class"); !strings.Contains(cls, c.class) {
			t.Errorf("%s: state cell class %q, want %s, as the page marks other things so", c.target, cls, c.class)
		}
	}
}

func TestTargetStatesAndTTL(t *testing.T) {
	now := t0
	got := targets(now, []wire.Resolution{
		{Target: "z.test.", State: "unresolved", Error: "NXDOMAIN", FailingSince: t0.Add(-3 * time.Hour)},
		{Target: "e.test.", State: "empty", TTLS: 60},
		{Target: "f.test.", State: "fresh", AAAA: []netip.Addr{netip.MustParseAddr("2001:db8::1")}, TTLS: 3599.6},
		{Target: "q.test.", State: "quantum"},
	})
	want := []struct{ target, class, sym, ttl, since string }{
		{"e.test.", "unknown", "?", "–", ""},
		{"f.test.", "up", "✓", "59 min", ""},
		{"q.test.", "unknown", "?", "–", ""},
		{"z.test.", "down", "✗", "–", "since 12:30:00 UTC (3 h ago)"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Target != w.target || g.Class != w.class || g.Symbol != w.sym || g.TTL != w.ttl || g.Since != w.since {
			t.Errorf("row %d: %+v, want %+v", i, g, w)
		}
	}
}

func TestTargetSummaryLine(t *testing.T) {
	f := sample(t)
	doc := parse(t, mustBody(t, f, "/"))
	notes := findAll(doc, func(n *html.Node) bool { _, ok := attr(n, "data-resolution"); return n.Data == "li" && ok })
	if len(notes) != 1 {
		t.Fatalf("%d summary lines about target hostnames, want 1", len(notes))
	}
	if got, want := text(notes[0]), "! 1 target hostname answered from stale addresses: its DNS fails see target hostnames"; got != want {
		t.Errorf("summary line reads %q, want %q", got, want)
	}
	if cls, _ := attr(notes[0], "class"); cls != "s-degraded" {
		t.Errorf("summary line class %q, want s-degraded", cls)
	}
	if sec := findAll(doc, func(n *html.Node) bool { return hasAttr(n, "aria-labelledby", "h-providers") }); len(sec) != 1 ||
		!strings.Contains(text(sec[0]), "answered from stale addresses") {
		t.Error("the line is not in the summary (the providers section)")
	}

	// Two stale, one unresolved: a line each, unresolved (worse) first.
	f.Update(func(s *apitest.Settings) {
		s.Resolution = append(sampleResolution(),
			wire.Resolution{Target: "shop.cdn-c.test.", State: "stale", A: []netip.Addr{netip.MustParseAddr("198.51.100.3")}},
			wire.Resolution{Target: "shop.cdn-d.test.", State: "unresolved", Error: "timeout"})
	})
	var lines []string
	for _, n := range targetNotes(f.Resolution()) {
		lines = append(lines, n.Class+": "+n.Text)
	}
	if got, want := strings.Join(lines, " | "), "down: 1 target hostname unresolved: no addresses to answer or probe | "+
		"degraded: 2 target hostnames answered from stale addresses: their DNS fails"; got != want {
		t.Errorf("summary lines\n%q, want\n%q", got, want)
	}

	// Every target fresh: the table stays, the summary says nothing.
	f.Update(func(s *apitest.Settings) { s.Resolution = sampleResolution()[:1] })
	body := mustBody(t, f, "/")
	if strings.Contains(body, `class="notes"`) || !strings.Contains(body, `id="h-targets"`) {
		t.Error("with every target fresh: want the table and no summary line")
	}
}

func TestNoTargetsNoSection(t *testing.T) {
	f := sample(t)
	f.Update(func(s *apitest.Settings) { s.Resolution = nil })
	body := mustBody(t, f, "/")
	if strings.Contains(body, "Target hostnames") || strings.Contains(body, "data-resolution") {
		t.Error("a node that resolves no target hostname shows the Target hostnames section or a summary line")
	}
}

func TestEndpointRowShowsTarget(t *testing.T) {
	f := sample(t)
	doc := parse(t, mustBody(t, f, "/"))
	for endpoint, want := range map[string]string{
		"cdn-a": "cdn-a → shop.cdn-a.test. stale", // flagged: answered from stale addresses
		"cdn-b": "cdn-b → shop.cdn-b.test.",
		"use1":  "use1 192.0.2.1", // by address, as before
	} {
		if got := rowHeader(t, doc, endpoint); got != want {
			t.Errorf("row of %s reads %q, want %q", endpoint, got, want)
		}
	}
	caps := findAll(doc, tag("caption"))
	if got := text(caps[1]); !strings.Contains(got, "weighted · answer flatten ·") {
		t.Errorf("the hostname service's caption %q does not say how it answers", got)
	}
	if got := text(caps[0]); strings.Contains(got, "answer") {
		t.Errorf("a service by address names an answer style: %q", got)
	}
	key := findAll(doc, func(n *html.Node) bool { return hasAttr(n, "class", "key s-degraded") && text(n) == "stale" })
	if len(key) != 1 {
		t.Errorf("%d stale marks in the matrix, want one, coloured as degraded", len(key))
	}

	// Unresolved: marked as down; the resolver reporting nothing: no mark.
	f.Update(func(s *apitest.Settings) {
		s.Resolution = []wire.Resolution{{Target: "shop.cdn-a.test.", State: "unresolved"}}
	})
	doc = parse(t, mustBody(t, f, "/"))
	if got := rowHeader(t, doc, "cdn-a"); got != "cdn-a → shop.cdn-a.test. unresolved" {
		t.Errorf("unresolved target's row reads %q", got)
	}
	if got := rowHeader(t, doc, "cdn-b"); got != "cdn-b → shop.cdn-b.test." {
		t.Errorf("a target the resolver does not report reads %q", got)
	}
	if key := findAll(doc, func(n *html.Node) bool { return hasAttr(n, "class", "key s-down") && text(n) == "unresolved" }); len(key) != 1 {
		t.Errorf("%d unresolved marks, want one, coloured as down", len(key))
	}
}

// TestHostileResolutionIsEscaped: targets come from the configuration and
// errors from upstream DNS servers; neither may become markup.
func TestHostileResolutionIsEscaped(t *testing.T) {
	const evil = `<script>alert(1)</script>"'><img src=x onerror=alert(2)>`
	f := sample(t)
	f.Update(func(s *apitest.Settings) {
		s.Resolution = []wire.Resolution{
			{Target: evil, State: evil, Error: evil, FailingSince: t0.Add(-time.Second)},
			{Target: "shop.cdn-a.test.", State: "stale", Error: "upstream said </td></tr></table><b>hi</b>", FailingSince: t0},
		}
	})
	body := mustBody(t, f, "/")
	if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img") || strings.Contains(body, "<b>hi") {
		t.Fatalf("a hostile target or error reached the page unescaped:\n%s", body)
	}
	doc := parse(t, body)
	if n := len(findAll(doc, tag("script"))); n != 1 {
		t.Errorf("%d script elements, want only the page's own", n)
	}
	row := targetRow(t, doc, evil) // the attribute round-trips exactly
	if got := text(row); !strings.Contains(got, evil+" ? "+evil) || !strings.Contains(got, "none – "+evil+" failing since") {
		t.Errorf("the hostile row does not show its text verbatim: %q", got)
	}
	if got := text(targetRow(t, doc, "shop.cdn-a.test.")); !strings.Contains(got, "upstream said </td></tr></table><b>hi</b>") {
		t.Errorf("an error with markup is not shown as text: %q", got)
	}
}

func TestShortenBoundsUpstreamText(t *testing.T) {
	long := strings.Repeat("é", 1000) + "\xff"
	got := shorten(long, maxErrorRunes)
	if n := utf8.RuneCountInString(got); n != maxErrorRunes+1 || !strings.HasSuffix(got, "…") || !utf8.ValidString(got) {
		t.Errorf("shorten: %d runes, valid %v, want %d and a mark", n, utf8.ValidString(got), maxErrorRunes+1)
	}
	if got := shorten("bad \xff byte", 100); got != "bad \uFFFD byte" {
		t.Errorf("shorten kept invalid UTF-8: %q", got)
	}
	if got := shorten("short", 5); got != "short" {
		t.Errorf("shorten changed a short string: %q", got)
	}
	f := sample(t)
	f.Update(func(s *apitest.Settings) { s.Resolution[1].Error = strings.Repeat("x", 1<<20) })
	if body := mustBody(t, f, "/"); strings.Contains(body, strings.Repeat("x", maxErrorRunes+1)) {
		t.Error("a megabyte of upstream error reached the page whole")
	}
}
