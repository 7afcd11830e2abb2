package statuspage

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"outlast/internal/api/apitest"
	"outlast/internal/config"
	"outlast/internal/model"
	"outlast/internal/state"
)

func TestPageRenders(t *testing.T) {
	res, body := get(t, sample(t), "/")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET / = %d, want 200:\n%s", res.StatusCode, body)
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("Content-Security-Policy %q does not start from nothing allowed", csp)
	}
	doc := parse(t, body)
	head := text(findAll(doc, tag("header"))[0])
	for _, want := range []string{"n-aws", "aws/us-east-1", "v0.5.0-test"} {
		if !strings.Contains(head, want) {
			t.Errorf("header %q lacks %q", head, want)
		}
	}
	live := findAll(doc, func(n *html.Node) bool { v, _ := attr(n, "id"); return v == "live" })
	if len(live) != 1 {
		t.Fatalf("want one #live region, found %d", len(live))
	}
	if v, _ := attr(live[0], "aria-live"); v != "polite" {
		t.Errorf("#live has aria-live=%q, want polite", v)
	}
	all := text(live[0])
	for _, want := range []string{
		"Leader n-gcp", "version 1", "c0ffee0123456789", "n-azure", // cluster and configuration
		"api.example.test.", "www.example.test.", "http GET /healthz port 80 every 1s", // matrix captions
		"192.0.2.2", "cloudflare", "cdn-b (weight 1): 198.51.100.2", // answers
	} {
		if !strings.Contains(all, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(all, "Stale:") {
		t.Error("a node that is not stale shows the stale banner")
	}
}

func TestMatrixCells(t *testing.T) {
	doc := parse(t, mustBody(t, sample(t), "/"))
	tables := findAll(doc, func(n *html.Node) bool { c, _ := attr(n, "class"); return n.Data == "table" && c == "matrix" })
	if len(tables) != 4 {
		t.Fatalf("%d matrices, want one per service (4)", len(tables))
	}
	var cols []string
	for _, th := range findAll(findAll(tables[0], tag("thead"))[0], tag("th")) {
		if v, _ := attr(th, "scope"); v != "col" {
			t.Errorf("column header %q lacks scope=col", text(th))
		}
		cols = append(cols, strings.Fields(text(th))[0])
	}
	if got, want := strings.Join(cols, " "), "Endpoint n-aws n-azure n-gcp Effective"; got != want {
		t.Errorf("columns %q, want %q", got, want)
	}
	// Rows grouped by region: one rowgroup header per location, in order.
	var groups []string
	for _, th := range findAll(tables[0], func(n *html.Node) bool { v, _ := attr(n, "scope"); return v == "rowgroup" }) {
		groups = append(groups, text(th))
	}
	if got := strings.Join(groups, " "); got != "aws/us-east-1 aws/us-west-2 gcp/us-central1" {
		t.Errorf("region groups %q", got)
	}
	for _, c := range []struct{ endpoint, vantage, state, text string }{
		{"use1", "n-gcp", "down", "✗ down: timeout 1.00 s · 0.7 s ago"},
		{"usw2", "n-azure", "up", "✓ up 12 ms · 0.4 s ago"},
		{"use1", "", "down", "✗ down 0 up · 3 down of 3 since 20 s ago"},
		{"cdn-a", "", "up", "✓ up 3 up · 0 down of 3 since 2 min ago drain by bob: “CDN errors in EU” · until 16:00:00 UTC"},
	} {
		td := cell(t, doc, c.endpoint, c.vantage)
		key := "data-state"
		if c.vantage == "" {
			key = "data-effective"
		}
		if got, _ := attr(td, key); got != c.state {
			t.Errorf("%s from %q: %s=%q, want %q", c.endpoint, c.vantage, key, got, c.state)
		}
		if got := text(td); got != c.text {
			t.Errorf("%s from %q reads %q, want %q", c.endpoint, c.vantage, got, c.text)
		}
		if cls, _ := attr(td, "class"); !strings.Contains(cls, "s-"+c.state) {
			t.Errorf("%s from %q has class %q, want s-%s", c.endpoint, c.vantage, cls, c.state)
		}
	}
	if title, _ := attr(cell(t, doc, "use1", "n-aws"), "title"); title != "no response within 1s" {
		t.Errorf("a failed check's detail is in its title: got %q", title)
	}
}

func mustBody(t *testing.T, f *apitest.Backend, path string) string {
	t.Helper()
	res, body := get(t, f, path)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d:\n%s", path, res.StatusCode, body)
	}
	return body
}

