package node

import (
	"net/http"
	"strings"
	"testing"

	"outlast/internal/config"
)

// TestAPIRequestsByRoute: every request to the API and the status page is
// counted under the pattern that served it, never under the path a client
// sent, so a scanner walking random paths cannot grow the series.
func TestAPIRequestsByRoute(t *testing.T) {
	private, err := config.Parse("private.yaml", []byte(strings.Replace(configText(freePort(t)), "api: {public_status: true}\n", "", 1)))
	if err != nil {
		t.Fatal(err)
	}
	n := startNode(t, private)
	base := "http://" + n.HTTPAddr().String()
	for _, req := range []struct{ method, path string }{
		{"GET", "/api/v1/status"},
		{"GET", "/api/v1/status"},
		{"GET", "/api/v1/services/no-such-service"},
		{"GET", "/api/v1/services/another-name"},
		{"DELETE", "/api/v1/status"},
		{"GET", "/api/v1/random/scanner/path"},
		{"GET", "/"},
		{"BREW", "/"},
	} {
		r, err := http.NewRequest(req.method, base+req.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	got := map[[3]string]float64{}
	for _, m := range scrape(t, n)["outlast_api_requests_total"].GetMetric() {
		var key [3]string
		for _, l := range m.GetLabel() {
			switch l.GetName() {
			case "method":
				key[0] = l.GetValue()
			case "route":
				key[1] = l.GetValue()
			case "code":
				key[2] = l.GetValue()
			}
		}
		got[key] = m.GetCounter().GetValue()
	}
	want := map[[3]string]float64{
		// No token is configured, so every route but the unknown ones wants one.
		{"GET", "/api/v1/status", "401"}:          2,
		{"GET", "/api/v1/services/{name}", "401"}: 2,
		{"DELETE", "/api/v1/status", "405"}:       1,
		{"GET", "/api/v1/", "404"}:                1,
		{"GET", "/", "401"}:                       1,
		{"other", "/", "401"}:                     1,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("outlast_api_requests_total{method=%q,route=%q,code=%q} = %v, want %v", k[0], k[1], k[2], got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("series: got %v, want exactly %v", got, want)
	}
}
