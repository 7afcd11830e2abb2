package auditresolve_test

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"outlast/internal/audit"
	"outlast/internal/audit/auditresolve"
	"outlast/internal/audit/audittest"
	"outlast/internal/dnstest"
)

// upstream is a real recursive resolver stand-in on loopback: it answers
// the names of the table, CNAME chains included, fails others with
// SERVFAIL or NXDOMAIN, and never replies for slow.example.
func upstream(t *testing.T) string {
	t.Helper()
	rr := func(s string) dns.RR {
		r, err := dns.NewRR(s)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	answers := map[string][]dns.RR{
		"alb.example./A":           {rr("alb.example. 60 IN A 203.0.113.10"), rr("alb.example. 60 IN A 203.0.113.11")},
		"v6.example./AAAA":         {rr("v6.example. 60 IN AAAA 2001:db8::10")},
		"cdn.example./A":           {rr("cdn.example. 60 IN CNAME edge.cdn-net.example."), rr("edge.cdn-net.example. 60 IN A 198.18.0.1")},
		"cdn.example./AAAA":        {rr("cdn.example. 60 IN CNAME edge.cdn-net.example.")},
		"ns-1.awsdns-01.net./A":    {rr("ns-1.awsdns-01.net. 60 IN A 203.0.113.51")},
		"ns-2.awsdns-02.org./A":    {rr("ns-2.awsdns-02.org. 60 IN A 203.0.113.52")},
		"ns-2.awsdns-02.org./AAAA": {rr("ns-2.awsdns-02.org. 60 IN AAAA 2001:db8::52")},
	}
	handler := dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		name := q.Question[0].Name
		m := new(dns.Msg)
		m.SetReply(q)
		m.RecursionAvailable = true
		switch {
		case name == "slow.example.":
			return // no reply: the client times out
		case name == "broken.example.":
			m.Rcode = dns.RcodeServerFailure
		case name == "gone.example.":
			m.Rcode = dns.RcodeNameError
		default:
			m.Answer = answers[name+"/"+dns.TypeToString[q.Question[0].Qtype]]
		}
		_ = w.WriteMsg(m)
	})
	return dnstest.Serve(t, handler)
}

// TestLookup asks a real upstream on loopback for names that resolve,
// through a CNAME chain or over IPv6 only, and for names that fail, each
// way a provider's DNS fails; and asks with no upstream at all.
func TestLookup(t *testing.T) {
	server := upstream(t)
	empty := filepath.Join(t.TempDir(), "resolv.conf")
	if err := os.WriteFile(empty, []byte("# no nameserver\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		opts    auditresolve.Options
		addrs   []string
		errSays string
	}{
		{name: "alb.example.", addrs: []string{"203.0.113.10", "203.0.113.11"}},
		{name: "v6.example.", addrs: []string{"2001:db8::10"}},
		{name: "cdn.example.", addrs: []string{"198.18.0.1"}},
		{name: "nodata.example.", errSays: "no A or AAAA records"},
		{name: "broken.example.", errSays: server + ": upstream answered SERVFAIL"},
		{name: "gone.example.", errSays: "NXDOMAIN"},
		{name: "slow.example.", errSays: "timeout"},
		{name: "alb.example.", opts: auditresolve.Options{ResolvConf: empty}, errSays: "no upstream servers"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.opts
			if o.ResolvConf == "" {
				o = auditresolve.Options{Servers: []string{server}, Timeout: 300 * time.Millisecond, Wait: 10 * time.Second}
			}
			got := auditresolve.Lookup(o)(context.Background(), []string{tc.name})[tc.name]
			var addrs []string
			for _, a := range got.Addrs {
				addrs = append(addrs, a.String())
			}
			slices.Sort(addrs)
			if !slices.Equal(addrs, tc.addrs) || !strings.Contains(got.Err, tc.errSays) || (tc.errSays == "") != (got.Err == "") {
				t.Fatalf("%s resolved to %v, error %q; want %v and an error saying %q", tc.name, addrs, got.Err, tc.addrs, tc.errSays)
			}
		})
	}
}