func TestCellsMergeEvidenceAndObservations(t *testing.T) {
	f := sample(t)
	// The verdict's evidence is 20 s old; an observation from a vantage that
	// is not a member yet, and none from n-azure for a new endpoint.
	f.Observe("n-new", "use1", t0.Add(-2*time.Second), model.Result{Up: true, Latency: 3 * time.Millisecond})
	f.Update(func(s *apitest.Settings) { delete(s.Observations["n-azure"], "use1") })
	v := build(take(t.Context(), f))
	api := v.Services[0]
	if last := api.Vantages[len(api.Vantages)-1]; last.Name != "n-new" || last.Member {
		t.Errorf("last column %+v, want n-new, not a member", last)
	}
	row := api.Regions[0].Rows[0]
	got := map[string]cellView{}
	for _, c := range row.Cells {
		got[c.Vantage] = c
	}
	// n-azure: only the verdict's 20 s old evidence, older than 3 intervals of 1 s.
	if c := got["n-azure"]; c.State != "down" || c.Age != "20 s ago" || !c.Stale {
		t.Errorf("n-azure cell %+v, want the evidence: down, 20 s ago, stale", c)
	}
	if c := got["n-aws"]; c.State != "down" || c.Age != "0.7 s ago" || c.Stale {
		t.Errorf("n-aws cell %+v, want the newer observation: down, 0.7 s ago, fresh", c)
	}
	if c := got["n-new"]; c.State != "up" || c.Latency != "3.0 ms" {
		t.Errorf("n-new cell %+v, want up in 3.0 ms", c)
	}
	// Evidence newer than an observation wins, and brings its hysteresis view.
	f.Observe("n-gcp", "usc1", t0.Add(-5*time.Minute), model.Result{Up: false, Reason: model.ReasonRefused})
	f.Apply(t, verdictCmd(t0.Add(-time.Second), "usc1", model.Up, model.Down))
	v = build(take(t.Context(), f))
	for _, c := range v.Services[0].Regions[2].Rows[0].Cells {
		if c.Vantage == "n-gcp" && (c.State != "down" || c.Reason != "timeout" || c.Age != "1.0 s ago") {
			t.Errorf("n-gcp usc1 cell %+v, want the newer evidence: down (timeout) 1.0 s ago", c)
		}
	}
}

func TestUnknownCells(t *testing.T) {
	f := newFake()
	f.Apply(t, state.Command{Kind: state.SetConfig, At: t0, Config: cloneShared(sample(t).State().Config.Shared), ConfigHash: "h"})
	v := build(take(t.Context(), f))
	if len(v.Services) != 4 || len(v.Services[0].Vantages) != 0 {
		t.Fatalf("a fresh cluster: %d services with %d vantages, want 4 with none", len(v.Services), len(v.Services[0].Vantages))
	}
	eff := v.Services[0].Regions[0].Rows[0].Effective
	if eff.State != "unknown" || eff.Votes != "" {
		t.Errorf("effective %+v, want unknown without votes", eff)
	}
	if got := v.Providers[0].Text; got != "aws: 0 of 2 regions down" || v.Providers[0].State != "unknown" {
		t.Errorf("provider %q (%s), want aws: 0 of 2 regions down (unknown)", got, v.Providers[0].State)
	}
}

func TestProviderSummary(t *testing.T) {
	f := sample(t)
	want := map[string]string{
		"aws":        "aws: 1 of 2 regions down|degraded",
		"cloudflare": "cloudflare: 0 of 1 region down|up",
		"fastly":     "fastly: 0 of 1 region down|up",
		"gcp":        "gcp: 0 of 1 region down|up",
	}
	checkProviders(t, f, want)
	doc := parse(t, mustBody(t, f, "/"))
	li := findAll(doc, func(n *html.Node) bool { p, _ := attr(n, "data-provider"); return p == "aws" })
	if len(li) != 1 || text(li[0]) != "! aws: 1 of 2 regions down degraded down: us-east-1" {
		t.Errorf("aws summary reads %q", text(li[0]))
	}
	// us-west-2 forced down too: the whole provider is down.
	for _, e := range []string{"usw2", "geo-usw2"} {
		f.Apply(t, state.Command{Kind: state.SetOverride, At: t0, Who: "carol", Why: "test",
			Override: &state.Override{Endpoint: e, Kind: state.ForceDown}})
	}
	want["aws"] = "aws: 2 of 2 regions down|down"
	checkProviders(t, f, want)
}

