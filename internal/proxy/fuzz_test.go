package proxy

import (
	"net"
	"strings"
	"testing"
)

// fuzzTable is a route table with exact hosts, wildcards (one over a
// bare name that has its own route, one without), nested wildcards and
// path prefixes on both.
var fuzzTable = []Route{
	{Host: "www.example.test", Service: "www"},
	{Host: "www.example.test", PathPrefix: "/api", Service: "api"},
	{Host: "www.example.test", PathPrefix: "/api/v2/", Service: "api2"},
	{Host: "example.test", Service: "bare"},
	{Host: "*.example.test", Service: "wild"},
	{Host: "*.example.test", PathPrefix: "/static", Service: "static"},
	{Host: "*.deep.example.test", Service: "deep"},
	{Host: "*.other.test", Service: "other"},
	{Host: "Mixed.Case.Test.", PathPrefix: "/x", Service: "mixed"},
}

// FuzzRoutes: for any Host header and path, and one more route of the
// shapes configuration allows, match never panics and picks what a naive
// reading of the rules picks: a host matches exactly or strictly below a
// wildcard's suffix (never the bare suffix), a path prefix matches only
// at a "/" boundary, exact hosts beat wildcards, longer wildcards beat
// shorter ones, longer prefixes beat shorter ones. newRoutes refuses a
// table with the same host and prefix twice, however they are spelled.
//
//	go test -run '^$' -fuzz FuzzRoutes -fuzztime 30s ./internal/proxy/
func FuzzRoutes(f *testing.F) {
	for _, s := range []struct{ host, path, extraHost, extraPrefix string }{
		{"www.example.test", "/", "", ""},
		{"www.example.test:8080", "/api", "", ""},
		{"WWW.Example.Test.", "/api/", "", ""},
		{"www.example.test", "/apix", "", ""},
		{"www.example.test", "/api/v2", "", ""},
		{"www.example.test", "/api/v2x/y", "", ""},
		{"example.test", "/static/a", "", ""},
		{"a.example.test", "/static", "", ""},
		{"a.example.test", "/staticx", "", ""},
		{"a.b.deep.example.test", "/", "", ""},
		{"deep.example.test", "/", "", ""},
		{"other.test", "/", "", ""},
		{".other.test", "/", "", ""},
		{"x.other.test", "", "", ""},
		{"[::1]:80", "/", "::1", ""},
		{"mixed.case.test", "/x/y", "", ""},
		{"api.example.test", "/v1/z", "*.api.example.test", "/v1"},
		{"q.api.example.test", "/v1/z", "*.api.example.test", "/v1"},
		{"www.example.test", "/api", "www.example.test", "/api/"},
		{"", "", "", ""},
		{":", "//", "*.", "/"},
	} {
		f.Add(s.host, s.path, s.extraHost, s.extraPrefix)
	}
	f.Fuzz(func(t *testing.T, host, path, extraHost, extraPrefix string) {
		table := fuzzTable
		if validRouteShape(extraHost, extraPrefix) {
			table = append(table[:len(table):len(table)], Route{Host: extraHost, PathPrefix: extraPrefix, Service: "extra"})
		}
		rs, err := newRoutes(table)
		if err != nil {
			if !hasDuplicate(table) {
				t.Fatalf("newRoutes refused a table without duplicates: %v", err)
			}
			return
		}
		if hasDuplicate(table) {
			t.Fatalf("newRoutes took a table routing one host and prefix twice: %+v", table[len(table)-1])
		}
		for i, r := range table {
			twin := Route{Host: strings.ToUpper(strings.TrimSuffix(r.Host, ".")) + ".", PathPrefix: strings.TrimSuffix(r.PathPrefix, "/") + "/", Service: "twin"}
			if _, err := newRoutes(append(table[:len(table):len(table)], twin)); err == nil {
				t.Fatalf("newRoutes took route %d's host and prefix twice, spelled %q %q", i, twin.Host, twin.PathPrefix)
			}
		}

		got, ok := rs.match(host, path)
		want, wantOK := naiveMatch(table, host, path)
		if ok != wantOK {
			t.Fatalf("match(%q, %q): found %v, want %v (naive: %+v)", host, path, ok, wantOK, want)
		}
		if !ok {
			return
		}
		if got.Service != want.Service {
			t.Fatalf("match(%q, %q): route %q %q (%s), want %q %q (%s)", host, path, got.Host, got.PathPrefix, got.Service, want.Host, want.PathPrefix, want.Service)
		}
		h := normalHost(host)
		if suffix, wild := strings.CutPrefix(got.Host, "*."); wild && h == suffix {
			t.Fatalf("match(%q, %q): wildcard %q matched its bare suffix", host, path, got.Host)
		}
		if p := got.PathPrefix; p != "" && path != p && !strings.HasPrefix(path, p+"/") {
			t.Fatalf("match(%q, %q): prefix %q matched off a / boundary", host, path, p)
		}
	})
}

// validRouteShape is what configuration lets through (config's
// proxyRoute): a host name, or "*." and one, and a prefix starting with /.
func validRouteShape(host, prefix string) bool {
	name := strings.TrimPrefix(host, "*.")
	if name == "" || len(name) > 253 || strings.ContainsAny(name, "*:/ ") || (prefix != "" && !strings.HasPrefix(prefix, "/")) {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(name, "."), ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, c := range label {
			if !(c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
				return false
			}
		}
	}
	return true
}

// key is a route's host and prefix as the table compares them.
func key(r Route) [2]string {
	return [2]string{strings.ToLower(strings.TrimSuffix(r.Host, ".")), strings.TrimSuffix(r.PathPrefix, "/")}
}

func hasDuplicate(table []Route) bool {
	seen := map[[2]string]bool{}
	for _, r := range table {
		if seen[key(r)] {
			return true
		}
		seen[key(r)] = true
	}
	return false
}

func normalHost(hostport string) string {
	h := hostport
	if host, _, err := net.SplitHostPort(hostport); err == nil {
		h = host
	}
	return strings.ToLower(strings.TrimSuffix(h, "."))
}

// naiveMatch reads the rules off Route's documentation, one route at a
// time: the best route that matches, by exactness, then host length, then
// prefix length.
func naiveMatch(table []Route, hostport, path string) (Route, bool) {
	h := normalHost(hostport)
	var best Route
	found := false
	better := func(a, b Route) bool { // a better than b
		ka, kb := key(a), key(b)
		aw, bw := strings.HasPrefix(ka[0], "*."), strings.HasPrefix(kb[0], "*.")
		if aw != bw {
			return !aw
		}
		if len(ka[0]) != len(kb[0]) {
			return len(ka[0]) > len(kb[0])
		}
		return len(ka[1]) > len(kb[1])
	}
	for _, r := range table {
		k := key(r)
		hostOK := k[0] == h
		if suffix, wild := strings.CutPrefix(k[0], "*."); wild {
			hostOK = strings.HasSuffix(h, "."+suffix) && len(h) > len(suffix)+1
		}
		prefixOK := k[1] == "" || path == k[1] || strings.HasPrefix(path, k[1]+"/")
		if hostOK && prefixOK && (!found || better(r, best)) {
			best, found = r, true
		}
	}
	return best, found
}
