package resolve

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func rr(t testing.TB, s string) dns.RR {
	t.Helper()
	r, err := dns.NewRR(s)
	if err != nil {
		t.Fatalf("bad test record %q: %v", s, err)
	}
	return r
}

func reply(t testing.TB, name string, qtype uint16, rcode int, answer ...string) *dns.Msg {
	t.Helper()
	q := new(dns.Msg)
	q.SetQuestion(name, qtype)
	m := new(dns.Msg)
	m.SetRcode(q, rcode)
	for _, s := range answer {
		m.Answer = append(m.Answer, rr(t, s))
	}
	return m
}

func TestParseReply(t *testing.T) {
	const name = "alb.example.test."
	soa := "example.test. 300 IN SOA ns.example.test. h.example.test. 1 2 3 4 60"
	nodataWithSOA := reply(t, name, dns.TypeA, dns.RcodeSuccess)
	nodataWithSOA.Ns = append(nodataWithSOA.Ns, rr(t, soa))
	other := reply(t, "other.test.", dns.TypeA, dns.RcodeSuccess, "other.test. 60 IN A 192.0.2.1")
	truncated := reply(t, name, dns.TypeA, dns.RcodeSuccess)
	truncated.Truncated = true
	tests := []struct {
		name  string
		m     *dns.Msg
		qtype uint16
		kind  Kind
		addrs string
		ttl   time.Duration
	}{
		{"addresses, smallest TTL", reply(t, name, dns.TypeA, 0, name+" 60 IN A 192.0.2.2", name+" 30 IN A 192.0.2.1"), dns.TypeA, Addrs, "192.0.2.1 192.0.2.2", 30 * time.Second},
		{"mixed case owner", reply(t, name, dns.TypeA, 0, "ALB.Example.TEST. 60 IN A 192.0.2.1"), dns.TypeA, Addrs, "192.0.2.1", time.Minute},
		{"CNAME chain, smallest TTL on it", reply(t, name, dns.TypeA, 0, name+" 20 IN CNAME a.cdn.test.", "a.cdn.test. 300 IN CNAME b.cdn.test.", "b.cdn.test. 300 IN A 192.0.2.7"), dns.TypeA, Addrs, "192.0.2.7", 20 * time.Second},
		{"AAAA", reply(t, name, dns.TypeAAAA, 0, name+" 60 IN AAAA 2001:db8::1"), dns.TypeAAAA, Addrs, "2001:db8::1", time.Minute},
		{"records of other owners ignored", reply(t, name, dns.TypeA, 0, "evil.test. 60 IN A 192.0.2.66", name+" 60 IN A 192.0.2.1"), dns.TypeA, Addrs, "192.0.2.1", time.Minute},
		{"CNAME loop", reply(t, name, dns.TypeA, 0, name+" 60 IN CNAME b.test.", "b.test. 60 IN CNAME "+name, "b.test. 60 IN A 192.0.2.1"), dns.TypeA, Failure, "", 0},
		{"self CNAME", reply(t, name, dns.TypeA, 0, name+" 60 IN CNAME "+name), dns.TypeA, Failure, "", 0},
		{"chain too long", reply(t, name, dns.TypeA, 0, chain(name, MaxChain+1)...), dns.TypeA, Failure, "", 0},
		{"chain at the bound", reply(t, name, dns.TypeA, 0, chain(name, MaxChain)...), dns.TypeA, Addrs, "192.0.2.1", time.Minute},
		{"NODATA without SOA", reply(t, name, dns.TypeA, 0), dns.TypeA, NoData, "", 0},
		{"NODATA, RFC 2308 negative TTL", nodataWithSOA, dns.TypeA, NoData, "", time.Minute},
		{"dangling CNAME is NODATA", reply(t, name, dns.TypeA, 0, name+" 60 IN CNAME gone.test."), dns.TypeA, NoData, "", 0},
		{"NXDOMAIN", reply(t, name, dns.TypeA, dns.RcodeNameError), dns.TypeA, NXDomain, "", 0},
		{"SERVFAIL", reply(t, name, dns.TypeA, dns.RcodeServerFailure), dns.TypeA, Failure, "", 0},
		{"REFUSED", reply(t, name, dns.TypeA, dns.RcodeRefused), dns.TypeA, Failure, "", 0},
		{"another question", other, dns.TypeA, Failure, "", 0},
		{"another type", reply(t, name, dns.TypeAAAA, 0, name+" 60 IN AAAA 2001:db8::1"), dns.TypeA, Failure, "", 0},
		{"truncated", truncated, dns.TypeA, Failure, "", 0},
		{"A records in an AAAA answer ignored", reply(t, name, dns.TypeAAAA, 0, name+" 60 IN A 192.0.2.1"), dns.TypeAAAA, NoData, "", 0},
		{"no reply", nil, dns.TypeA, Failure, "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := ParseReply(name, tc.qtype, tc.m, 64)
			got := strings.Trim(fmt.Sprint(naiveBound(o.Addrs, 64)), "[]")
			if o.Kind != tc.kind || got != tc.addrs || (tc.kind == Addrs && o.TTL != tc.ttl) {
				t.Errorf("got kind=%d addrs=%q ttl=%s err=%q; want kind=%d addrs=%q ttl=%s", o.Kind, got, o.TTL, o.Err, tc.kind, tc.addrs, tc.ttl)
			}
			if tc.kind == NoData && o.TTL != tc.ttl {
				t.Errorf("negative TTL %s, want %s", o.TTL, tc.ttl)
			}
			if tc.kind != Addrs && o.Err == "" {
				t.Errorf("kind %d without an error text", o.Kind)
			}
		})
	}
}

// chain is n CNAME links from name ending at an A record.
func chain(name string, n int) []string {
	var out []string
	owner := name
	for i := range n {
		next := fmt.Sprintf("c%d.chain.test.", i)
		out = append(out, owner+" 60 IN CNAME "+next)
		owner = next
	}
	return append(out, owner+" 60 IN A 192.0.2.1")
}

func TestParseReplyBoundsAddresses(t *testing.T) {
	const name = "cdn.example.test."
	var answer []string
	for i := range 1000 {
		answer = append(answer, fmt.Sprintf("%s 60 IN A 10.0.%d.%d", name, i/256, i%256))
	}
	o := ParseReply(name, dns.TypeA, reply(t, name, dns.TypeA, 0, answer...), 64)
	if o.Kind != Addrs || len(o.Addrs) != 64 {
		t.Errorf("got kind %d with %d addresses, want 64 addresses", o.Kind, len(o.Addrs))
	}
}

func TestCanonical(t *testing.T) {
	long := strings.Repeat("a.", 127) // 254 characters with the dot
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"ALB-1.us-east-1.elb.amazonaws.com", "alb-1.us-east-1.elb.amazonaws.com.", true},
		{"d111.cloudfront.net.", "d111.cloudfront.net.", true},
		{"", "", false},
		{".", "", false},
		{"192.0.2.1", "", false},
		{"2001:db8::1", "", false},
		{strings.Repeat("x", 64) + ".test", "", false},
		{long, "", true},
		{long + "bb", "", false},
		{"a..b", "", false},
	}
	for _, tc := range tests {
		got, err := Canonical(tc.in)
		if (err == nil) != tc.ok || (tc.want != "" && got != tc.want) {
			t.Errorf("Canonical(%.30q) = %q, %v; want %q ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}