func checkProviders(t *testing.T, f *apitest.Backend, want map[string]string) {
	t.Helper()
	v := build(take(t.Context(), f))
	got := map[string]string{}
	for _, p := range v.Providers {
		got[p.Provider] = p.Text + "|" + p.State
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("provider %s: %q, want %q", k, got[k], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("providers %v, want %v", got, want)
	}
}

func TestPartlyDownRegion(t *testing.T) {
	regions := map[string]*regionHealth{"us-east-1": {up: 1, down: 1}, "us-west-2": {up: 2}}
	p := providerOf("aws", regions)
	if p.Text != "aws: 0 of 2 regions down, 1 partly down" || p.State != "degraded" {
		t.Errorf("got %q (%s)", p.Text, p.State)
	}
}

func TestStaleBanner(t *testing.T) {
	f := sample(t)
	f.Update(func(s *apitest.Settings) { s.Info.Stale = true; s.Cluster.LastContact = t0.Add(-42 * time.Second) })
	doc := parse(t, mustBody(t, f, "/"))
	banner := findAll(doc, func(n *html.Node) bool { v, _ := attr(n, "id"); return v == "stale" })
	if len(banner) != 1 {
		t.Fatal("a stale node's page has no stale banner")
	}
	want := "Stale: this node has heard from no leader (last contact 42 s ago). It answers DNS from the last agreed state " +
		"(configuration version 1, log index " + strconv.FormatUint(f.Index(), 10) + "), and this page shows that state."
	if got := text(banner[0]); got != want {
		t.Errorf("banner reads\n%q, want\n%q", got, want)
	}
}

func TestEventsNewestFirstAndCapped(t *testing.T) {
	f := sample(t)
	for i := range 60 {
		f.Apply(t, state.Command{Kind: state.SetOverride, At: t0.Add(time.Duration(i) * time.Millisecond), Who: "dave",
			Why: "flip", Override: &state.Override{Endpoint: "usc1", Kind: state.ForceUp}})
	}
	doc := parse(t, mustBody(t, f, "/"))
	rows := findAll(doc, func(n *html.Node) bool { _, ok := attr(n, "data-seq"); return ok })
	if len(rows) != maxEvents {
		t.Fatalf("%d events shown, want the latest %d", len(rows), maxEvents)
	}
	first, _ := attr(rows[0], "data-seq")
	last, _ := attr(rows[len(rows)-1], "data-seq")
	total := len(f.State().Events)
	if first != itoa(total-1) || last != itoa(total-maxEvents) {
		t.Errorf("events run from seq %s to %s, want %d down to %d", first, last, total-1, total-maxEvents)
	}
	if got := text(rows[0]); !strings.Contains(got, "force-up usc1 dave flip") {
		t.Errorf("newest event reads %q, want who and why", got)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// cloneShared copies what a test edits of a configuration: the services and their endpoints.
func cloneShared(s config.Shared) *config.Shared {
	s.Services = slices.Clone(s.Services)
	for i := range s.Services {
		s.Services[i].Endpoints = slices.Clone(s.Services[i].Endpoints)
	}
	return &s
}

func httptestPost(t *testing.T, f *apitest.Backend, path string) int {
	t.Helper()
	rec := httptest.NewRecorder()
	New(f, nil).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, nil))
	return rec.Code
}

func TestHostileNamesAreEscaped(t *testing.T) {
	const evil = `<script>alert(1)</script>"'><img src=x onerror=alert(2)>`
	f := sample(t)
	shared := cloneShared(f.State().Config.Shared)
	shared.Services[0].Endpoints[0].Name = evil
	// A client area, its order and the areas using the default order.
	shared.Services[2].Geo.Areas = slices.Clone(shared.Services[2].Geo.Areas)
	shared.Services[2].Geo.Areas[0].Area = evil
	shared.Geo.Areas = append(slices.Clone(shared.Geo.Areas), config.Area{Name: evil + "2"})
	f.Apply(t,
		state.Command{Kind: state.SetConfig, At: t0, Who: evil, Config: shared, ConfigHash: "h2"},
		state.Command{Kind: state.SetMember, At: t0, Member: &state.Member{Name: evil, Location: loc("evil/x")}},
		state.Command{Kind: state.SetOverride, At: t0, Who: evil, Why: evil, Override: &state.Override{Endpoint: evil, Kind: state.ForceDown}},
	)
	f.Observe(evil, evil, t0, model.Result{Detail: evil, Reason: model.Reason(evil)})
	f.Update(func(s *apitest.Settings) {
		s.Info.Name, s.Answers[0].Name, s.Answers[0].Area = evil, evil, evil
		s.Answers[1].Target, s.Answers[1].Pools = evil, nil
		s.Answers = append(s.Answers, model.Answer{Name: "x.test.", Mode: model.AnswerMode(evil),
			Pools: []model.WeightedPool{{Endpoint: evil, Target: evil}}})
	})
	body := mustBody(t, f, "/")
	if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img") {
		t.Fatalf("a hostile name reached the page unescaped:\n%s", body)
	}
	doc := parse(t, body)
	if n := len(findAll(doc, tag("script"))); n != 1 {
		t.Errorf("%d script elements, want only the page's own", n)
	}
	td := cell(t, doc, evil, evil) // the attribute round-trips exactly
	if got, _ := attr(td, "title"); got != evil {
		t.Errorf("title %q, want the detail verbatim", got)
	}
	if !strings.Contains(text(cell(t, doc, evil, "")), "force-down by "+evil) {
		t.Error("the override's who is not shown as text")
	}
	// The answer's area, target, mode and pool round-trip as text and attributes.
	rows := answerRows(t, doc)
	if !slices.ContainsFunc(rows, func(r [3]string) bool { return r[0] == evil && r[1] == evil && strings.Contains(r[2], " "+evil+" A ") }) {
		t.Errorf("no answer row with the hostile name and area as text: %q", rows)
	}
	if !slices.ContainsFunc(rows, func(r [3]string) bool { return strings.HasSuffix(r[2], "CNAME → "+evil) }) {
		t.Errorf("no answer row with the hostile target as text: %q", rows)
	}
	if !slices.ContainsFunc(rows, func(r [3]string) bool { return strings.Contains(r[2], evil+" (weight 0): CNAME → "+evil) }) {
		t.Errorf("no answer row with the hostile pool as text: %q", rows)
	}
	orders := findAll(doc, func(n *html.Node) bool { return n.Data == "li" && hasAttr(n, "data-area", evil) })
	if len(orders) != 1 || !strings.HasPrefix(textContent(orders[0]), evil+": ") {
		t.Errorf("the hostile area's order is not shown as text")
	}
}

