package proxy

import (
	"cmp"
	"fmt"
	"net"
	"slices"
	"strings"
)

// Route sends the requests for one host, and optionally one path prefix,
// to a service's endpoints.
type Route struct {
	// Host is the request host it matches, lower-case, without port: a
	// name, or "*.example.com" for any name below example.com.
	Host string
	// PathPrefix is matched against the request path at "/" boundaries
	// ("/api" matches /api and /api/x, not /apix); "" or "/" matches all.
	PathPrefix string
	// Service is the name of the service whose endpoints serve it.
	Service string
	// Port is the endpoints' port the requests go to.
	Port int
	// TLS sends the requests over HTTPS; ServerName is then the name
	// their certificates are checked against and sent as SNI (default:
	// Host, which must then not be a wildcard).
	TLS        bool
	ServerName string

	transport pool // the route's connection pool (Proxy.transports)
}

// routes finds a request's route: exact hosts before wildcards, the
// longest wildcard first, and within a host the longest path prefix.
type routes struct {
	list []Route // sorted by match order
}

func newRoutes(in []Route) (*routes, error) {
	list := slices.Clone(in)
	seen := map[[2]string]bool{}
	for i := range list {
		r := &list[i]
		r.Host = strings.ToLower(strings.TrimSuffix(r.Host, "."))
		r.PathPrefix = strings.TrimSuffix(r.PathPrefix, "/")
		key := [2]string{r.Host, r.PathPrefix}
		if seen[key] {
			return nil, fmt.Errorf("proxy: two routes for host %q and path prefix %q; merge them", r.Host, r.PathPrefix+"/")
		}
		seen[key] = true
	}
	slices.SortStableFunc(list, func(a, b Route) int {
		aw, bw := strings.HasPrefix(a.Host, "*."), strings.HasPrefix(b.Host, "*.")
		if aw != bw {
			if aw {
				return 1
			}
			return -1
		}
		return cmp.Or(cmp.Compare(len(b.Host), len(a.Host)), cmp.Compare(len(b.PathPrefix), len(a.PathPrefix)))
	})
	return &routes{list: list}, nil
}

// match returns the route for a request's Host header and path.
func (rs *routes) match(hostport, path string) (*Route, bool) {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for i := range rs.list {
		r := &rs.list[i]
		if hostMatches(r.Host, host) && pathMatches(r.PathPrefix, path) {
			return r, true
		}
	}
	return nil, false
}

func hostMatches(pattern, host string) bool {
	if suffix, ok := strings.CutPrefix(pattern, "*"); ok {
		return strings.HasSuffix(host, suffix) && len(host) > len(suffix)
	}
	return pattern == host
}

func pathMatches(prefix, path string) bool {
	if prefix == "" {
		return true
	}
	rest, ok := strings.CutPrefix(path, prefix)
	return ok && (rest == "" || rest[0] == '/')
}
