package statuspage

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"outlast/internal/api/apitest"
	"outlast/internal/model"
)

// TestAccessibleStructure holds the page to what a screen reader and a
// phone need: a language, a viewport, captions on every table, scoped
// header cells, scrollable regions reachable by keyboard, and every state
// (a check's, a target hostname's) said in words beside its symbol and
// colour. The sample has target hostnames, geo names answered per area,
// a CNAME answer and a geo service's orders, so their markup is covered;
// it is checked again with answers in every mode that is not normal, and
// with policy primary services (a pending promotion, a gate off, a failed
// hook, a split brain held) for the Primaries section, and with a signed
// zone and secondaries of every NOTIFY outcome for the Zones section.
func TestAccessibleStructure(t *testing.T) {
	t.Run("sample", func(t *testing.T) { checkAccessible(t, parse(t, mustBody(t, sample(t), "/"))) })
	t.Run("primaries", func(t *testing.T) {
		doc := parse(t, mustBody(t, primarySample(t), "/"))
		checkAccessible(t, doc)
		checkPrimariesAccessible(t, doc)
	})
	t.Run("zones", func(t *testing.T) {
		doc := parse(t, mustBody(t, zoneSample(t), "/"))
		checkAccessible(t, doc)
		checkZonesAccessible(t, doc)
	})
	t.Run("modes", func(t *testing.T) {
		f := sample(t)
		f.Update(func(s *apitest.Settings) {
			modes := []model.AnswerMode{model.ModeUnresolved, model.ModeEmpty, model.ModePanic, model.ModeServeAll, model.ModeFallback}
			for i := range s.Answers {
				s.Answers[i].Mode = modes[i%len(modes)]
			}
		})
		checkAccessible(t, parse(t, mustBody(t, f, "/")))
	})
}

func checkAccessible(t *testing.T, doc *html.Node) {
	if h := findAll(doc, tag("html")); len(h) != 1 || !hasAttr(h[0], "lang", "en") {
		t.Error("<html> lacks lang")
	}
	viewport := findAll(doc, func(n *html.Node) bool { return n.Data == "meta" && hasAttr(n, "name", "viewport") })
	if len(viewport) != 1 {
		t.Error("no viewport meta")
	}
	for _, table := range findAll(doc, tag("table")) {
		if len(findAll(table, tag("caption"))) != 1 {
			t.Errorf("a table has no caption: %.60s", text(table))
		}
		for _, th := range findAll(table, tag("th")) {
			if v, _ := attr(th, "scope"); v != "col" && v != "row" && v != "rowgroup" {
				t.Errorf("<th> %q has scope %q", text(th), v)
			}
		}
	}
	for _, div := range findAll(doc, func(n *html.Node) bool { return hasAttr(n, "class", "scroll") }) {
		if !hasAttr(div, "tabindex", "0") || !hasAttr(div, "role", "region") {
			t.Error("a scrolling box is not a focusable, labelled region")
		}
		if _, ok := attr(div, "aria-labelledby"); !ok {
			t.Error("a scrolling box has no label")
		}
	}
	for _, key := range []string{"data-state", "data-resolution", "data-mode"} {
		marked := findAll(doc, func(n *html.Node) bool { _, ok := attr(n, key); return ok })
		if len(marked) == 0 {
			t.Errorf("the sample page has nothing with %s: this test covers nothing of it", key)
		}
		for _, n := range marked {
			state, _ := attr(n, key)
			if !strings.Contains(text(n), state) {
				t.Errorf("a %s %s does not say %q in words: %q", state, n.Data, state, text(n))
			}
		}
	}
	// A flagged mode says what it answers in words, not by colour alone.
	for _, w := range findAll(doc, func(n *html.Node) bool { return hasAttr(n, "class", "warn") }) {
		if td := w.Parent; td.Data == "td" && len(findAll(td, func(n *html.Node) bool { return hasAttr(n, "class", "sub") })) != 1 {
			t.Errorf("the flagged mode %q has no words on what it answers", text(td))
		}
	}
	// The CNAME arrow is for the eye; a screen reader hears "CNAME" and the target.
	cnames := 0
	for _, tr := range findAll(doc, func(n *html.Node) bool { _, ok := attr(n, "data-answer"); return ok }) {
		for d := range tr.Descendants() {
			if d.Type == html.TextNode && strings.Contains(d.Data, "→") && !hasAttr(d.Parent, "aria-hidden", "true") {
				t.Errorf("an arrow in %q is read aloud", text(tr))
			}
			if d.Type == html.TextNode && strings.Contains(d.Data, "CNAME") {
				cnames++
			}
		}
	}
	if cnames == 0 {
		t.Error("the sample page has no CNAME answer: this test covers nothing of it")
	}
	// The target hostnames' flags in the matrix say their state in words too.
	for _, th := range findAll(doc, func(n *html.Node) bool { return n.Data == "th" && hasAttr(n, "scope", "row") }) {
		for _, k := range findAll(th, func(n *html.Node) bool { c, _ := attr(n, "class"); return strings.HasPrefix(c, "key s-") }) {
			if text(k) == "" {
				t.Errorf("row %q has a coloured mark without words", text(th))
			}
		}
	}
}