var external = regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+`)

func TestSelfContained(t *testing.T) {
	f := sample(t)
	f.Apply(t, state.Command{Kind: state.SetOverride, At: t0, Who: "eve", Why: "see https://status.example.com",
		Override: &state.Override{Endpoint: "usc1", Kind: state.ForceUp}})
	body := mustBody(t, f, "/")
	doc := parse(t, body)
	for _, n := range findAll(doc, func(*html.Node) bool { return true }) {
		if n.Data == "link" || n.Data == "iframe" || n.Data == "img" || n.Data == "object" || n.Data == "embed" {
			t.Errorf("the page has a <%s>: it must fetch nothing", n.Data)
		}
		for _, a := range n.Attr {
			if (a.Key == "src" || a.Key == "href" || a.Key == "action" || a.Key == "srcset") && external.MatchString(a.Val) {
				t.Errorf("<%s %s=%q> points outside the page", n.Data, a.Key, a.Val)
			}
		}
	}
	for _, s := range append(findAll(doc, tag("style")), findAll(doc, tag("script"))...) {
		code := text(s)
		if strings.Contains(code, "@import") || strings.Contains(code, "url(") || external.MatchString(code) {
			t.Errorf("<%s> refers to something outside the page", s.Data)
		}
	}
	if !strings.Contains(text(cell(t, doc, "usc1", "")), "see https://status.example.com") {
		t.Error("a URL in a reason must still show, as text")
	}
}

func TestRoutes(t *testing.T) {
	f := sample(t)
	res, body := get(t, f, FragmentPath)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d", FragmentPath, res.StatusCode)
	}
	if strings.Contains(body, "<html") || strings.Contains(body, "<script") || !strings.Contains(body, `data-endpoint="use1"`) {
		t.Errorf("the fragment must be the live region alone, matrix included:\n%.300s", body)
	}
	if !strings.Contains(body, `data-target="shop.cdn-a.test."`) || !strings.Contains(body, `data-resolution="stale"`) {
		t.Error("the fragment lacks the target hostnames: they would not refresh live")
	}
	page := mustBody(t, f, "/")
	if !strings.Contains(page, `data-src="status/fragment"`) {
		t.Error("the page's live region does not name the fragment relative to itself")
	}
	for path, want := range map[string]int{"/nope": http.StatusNotFound, "/status/": http.StatusNotFound} {
		if res, _ := get(t, f, path); res.StatusCode != want {
			t.Errorf("GET %s = %d, want %d", path, res.StatusCode, want)
		}
	}
	rec := httptestPost(t, f, "/")
	if rec != http.StatusMethodNotAllowed {
		t.Errorf("POST / = %d, want 405", rec)
	}
}
