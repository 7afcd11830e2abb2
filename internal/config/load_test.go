package config

import (
	"errors"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"outlast/internal/errtest"
	"outlast/internal/model"
)

// base is a small valid configuration; cases below replace one line of it.
const base = `node:
  name: n1
  location: aws/us-east-1
dns:
  listen: 127.0.0.1:8053
zones:
  - apex: Example.Test
    ns:
      - name: ns1.example.test
        addresses: [127.0.0.1]
services:
  - name: api.example.test
    ttl: 5s
    check:
      type: http
      port: 8081
      fall: 2
    endpoints:
      - name: primary
        location: aws/us-east-1
        addresses: [127.0.0.11]
      - name: secondary
        location: gcp/us-central1
        addresses: [127.0.0.12]
        priority: 2
`

func TestLoadExample(t *testing.T) {
	cfg, err := Load("../../examples/single-node.yaml")
	if err != nil {
		t.Fatalf("examples/single-node.yaml must load: %v", err)
	}
	svc := cfg.Services[0]
	if svc.Name != "api.example.test." || svc.TTL != 5*time.Second || svc.Check.Fall != 2 || svc.Check.Rise != 3 {
		t.Errorf("service decoded wrongly: %+v", svc)
	}
	if got := svc.Endpoints[0].ProbeAddress; got != netip.MustParseAddr("127.0.0.11") {
		t.Errorf("probe address defaults to the first address, got %v", got)
	}
}

func TestDefaults(t *testing.T) {
	cfg, err := Parse("base.yaml", []byte(base))
	if err != nil {
		t.Fatalf("base config must be valid: %v", err)
	}
	z := cfg.Zones[0]
	if z.Apex != "example.test." || z.SOA.MName != "ns1.example.test." || z.SOA.RName != "hostmaster.example.test." {
		t.Errorf("zone names not canonical or defaulted: %+v", z)
	}
	if z.SOA.Minimum != DefaultSOAMinimum || z.SOA.Serial != DefaultSOASerial {
		t.Errorf("SOA defaults not applied: %+v", z.SOA)
	}
	s := cfg.Services[0]
	c := s.Check
	if s.Type != model.TypeA || s.Policy != PolicyFailover || s.WhenAllDown != AllDownServeAll || s.MaxAnswers != DefaultMaxAnswers {
		t.Errorf("service defaults not applied: %+v", s)
	}
	if c.Interval != time.Second || c.Timeout != time.Second || c.Fall != 2 || c.Rise != DefaultRise {
		t.Errorf("check timing defaults wrong: %+v", c)
	}
	if c.HTTP.Method != "GET" || c.HTTP.Path != "/" || c.HTTP.ExpectStatus != (StatusRange{200, 399}) {
		t.Errorf("http defaults wrong: %+v", c.HTTP)
	}
	if *s.Endpoints[0].Weight != 1 || s.Endpoints[0].Priority != 1 {
		t.Errorf("endpoint defaults wrong: %+v", s.Endpoints[0])
	}
	if cfg.HTTP.Listen != DefaultHTTPListen || cfg.Health.StaleAfter != DefaultStaleAfter {
		t.Errorf("listener/health defaults wrong: %+v %+v", cfg.HTTP, cfg.Health)
	}
}

func TestTimeoutDefaultsToShortInterval(t *testing.T) {
	cfg, err := Parse("c.yaml", []byte(strings.Replace(base, "      fall: 2", "      interval: 500ms", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Services[0].Check.Timeout; got != 500*time.Millisecond {
		t.Errorf("timeout should default to the interval when it is under 1s, got %s", got)
	}
}

// TestProblems holds the exact message for each kind of mistake: an operator
// reads these at 3 a.m., so a change to them must be deliberate.
// problemCase replaces old by new in base and expects want, the problems
// in order, each with its position and field path.
type problemCase struct {
	name     string
	old, new string
	want     []string
}

// checkProblems runs each case through Parse.
func checkProblems(t *testing.T, cases []problemCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			text := strings.Replace(base, tc.old, tc.new, 1)
			if text == base {
				t.Fatalf("test case does not change the base config: %q not found", tc.old)
			}
			_, err := Parse("c.yaml", []byte(text))
			var cerr *Error
			if !errors.As(err, &cerr) {
				t.Fatalf("want *config.Error, got %v", err)
			}
			if got, want := cerr.Error(), strings.Join(tc.want, "\n"); got != want {
				t.Errorf("problems differ\n got: %s\nwant: %s", got, want)
			}
		})
	}
}