// TestLookupWaitIsBounded: a name whose upstream never answers gives up
// when Wait ends, whatever the per-question timeout, and says so.
func TestLookupWaitIsBounded(t *testing.T) {
	server := upstream(t)
	o := auditresolve.Options{Servers: []string{server}, Timeout: time.Minute, Wait: 200 * time.Millisecond}
	done := make(chan audit.Resolution)
	go func() {
		done <- auditresolve.Lookup(o)(context.Background(), []string{"slow.example."})["slow.example."]
	}()
	select {
	case got := <-done:
		if got.Err == "" || len(got.Addrs) > 0 {
			t.Fatalf("slow.example. gave %+v, want an error", got)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Lookup did not return 30 s after its 200 ms Wait")
	}
}

// ranges places 203.0.113.0/25 in aws and 198.18.0.0/15 in cloudflare.
type ranges struct{}

func (ranges) Lookup(a netip.Addr) (audit.Owner, bool) {
	for _, o := range []audit.Owner{
		{Provider: "aws", Region: "us-east-1", Prefix: netip.MustParsePrefix("203.0.113.0/25")},
		{Provider: "cloudflare", Prefix: netip.MustParsePrefix("198.18.0.0/15")},
	} {
		if o.Prefix.Contains(a) {
			return o, true
		}
	}
	return audit.Owner{}, false
}

func (ranges) Publishes(p string) bool { return p == "aws" || p == "cloudflare" }

const nodeConfig = `
node: {name: aws-1, location: aws/us-east-1}
dns: {listen: 0.0.0.0:53}
http: {listen: 0.0.0.0:8443}
cluster:
  listen: 0.0.0.0:7946
  advertise: 10.0.0.10:7946
  data_dir: /var/lib/outlast
  peers:
    - {name: aws-1, address: "10.0.0.10:7946", location: aws/us-east-1}
    - {name: gcp-1, address: "10.0.0.20:7946", location: gcp/us-central1}
    - {name: azure-1, address: "10.0.0.30:7946", location: azure/eastus}
  tls: {ca_file: /etc/outlast/ca.pem, cert_file: /etc/outlast/aws-1.pem, key_file: /etc/outlast/aws-1-key.pem}
zones:
  - apex: example.com
    file: example.com.zone
services:
  - name: www.example.com
    ttl: 30s
    rto: 2m
    policy: weighted
    check: {type: https}
    endpoints:
      - {name: alb, location: aws/us-east-1, target: alb.example}
      - {name: cdn, location: fastly/global, target: cdn.example}
      - {name: broken, location: gcp/us-central1, target: broken.example}
      - {name: slow, location: azure/eastus, target: slow.example}
`

const zoneFile = `$ORIGIN example.com.
$TTL 3600
@ IN SOA ns-1.awsdns-01.net. hostmaster 1 3600 600 604800 5
@ IN NS ns-1.awsdns-01.net.
@ IN NS ns-2.awsdns-02.org.
`

// TestAuditThroughLiveDNS runs the audit as the command does, on a
// configuration loaded as the node loads it, resolving through the real
// upstream: the endpoints whose targets resolve are placed by their
// addresses (cdn's are cloudflare's, not fastly's), the two that do not are
// reported with their reasons, and the zone file's nameservers, resolved,
// all sit in aws.
func TestAuditThroughLiveDNS(t *testing.T) {
	server := upstream(t)
	cfg := audittest.LoadNode(t, nodeConfig, map[string]string{"example.com.zone": zoneFile})
	d := audit.FromConfig("outlast.yaml", cfg)
	d.Owners = ranges{}
	lookup := auditresolve.Lookup(auditresolve.Options{Servers: []string{server}, Timeout: 300 * time.Millisecond})
	if err := d.Resolve(context.Background(), lookup); err != nil {
		t.Fatal(err)
	}
	r := audit.Run(d)
	want := map[string]string{ // "check subject" → what its summary says
		"nameservers example.com.": "every nameserver of example.com. in aws (ns-1.awsdns-01.net., ns-2.awsdns-02.org.)",
		"location-mismatch cdn":    "endpoint cdn (target cdn.example.) is declared in fastly/global, but 198.18.0.1 belongs to cloudflare",
		"target-unverified broken": "placed at its configured location gcp/us-central1, not verified: target did not resolve (broken.example.: " + server + ": upstream answered SERVFAIL)",
		"target-unverified slow":   "placed at its configured location azure/eastus, not verified: target did not resolve (slow.example.: " + server + ": udp: ",
	}
	got := map[string]string{}
	for _, f := range r.Findings {
		if f.Severity >= audit.Warning {
			got[string(f.Check)+" "+f.Subject] = f.Summary
		}
	}
	for key, says := range want {
		if !strings.Contains(got[key], says) {
			t.Errorf("finding %q says %q, want it to say %q", key, got[key], says)
		}
	}
	for key, summary := range got {
		if _, ok := want[key]; !ok && !strings.HasPrefix(key, "vantage-points") {
			t.Errorf("unexpected finding %s: %s", key, summary)
		}
	}
}
