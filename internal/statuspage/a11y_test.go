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
// said in words beside its symbol and colour.
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
	for _, td := range findAll(doc, func(n *html.Node) bool { _, ok := attr(n, "data-state"); return ok }) {
		state, _ := attr(td, "data-state")
		if !strings.Contains(text(td), state) {
			t.Errorf("a %s cell does not say %q in words: %q", state, state, text(td))
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