func TestProblems(t *testing.T) {
	checkProblems(t, []problemCase{
		{"unknown field", "      fall: 2", "      fal: 2",
			[]string{`c.yaml:17:7: services[0].check.fal: unknown field "fal" (known fields: dns, fall, fast_interval, grpc, http, interval, port, rise, timeout, tls, type)`}},
		{"bad duration", "    ttl: 5s", "    ttl: 5",
			[]string{`c.yaml:13:10: services[0].ttl: "5" is not a duration; write it with a unit, such as 500ms, 5s or 1m`}},
		{"TTL not whole seconds", "    ttl: 5s", "    ttl: 1500ms",
			[]string{`c.yaml:13:10: services[0].ttl: 1.5s must be a positive whole number of seconds, such as 30s`}},
		{"bad IP", "        addresses: [127.0.0.11]", "        addresses: [127.0.0.300]",
			[]string{`c.yaml:21:21: services[0].endpoints[0].addresses[0]: "127.0.0.300" is not an IP address`}},
		{"wrong family", "        addresses: [127.0.0.11]", "        addresses: ['2001:db8::1']",
			[]string{`c.yaml:21:21: services[0].endpoints[0].addresses[0]: 2001:db8::1 is not an IPv4 address, but the service type is A`}},
		{"bad location", "        location: gcp/us-central1", "        location: us-central1",
			[]string{`c.yaml:23:19: services[0].endpoints[1].location: location "us-central1" is not of the form provider/region (for example aws/us-east-1)`}},
		{"missing location", "        location: gcp/us-central1\n", "",
			[]string{`c.yaml:22:9: services[0].endpoints[1].location: is required: where the endpoint runs, as provider/region (for example aws/us-east-1)`}},
		{"name outside zones", "  - name: api.example.test", "  - name: api.example.com",
			[]string{`c.yaml:12:11: services[0].name: api.example.com. is not inside any configured zone (zones: example.test.)`}},
		{"timeout over interval", "      fall: 2", "      timeout: 2s",
			[]string{`c.yaml:17:16: services[0].check.timeout: 2s is longer than the interval 1s; a probe must finish before the next one starts`}},
		{"unknown policy", "    ttl: 5s", "    ttl: 5s\n    policy: roundrobin",
			[]string{`c.yaml:14:13: services[0].policy: "roundrobin" is not a policy; use failover, weighted, all, geo or primary`}},
		{"fallback without addresses", "    ttl: 5s", "    ttl: 5s\n    when_all_down: fallback",
			[]string{`c.yaml:12:5: services[0].fallback: when_all_down is fallback, so at least one fallback address is required`}},
		{"duplicate endpoint", "      - name: secondary", "      - name: primary",
			[]string{`c.yaml:22:15: services[0].endpoints[1].name: endpoint name "primary" is already used in services[0].endpoints[0].name; endpoint names must be unique across the configuration`}},
		{"unknown check type", "      type: http", "      type: icmp",
			[]string{`c.yaml:15:13: services[0].check.type: "icmp" is not a check type; use http, https, tcp, dns or grpc`}},
		{"port out of range", "      port: 8081", "      port: 80810",
			[]string{`c.yaml:16:13: services[0].check.port: 80810 is not a port number (1-65535)`}},
		{"negative fall", "      fall: 2", "      fall: -1",
			[]string{`c.yaml:17:13: services[0].check.fall: must be at least 1, got -1`}},
		{"not a number", "      fall: 2", "      fall: two",
			[]string{`c.yaml:17:13: services[0].check.fall: "two" is not a valid whole number`}},
		{"glue missing", "        addresses: [127.0.0.1]\n", "",
			[]string{`c.yaml:9:9: zones[0].ns[0].addresses: nameserver ns1.example.test. is inside zone example.test., so it needs glue addresses`}},
		{"bad listener", "  listen: 127.0.0.1:8053", "  listen: localhost:8053",
			[]string{`c.yaml:5:11: dns.listen: "localhost:8053" must be an IP address and port, such as 127.0.0.1:8053 or [::1]:8053`}},
		{"list expected", "        addresses: [127.0.0.11]", "        addresses: 127.0.0.11",
			[]string{`c.yaml:21:20: services[0].endpoints[0].addresses: expected a list, found "127.0.0.11"`}},
		{"bad status range", "      fall: 2", "      http:\n        expect_status: 500-200",
			[]string{`c.yaml:18:24: services[0].check.http.expect_status: status range "500-200" must be a code or an inclusive range of codes between 100 and 599, such as 200-399`}},
		{"syntax error", "      fall: 2", "      fall: [2",
			// yaml.v3 reports the line of the enclosing block, not of the bracket.
			[]string{`c.yaml:16:1: YAML syntax: did not find expected ',' or ']'`}},
		{"decode and validation problems together", "    ttl: 5s", "    ttl: five\n    policy: random",
			[]string{
				`c.yaml:13:10: services[0].ttl: "five" is not a duration; write it with a unit, such as 500ms, 5s or 1m`,
				`c.yaml:14:13: services[0].policy: "random" is not a policy; use failover, weighted, all, geo or primary`,
			}},
		{"empty file", base, "",
			[]string{`c.yaml: the file is empty; it needs at least zones and services`}},
		{"cluster without data dir and certificates", "dns:\n", "cluster:\n  listen: 127.0.0.1:7946\n  peers:\n    - {name: n2, address: nowhere}\ndns:\n",
			[]string{
				`c.yaml:5:3: cluster.data_dir: is required in a cluster: the Raft log and snapshots live there`,
				`c.yaml:5:3: cluster.tls.ca_file: is required in a cluster: nodes talk only over mutual TLS (see docs/tls.md)`,
				`c.yaml:5:3: cluster.tls.cert_file: is required in a cluster: nodes talk only over mutual TLS (see docs/tls.md)`,
				`c.yaml:5:3: cluster.tls.key_file: is required in a cluster: nodes talk only over mutual TLS (see docs/tls.md)`,
				`c.yaml:7:27: cluster.peers[0].address: "nowhere" must be host:port, such as 10.0.0.2:7946`,
			}},
		{"raft multiplier out of range", "dns:\n",
			"cluster:\n  listen: 127.0.0.1:7946\n  data_dir: /d\n  raft_multiplier: 20\n  tls: {ca_file: ca.pem, cert_file: n.pem, key_file: n-key.pem}\ndns:\n",
			[]string{`c.yaml:7:20: cluster.raft_multiplier: must be from 1 (the fastest elections) to 10, got 20`}},
		{"raft multiplier zero", "dns:\n",
			"cluster:\n  listen: 127.0.0.1:7946\n  data_dir: /d\n  raft_multiplier: 0\n  tls: {ca_file: ca.pem, cert_file: n.pem, key_file: n-key.pem}\ndns:\n",
			[]string{`c.yaml:7:20: cluster.raft_multiplier: must not be zero; leave the field out to get the default`}},
		{"fast interval over the interval", "      fall: 2", "      fall: 2\n      fast_interval: 2s",
			[]string{`c.yaml:18:22: services[0].check.fast_interval: 2s must be between the minimum of 100ms and the interval 1s`}},
		{"negative rto", "    ttl: 5s", "    ttl: 5s\n    rto: -1m",
			[]string{`c.yaml:14:10: services[0].rto: must not be negative, got -1m0s (leave it out for no objective)`}},
		// base already has node n1 at aws/us-east-1 (this case once gave node twice).
		{"peer location disagrees with node.location", "dns:\n", "cluster:\n  listen: 127.0.0.1:7946\n" +
			"  data_dir: d\n  tls: {ca_file: a, cert_file: b, key_file: c}\n  peers:\n    - {name: n1, address: '127.0.0.1:7946', location: gcp/x}\ndns:\n",
			[]string{`c.yaml:9:55: cluster.peers[0].location: gcp/x is node n1, whose node.location is aws/us-east-1; they must agree`}},
		{"cluster fields without listen", "dns:\n", "cluster:\n  data_dir: /var/lib/outlast\ndns:\n",
			[]string{`c.yaml:5:3: cluster.listen: is required when any other cluster field is set`}},
		// Issue 12, defect 9: a second key used to replace the first silently.
		{"duplicate top-level key", "        priority: 2\n", "        priority: 2\nservices:\n  - name: other.example.test\n",
			[]string{`c.yaml:26:1: services: duplicate key; first given at line 11`}},
		{"duplicate nested key", "      fall: 2", "      fall: 2\n      fall: 3",
			[]string{`c.yaml:18:7: services[0].check.fall: duplicate key; first given at line 17`}},
		{"duplicate key in a list item", "        priority: 2", "        priority: 2\n        name: tertiary",
			[]string{`c.yaml:26:9: services[0].endpoints[1].name: duplicate key; first given at line 22`}},
		{"duplicate key in a flow mapping", "  listen: 127.0.0.1:8053", "  listen: 127.0.0.1:8053\nhttp: {listen: '127.0.0.1:9000', listen: '127.0.0.1:9001'}",
			[]string{`c.yaml:6:34: http.listen: duplicate key; first given at line 6`}},
		{"several at once", "      fall: 2", "      fall: 0\n      rise: -2\n      interval: 10ms",
			[]string{
				`c.yaml:17:13: services[0].check.fall: must not be zero; leave the field out to get the default`,
				`c.yaml:19:17: services[0].check.interval: 10ms is shorter than the minimum of 100ms`,
				`c.yaml:18:13: services[0].check.rise: must be at least 1, got -2`,
			}},
	})
}

