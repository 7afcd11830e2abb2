package statuspage

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// TestAccessibleStructure holds the page to what a screen reader and a
// phone need: a language, a viewport, captions on every table, scoped
// header cells, scrollable regions reachable by keyboard, and every state
// (a check's, a target hostname's) said in words beside its symbol and
// colour. The sample has target hostnames, so their table is covered.
func TestAccessibleStructure(t *testing.T) {
	doc := parse(t, mustBody(t, sample(t), "/"))
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
	for _, key := range []string{"data-state", "data-resolution"} {
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
	// The target hostnames' flags in the matrix say their state in words too.
	for _, th := range findAll(doc, func(n *html.Node) bool { return n.Data == "th" && hasAttr(n, "scope", "row") }) {
		for _, k := range findAll(th, func(n *html.Node) bool { c, _ := attr(n, "class"); return strings.HasPrefix(c, "key s-") }) {
			if text(k) == "" {
				t.Errorf("row %q has a coloured mark without words", text(th))
			}
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
