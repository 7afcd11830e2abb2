package statuspage

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"outlast/internal/api/apitest"
	"outlast/internal/model"
)

// answerRows are the answers table's rows in document order, each read as
// its data-answer, data-area (or "-" when the row has none) and its text.
func answerRows(t *testing.T, doc *html.Node) [][3]string {
	t.Helper()
	var out [][3]string
	for _, tr := range findAll(doc, func(n *html.Node) bool { _, ok := attr(n, "data-answer"); return n.Data == "tr" && ok }) {
		name, _ := attr(tr, "data-answer")
		area, ok := attr(tr, "data-area")
		if !ok {
			area = "-"
		}
		out = append(out, [3]string{name, area, text(tr)})
	}
	return out
}

// TestAnswersPerArea: a geo name has one row per client area, after the
// row of clients in no area, each naming its clients; a CNAME answer
// shows its targets with their weights; a name that is not geo answers
// all clients in one row without an area.
func TestAnswersPerArea(t *testing.T) {
	got := answerRows(t, parse(t, mustBody(t, sample(t), "/")))
	want := [][3]string{
		{"api.example.test.", "-", "api.example.test. all clients A 30 s healthy 192.0.2.2"},
		{"cdn.example.test.", "-", "cdn.example.test. all clients A 30 s healthy cdn-c (weight 1): CNAME → shop.cdn-c.test. cdn-d (weight 1): CNAME → shop.cdn-d.test."},
		{"geo.example.test.", "", "geo.example.test. clients in no area A 30 s healthy 192.0.2.12"},
		{"geo.example.test.", "us-east", "geo.example.test. us-east A 30 s healthy 192.0.2.13"},
		{"geo.example.test.", "us-west", "geo.example.test. us-west A 30 s healthy 192.0.2.12"},
		{"www.example.test.", "-", "www.example.test. all clients A 30 s healthy cdn-b (weight 1): 198.51.100.2"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("answer rows\n%q, want\n%q", got, want)
	}
}

// TestAreaQueries: the geo queries this node answered are shown per
// client area, clients in no area first; a node without any shows no table.
func TestAreaQueries(t *testing.T) {
	rows := func(f *apitest.Backend) []string {
		var out []string
		for _, tr := range findAll(parse(t, mustBody(t, f, "/")), func(n *html.Node) bool { _, ok := attr(n, "data-area-queries"); return ok }) {
			out = append(out, text(tr))
		}
		return out
	}
	f := sample(t)
	if got, want := rows(f), []string{"clients in no area 12", "us-east 1234", "us-west 7"}; !slices.Equal(got, want) {
		t.Errorf("geo query rows %q, want %q", got, want)
	}
	f.Update(func(s *apitest.Settings) { s.AreaQueries = nil })
	if body := mustBody(t, f, "/"); strings.Contains(body, "cap-area-queries") {
		t.Error("a node that answered no geo query shows the geo queries table")
	}
}

// TestAnswerModes: every mode but healthy is flagged and says in words
// what it answers; unresolved answers SERVFAIL, not NODATA.
func TestAnswerModes(t *testing.T) {
	for _, c := range []struct {
		answer model.Answer
		want   string
	}{
		{model.Answer{Mode: model.ModeUnresolved},
			"! unresolved no target hostname resolved: answering SERVFAIL so that resolvers cache nothing and try again nothing resolved (SERVFAIL)"},
		{model.Answer{Mode: model.ModeEmpty},
			"! empty every endpoint down and the service fails closed: answering no address no addresses (NODATA)"},
		{model.Answer{Mode: model.ModePanic, Addrs: addrs("192.0.2.1", "192.0.2.2")},
			"! panic too few endpoints up: answering every one not drained 192.0.2.1, 192.0.2.2"},
		{model.Answer{Mode: model.ModeServeAll, Addrs: addrs("192.0.2.1")},
			"! serve-all every endpoint down: answering all of them 192.0.2.1"},
		{model.Answer{Mode: model.ModeFallback, Addrs: addrs("203.0.113.9")},
			"! fallback every endpoint down: answering the fallback addresses 203.0.113.9"},
		{model.Answer{Mode: model.ModeHealthy, Target: "www.example.net."}, "healthy CNAME → www.example.net."},
	} {
		f := sample(t)
		a := c.answer
		a.Name, a.Area, a.Type, a.TTL = "geo.example.test.", "us-west", model.TypeA, 30
		f.Update(func(s *apitest.Settings) { s.Answers = []model.Answer{a} })
		rows := answerRows(t, parse(t, mustBody(t, f, "/")))
		want := "geo.example.test. us-west A 30 s " + c.want
		if len(rows) != 1 || rows[0][2] != want {
			t.Errorf("mode %s: rows %q, want one reading\n%q", a.Mode, rows, want)
		}
	}
}

// TestUnresolvedIsFlagged: the mode cell of a mode other than healthy
// carries the warning mark; a healthy one does not.
func TestUnresolvedIsFlagged(t *testing.T) {
	f := sample(t)
	f.Update(func(s *apitest.Settings) { s.Answers[0].Mode, s.Answers[0].Addrs = model.ModeUnresolved, nil })
	doc := parse(t, mustBody(t, f, "/"))
	warned := map[string]bool{}
	for _, td := range findAll(doc, func(n *html.Node) bool { _, ok := attr(n, "data-mode"); return ok }) {
		mode, _ := attr(td, "data-mode")
		warned[mode] = warned[mode] || len(findAll(td, func(n *html.Node) bool { return hasAttr(n, "class", "warn") })) > 0
	}
	if !warned["unresolved"] || warned["healthy"] {
		t.Errorf("warning marks by mode %v, want unresolved marked and healthy not", warned)
	}
}

// TestAnswersSorted: by name, type, then area with clients in no area
// first, whatever order the answers come in; a name is geo when its
// service is, or when any of its answers is for an area.
func TestAnswersSorted(t *testing.T) {
	in := []model.Answer{
		{Name: "b.test.", Type: model.TypeAAAA, Area: "eu"},
		{Name: "b.test.", Type: model.TypeA, Area: "us"},
		{Name: "b.test.", Type: model.TypeA, Area: "eu"},
		{Name: "b.test.", Type: model.TypeAAAA},
		{Name: "b.test.", Type: model.TypeA},
		{Name: "a.test.", Type: model.TypeA},
		{Name: "c.test.", Type: model.TypeA},
	}
	var got []string
	for _, a := range answers(in, map[string]bool{"c.test.": true}) {
		got = append(got, a.Name+" "+a.Type+" "+a.Clients)
	}
	want := []string{
		"a.test. A all clients",
		"b.test. A clients in no area", "b.test. A eu", "b.test. A us",
		"b.test. AAAA clients in no area", "b.test. AAAA eu",
		"c.test. A clients in no area",
	}
	if !slices.Equal(got, want) {
		t.Errorf("answers\n%q, want\n%q", got, want)
	}
}

// TestGeoOrders: a geo service's caption says policy geo and lists, per
// area, its order of locations (nearest ones marked), then the default
// order with the areas that use it; other services list none. The
// scrolling region is labelled by the service line alone.
func TestGeoOrders(t *testing.T) {
	doc := parse(t, mustBody(t, sample(t), "/"))
	lists := findAll(doc, func(n *html.Node) bool { return n.Data == "ul" && hasAttr(n, "class", "orders") })
	if len(lists) != 1 || !hasAttr(lists[0], "data-service", "geo.example.test.") {
		t.Fatalf("%d lists of orders, want one, for geo.example.test.", len(lists))
	}
	var got []string
	for _, li := range findAll(lists[0], tag("li")) {
		area, _ := attr(li, "data-area")
		got = append(got, area+"|"+textContent(li))
	}
	want := []string{
		"us-east|us-east: aws/us-east-1, gcp/us-central1, then the rest by priority",
		"us-west|us-west (nearest): aws/us-west-2, gcp/us-central1, aws/us-east-1",
		"|clients in no area or in europe: by priority",
	}
	if !slices.Equal(got, want) {
		t.Errorf("orders\n%q, want\n%q", got, want)
	}
	caption := lists[0].Parent
	if caption.Data != "caption" {
		t.Fatalf("the orders are in a <%s>, want the matrix's caption", caption.Data)
	}
	label := findAll(caption, func(n *html.Node) bool { id, _ := attr(n, "id"); return strings.HasPrefix(id, "cap-") })
	if len(label) != 1 || text(label[0]) != "geo.example.test. A · policy geo · http GET /healthz port 80 every 1s, fall 3 rise 2" {
		t.Errorf("the geo matrix is labelled %q", text(label[0]))
	}
}

// TestGeoAnswersAreLive: the fragment live.js swaps in carries the
// answers per area and the orders, so both refresh without a reload.
func TestGeoAnswersAreLive(t *testing.T) {
	body := mustBody(t, sample(t), FragmentPath)
	for _, want := range []string{`data-answer="geo.example.test." data-area="us-east"`, `data-service="geo.example.test."`, "CNAME"} {
		if !strings.Contains(body, want) {
			t.Errorf("the fragment lacks %s", want)
		}
	}
}

// textContent is the element's text as the browser shows it: text nodes
// joined as they are (text puts a space between them), runs of white
// space folded.
func textContent(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

func addrs(ss ...string) []netip.Addr {
	out := make([]netip.Addr, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParseAddr(s)
	}
	return out
}