// TestExamplesLoad keeps every example configuration valid.
func TestExamplesLoad(t *testing.T) {
	files, _ := filepath.Glob("../../examples/*.yaml")
	more, _ := filepath.Glob("../../examples/*/*.yaml")
	files = append(files, more...)
	if len(files) < 4 {
		t.Fatalf("found only %d example files: %v", len(files), files)
	}
	for _, f := range files {
		if _, err := Load(f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// TestHTTPTLS: http.tls is auto unless set; always needs the node
// certificate of a cluster section; anything else is refused by name.
func TestHTTPTLS(t *testing.T) {
	cfg, err := Parse("c.yaml", []byte(base))
	if err != nil || cfg.HTTP.TLS != HTTPAuto {
		t.Fatalf("default http.tls = %q, %v; want auto", cfg.HTTP.TLS, err)
	}
	for value, want := range map[string]string{
		"always": "http.tls: always serves the API with the node certificate; configure cluster",
		"yes":    `http.tls: "yes": use auto (TLS off loopback) or always`,
	} {
		_, err := Parse("c.yaml", []byte(base+"http: {tls: "+value+"}\n"))
		errtest.WantMessage(t, err, want)
	}
}

// TestNSID: dns.nsid defaults to the node's name, "" turns it off, and a
// long one is refused naming the limit.
func TestNSID(t *testing.T) {
	cfg, err := Parse("c.yaml", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(cfg.DNS.NSIDValue()); got != "n1" {
		t.Errorf("default NSID %q, want the node's name n1", got)
	}
	off, err := Parse("c.yaml", []byte(strings.Replace(base, "  listen: 127.0.0.1:8053", "  listen: 127.0.0.1:8053\n  nsid: \"\"", 1)))
	if err != nil || off.DNS.NSIDValue() != nil {
		t.Errorf("nsid \"\": %v, %q; want none answered", err, off.DNS.NSIDValue())
	}
	long := strings.Replace(base, "  listen: 127.0.0.1:8053", "  listen: 127.0.0.1:8053\n  nsid: "+strings.Repeat("x", 129), 1)
	if _, err := Parse("c.yaml", []byte(long)); err == nil || !strings.Contains(err.Error(), "dns.nsid: is 129 bytes; at most 128") {
		t.Errorf("a 129-byte NSID: %v, want refused naming the limit", err)
	}
}

// TestRateLimit: dns.rate_limit is on by default with loopback exempt,
// rate 0 turns it off, and bad fields are named.
func TestRateLimit(t *testing.T) {
	cfg, err := Parse("c.yaml", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.DNS.RateLimit
	if !r.Enabled() || r.Limiter().Rate != 20 || r.Limiter().Slip != 2 || !slices.Equal(r.Exempt, DefaultRateLimitExempt) {
		t.Errorf("defaults %+v: want on at 20/s, slip 2, loopback exempt", r.Limiter())
	}
	with := func(section string) string {
		return strings.Replace(base, "  listen: 127.0.0.1:8053", "  listen: 127.0.0.1:8053\n  rate_limit: "+section, 1)
	}
	if off, err := Parse("c.yaml", []byte(with("{rate: 0}"))); err != nil || off.DNS.RateLimit.Enabled() {
		t.Errorf("rate 0: %v, enabled %v; want off", err, off != nil && off.DNS.RateLimit.Enabled())
	}
	for section, want := range map[string]string{
		"{slip: 200}":        "dns.rate_limit.slip: is 200, want 0",
		"{table_size: 1000}": "dns.rate_limit.table_size: is 1000, want a power of two",
		"{rate: -1}":         "dns.rate_limit.rate: must not be negative",
		"{window: 2h}":       "dns.rate_limit.window: is 2h0m0s, want a duration from 1s to 1h0m0s",
		"{exempt: [" + strings.Repeat("10.0.0.0/8, ", 64) + "10.0.0.0/8]}": "dns.rate_limit.exempt: 65 networks; at most 64",
	} {
		if _, err := Parse("c.yaml", []byte(with(section))); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error containing %q", section, err, want)
		}
	}
}