// checkPrimariesAccessible: every card is labelled by its heading, a hook's
// outcome and a gate's setting are said in words beside their symbol and
// colour, and a hold says "Held" in words, not by its red alone.
func checkPrimariesAccessible(t *testing.T, doc *html.Node) {
	cards := findAll(doc, func(n *html.Node) bool { _, ok := attr(n, "data-primary-service"); return ok })
	if len(cards) == 0 {
		t.Fatal("the page has no Primaries card: this test covers nothing of it")
	}
	for _, c := range cards {
		id, _ := attr(c, "aria-labelledby")
		if h := findAll(c, func(n *html.Node) bool { return n.Data == "h3" && hasAttr(n, "id", id) }); id == "" || len(h) != 1 {
			t.Errorf("the card %q is not labelled by its own heading", text(c))
		}
	}
	for _, key := range []string{"data-hook-state", "data-gate-state"} {
		marked := findAll(doc, func(n *html.Node) bool { _, ok := attr(n, key); return ok })
		if len(marked) == 0 {
			t.Errorf("the primaries page has nothing with %s: this test covers nothing of it", key)
		}
		for _, n := range marked {
			if state, _ := attr(n, key); !strings.Contains(text(n), state) {
				t.Errorf("a %s %s does not say %q in words: %q", key, n.Data, state, text(n))
			}
		}
	}
	alerts := findAll(doc, func(n *html.Node) bool { return hasAttr(n, "class", "alert") })
	if len(alerts) == 0 {
		t.Error("the primaries page has no held alert: this test covers nothing of it")
	}
	for _, a := range alerts {
		if !strings.Contains(text(a), "Held:") {
			t.Errorf("an alert does not say it is held in words: %q", text(a))
		}
	}
	for _, p := range findAll(doc, func(n *html.Node) bool { _, ok := attr(n, "data-pending"); return ok }) {
		if !strings.Contains(text(p), "Waiting for on_promote") {
			t.Errorf("a pending promotion does not say what it waits for: %q", text(p))
		}
	}
}

// checkZonesAccessible: a secondary's NOTIFY outcome is said in words
// beside its symbol and colour, and a failed NOTIFY's alert says what
// failed in words, not by its red alone.
func checkZonesAccessible(t *testing.T, doc *html.Node) {
	marked := findAll(doc, func(n *html.Node) bool { _, ok := attr(n, "data-notify"); return ok })
	if len(marked) == 0 {
		t.Fatal("the zones page has no secondary: this test covers nothing of it")
	}
	for _, n := range marked {
		if state, _ := attr(n, "data-notify"); !strings.Contains(text(n), state) {
			t.Errorf("a NOTIFY outcome %s does not say %q in words: %q", n.Data, state, text(n))
		}
	}
	alerts := findAll(doc, func(n *html.Node) bool { _, ok := attr(n, "data-notify-failing"); return ok })
	if len(alerts) == 0 {
		t.Error("the zones page has no NOTIFY alert: this test covers nothing of it")
	}
	for _, a := range alerts {
		if got := text(a); !strings.Contains(got, "NOTIFY of") || !(strings.Contains(got, "rejected") || strings.Contains(got, "did not answer")) {
			t.Errorf("a NOTIFY alert does not say what failed in words: %q", got)
		}
	}
}

func hasAttr(n *html.Node, key, val string) bool {
	v, ok := attr(n, key)
	return ok && v == val
}

func TestHead(t *testing.T) {
	rec := httptest.NewRecorder()
	New(sample(t), nil).ServeHTTP(rec, httptest.NewRequest(http.MethodHead, "/", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("HEAD / = %d, want 200", rec.Code)
	}
}

// BenchmarkPage renders the whole page of the sample cluster.
func BenchmarkPage(b *testing.B) {
	h := New(sample(b), nil)
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
	}
}
