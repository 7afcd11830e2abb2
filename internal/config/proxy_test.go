package config

import (
	"strings"
	"testing"
	"time"
)

// withProxy is base with a proxy section.
func withProxy(proxy string) string { return base + "proxy:\n" + proxy }

func TestProxyLoads(t *testing.T) {
	cfg, err := Parse("c.yaml", []byte(withProxy(`  listen: 127.0.0.1:8443
  routes:
    - {host: api.example.test, service: API.example.test}
    - {host: "*.example.test", path_prefix: /v2, service: api.example.test, tls: true, server_name: shop.example.test}
  retries: 0
  slow_start: 60s
`)))
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.Proxy
	if !p.Enabled() || p.Routes[0].Service != "api.example.test." || p.Routes[0].Port != 80 || p.Routes[1].Port != 443 {
		t.Errorf("routes %+v: want the service's canonical name and ports 80 and 443 by default", p.Routes)
	}
	if p.Retries == nil || *p.Retries != 0 || p.SlowStart != time.Minute {
		t.Errorf("retries %v slow_start %v: want an explicit 0 kept and 60s", p.Retries, p.SlowStart)
	}
	if off, err := Parse("c.yaml", []byte(base)); err != nil || off.Proxy.Enabled() {
		t.Errorf("a configuration without proxy: %v, enabled %v; want it off", err, off != nil && off.Proxy.Enabled())
	}
}

// TestProxyProblems: each way to get the proxy wrong names the field and
// what to do.
func TestProxyProblems(t *testing.T) {
	route := "  routes: [{host: api.example.test, service: api.example.test}]\n"
	cases := []struct {
		name, proxy, want string
	}{
		{"no route", "  listen: 127.0.0.1:8443\n", "proxy.routes: the proxy listens but has no route"},
		{"bad listen", "  listen: localhost:80\n" + route, `proxy.listen: "localhost:80" must be an IP address and port`},
		{"unknown service", "  listen: 127.0.0.1:8443\n  routes: [{host: api.example.test, service: www.example.test}]\n",
			`proxy.routes[0].service: "www.example.test." is not one of services[].name`},
		{"bad host", "  listen: 127.0.0.1:8443\n  routes: [{host: https://api.example.test, service: api.example.test}]\n",
			`proxy.routes[0].host: "https://api.example.test" is not a host name`},
		{"duplicate route", "  listen: 127.0.0.1:8443\n  routes: [{host: a.example.test, service: api.example.test}, {host: A.example.test, service: api.example.test}]\n",
			"proxy.routes[1]: routes the same host and path prefix as proxy.routes[0]"},
		{"path without slash", "  listen: 127.0.0.1:8443\n  routes: [{host: a.example.test, path_prefix: api, service: api.example.test}]\n",
			`proxy.routes[0].path_prefix: "api" must start with /`},
		{"tls without files", "  tls: {listen: 127.0.0.1:8443}\n" + route, "proxy.tls: listen needs cert_file and key_file"},
		{"files without tls listen", "  tls: {cert_file: c.pem, key_file: k.pem}\n", "proxy.tls.listen: cert_file and key_file are set but no listen address"},
		{"tls to a wildcard without server_name", "  listen: 127.0.0.1:8443\n  routes: [{host: \"*.example.test\", service: api.example.test, tls: true}]\n",
			"proxy.routes[0].server_name: is required with tls on a wildcard host"},
		{"too many retries", "  listen: 127.0.0.1:8443\n  retries: 9\n" + route, "proxy.retries: 9 is outside 0..5"},
		{"retry on 404", "  listen: 127.0.0.1:8443\n  retry_on: [503, 404]\n" + route, "proxy.retry_on[1]: 404 is not a 5xx status"},
		{"bad header", "  listen: 127.0.0.1:8443\n  idempotent_header: \"X Idem\"\n" + route, `proxy.idempotent_header: "X Idem" is not an HTTP header name`},
		{"budget over 100", "  listen: 127.0.0.1:8443\n  retry_budget: {percent: 150}\n" + route, "proxy.retry_budget: percent must be in 0..100"},
		{"max below base", "  listen: 127.0.0.1:8443\n  outlier: {base_ejection: 60s, max_ejection: 30s}\n" + route,
			"proxy.outlier.max_ejection: 30s is shorter than base_ejection 1m0s"},
		{"negative slow start", "  listen: 127.0.0.1:8443\n  slow_start: -1s\n" + route, "proxy.slow_start: must not be negative"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(withProxy(tc.proxy)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want a problem saying %q", err, tc.want)
			}
		})
	}
}
