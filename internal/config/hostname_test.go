package config

import (
	"strings"
	"testing"
)

// TestHostnameEndpointProblems: each way to get a hostname endpoint or the
// resolver section wrong gets an error that names the field and what to do.
func TestHostnameEndpointProblems(t *testing.T) {
	const primary = "        addresses: [127.0.0.11]"
	checkProblems(t, []problemCase{
		{"target is an IP", primary, "        target: 192.0.2.7",
			[]string{`c.yaml:21:17: services[0].endpoints[0].target: 192.0.2.7 is an IP address; list it under addresses instead`}},
		{"target beside addresses", primary, primary + "\n        target: alb.example.net",
			[]string{`c.yaml:22:17: services[0].endpoints[0].target: is set beside addresses; name the endpoint by its addresses or by its target hostname, not both`}},
		{"neither", primary + "\n", "",
			[]string{`c.yaml:19:9: services[0].endpoints[0].addresses: an endpoint needs its addresses, or the target hostname it is reached at (target)`}},
		{"target not a name", primary, "        target: alb..example.net",
			[]string{`c.yaml:21:17: services[0].endpoints[0].target: "alb..example.net" is not a valid DNS name: it has an empty label (two dots in a row)`}},
		{"target is the service", primary, "        target: API.example.test",
			[]string{`c.yaml:21:17: services[0].endpoints[0].target: api.example.test. is the service's own name, which would point at itself`}},
		{"probe address with a target", primary, "        target: alb.example.net\n        probe_address: 127.0.0.9",
			[]string{`c.yaml:22:24: services[0].endpoints[0].probe_address: is for endpoints named by address; an endpoint with a target is probed at the addresses its hostname resolves to`}},
		{"unknown answer style", "    ttl: 5s", "    ttl: 5s\n    answer: alias",
			[]string{`c.yaml:14:13: services[0].answer: "alias" is not an answer style; use flatten (answer the targets' addresses) or cname`}},
		{"cname with policy all", "    ttl: 5s", "    ttl: 5s\n    answer: cname\n    policy: all",
			[]string{
				`c.yaml:15:13: services[0].policy: all answers every healthy endpoint, but a name holds one CNAME; use failover or weighted with answer: cname, or answer: flatten`,
				`c.yaml:21:9: services[0].endpoints[0].target: answer: cname needs every endpoint to name a target hostname; give primary a target, or use answer: flatten to mix addresses and hostnames`,
				`c.yaml:24:9: services[0].endpoints[1].target: answer: cname needs every endpoint to name a target hostname; give secondary a target, or use answer: flatten to mix addresses and hostnames`,
			}},
		{"cname at the apex", "  - name: api.example.test\n    ttl: 5s", "  - name: example.test\n    ttl: 5s\n    answer: cname",
			[]string{
				`c.yaml:14:13: services[0].answer: cname is not allowed at the zone apex example.test., which holds its SOA and NS records; use answer: flatten`,
				`c.yaml:20:9: services[0].endpoints[0].target: answer: cname needs every endpoint to name a target hostname; give primary a target, or use answer: flatten to mix addresses and hostnames`,
				`c.yaml:23:9: services[0].endpoints[1].target: answer: cname needs every endpoint to name a target hostname; give secondary a target, or use answer: flatten to mix addresses and hostnames`,
			}},
		{"cname shares its name", "        priority: 2\n", "        priority: 2\n" + `  - name: api.example.test
    type: AAAA
    answer: cname
    check: {type: tcp, port: 443}
    endpoints:
      - {name: cdn, location: fastly/global, target: shop.cdn.example}
`,
			[]string{`c.yaml:26:11: services[1].name: api.example.test. is also the name of services[0], and one of them answers a CNAME, which must be alone at its name`}},
		{"resolver server without port", "dns:\n", "resolver:\n  servers: [192.0.2.53]\ndns:\n",
			[]string{`c.yaml:5:13: resolver.servers[0]: "192.0.2.53" must be an IP address and port, such as 192.0.2.53:53 or [2001:db8::53]:53`}},
		{"resolver ttl bounds crossed", "dns:\n", "resolver:\n  min_ttl: 10m\n  max_ttl: 1m\ndns:\n",
			[]string{`c.yaml:5:12: resolver.min_ttl: 10m0s is longer than max_ttl 1m0s`}},
		{"resolver negative max_stale", "dns:\n", "resolver:\n  max_stale: -1h\ndns:\n",
			[]string{`c.yaml:5:14: resolver.max_stale: must not be negative, got -1h0m0s (leave it out for the default)`}},
	})
}

// TestHostnameEndpointLoads: a mixed service (one endpoint by address, one
// by hostname) loads, with the target made canonical and the answer style
// defaulted to flatten.
func TestHostnameEndpointLoads(t *testing.T) {
	text := strings.Replace(base, "        addresses: [127.0.0.12]", "        target: Shop.CDN.example.NET", 1)
	cfg, err := Parse("c.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	svc := cfg.Services[0]
	if svc.Answer != AnswerFlatten {
		t.Errorf("answer = %q, want the default %q", svc.Answer, AnswerFlatten)
	}
	ep := svc.Endpoints[1]
	if ep.Target != "shop.cdn.example.net." || ep.ProbeAddress.IsValid() {
		t.Errorf("target %q probe_address %v; want shop.cdn.example.net. and no probe address", ep.Target, ep.ProbeAddress)
	}
}
