package statuspage

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"outlast/internal/api/apitest"

	"golang.org/x/net/html"
)

// get serves one request from the page's handler and returns the body.
func get(t *testing.T, f *apitest.Backend, path string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	New(f, nil).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	res := rec.Result()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(body)
}

func parse(t *testing.T, body string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatalf("the page does not parse as HTML: %v", err)
	}
	return doc
}

// findAll returns the elements under n for which match is true, in document order.
func findAll(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for d := range n.Descendants() {
		if d.Type == html.ElementNode && match(d) {
			out = append(out, d)
		}
	}
	return out
}

func tag(name string) func(*html.Node) bool {
	return func(n *html.Node) bool { return n.Data == name }
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// text is the element's text content with runs of white space folded.
func text(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
			b.WriteString(" ")
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// cell finds the matrix cell of endpoint seen from vantage, or the
// effective cell when vantage is "".
func cell(t *testing.T, doc *html.Node, endpoint, vantage string) *html.Node {
	t.Helper()
	cells := findAll(doc, func(n *html.Node) bool {
		e, ok := attr(n, "data-endpoint")
		if n.Data != "td" || !ok || e != endpoint {
			return false
		}
		if vantage == "" {
			_, eff := attr(n, "data-effective")
			return eff
		}
		v, _ := attr(n, "data-vantage")
		return v == vantage
	})
	if len(cells) != 1 {
		t.Fatalf("found %d cells for endpoint %q vantage %q, want 1", len(cells), endpoint, vantage)
	}
	return cells[0]
}
