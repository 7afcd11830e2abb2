package main

import (
	"fmt"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"outlast/internal/audit"
	"outlast/internal/dnstest"
)

// targetUpstreamServer starts a real DNS server on loopback standing in for the
// configured resolver: alb.example. resolves, broken.example. is SERVFAIL.
func targetUpstreamServer(t *testing.T) string {
	t.Helper()
	return dnstest.Serve(t, dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		switch name := q.Question[0].Name; {
		case name == "broken.example.":
			m.Rcode = dns.RcodeServerFailure
		case name == "alb.example." && q.Question[0].Qtype == dns.TypeA:
			m.Answer = []dns.RR{&dns.A{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.ParseIP("203.0.113.10")}}
		}
		_ = w.WriteMsg(m)
	}))
}

// TestAuditHostnameTargets: outlast audit resolves endpoint targets through
// the configuration's resolver.servers (or --target-resolver), places them
// by their addresses, and says per endpoint when a target did not resolve.
func TestAuditHostnameTargets(t *testing.T) {
	good := targetUpstreamServer(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "outlast.yaml")
	text := fmt.Sprintf(`node: {name: solo, location: gcp/us-central1}
dns: {listen: 127.0.0.1:8053}
http: {listen: 127.0.0.1:8080}
resolver: {servers: ["%s"], timeout: 500ms}
zones:
  - apex: example.com
    ns: [{name: ns1.example.com, addresses: [127.0.0.1]}]
services:
  - name: www.example.com
    ttl: 5s
    check: {type: https}
    endpoints:
      - {name: alb, location: gcp/us-central1, target: alb.example}
      - {name: broken, location: azure/eastus, target: broken.example}
`, good)
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	dir2 := writeRangeFiles(t) // 203.0.113.0/28 is aws's us-east-1
	ranges := filepath.Join(dir2, "ip-ranges.json")
	dead := "127.0.0.1:1" // nothing listens: the query is refused at once
	cases := []struct {
		name string
		args []string
		want map[string]string // "severity check subject" → in its summary
	}{
		{"the config's resolver", nil, map[string]string{
			"critical location-mismatch alb":   "endpoint alb (target alb.example.) is declared in gcp/us-central1, but 203.0.113.10 belongs to aws",
			"warning target-unverified broken": "not verified: target did not resolve (broken.example.: " + good + ": upstream answered SERVFAIL)",
		}},
		{"--target-resolver overrides it", []string{"--target-resolver", dead}, map[string]string{
			"warning target-unverified alb":    "not verified: target did not resolve (alb.example.: " + dead,
			"warning target-unverified broken": "not verified: target did not resolve (broken.example.: " + dead,
		}},
		{"--resolve-targets=false", []string{"--resolve-targets=false"}, map[string]string{
			"info target-unverified alb":    "not verified: target was not resolved (alb.example.)",
			"info target-unverified broken": "not verified: target was not resolved (broken.example.)",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, r := auditJSON(t, append([]string{"--config", cfg, "--ip-ranges", ranges}, tc.args...)...)
			got := map[string]string{}
			for _, f := range r.Findings {
				if f.Check == audit.CheckTargetUnverified || f.Check == audit.CheckLocationMismatch {
					got[fmt.Sprintf("%s %s %s", f.Severity, f.Check, f.Subject)] = f.Summary
				}
			}
			keys := slices.Sorted(maps.Keys(got))
			if len(got) != len(tc.want) {
				t.Errorf("findings %q, want %d", keys, len(tc.want))
			}
			for key, says := range tc.want {
				if !strings.Contains(got[key], says) {
					t.Errorf("finding %q says %q; want %q", key, got[key], says)
				}
			}
		})
	}
}
