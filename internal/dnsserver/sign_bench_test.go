package dnsserver

import (
	"net/netip"
	"testing"

	"github.com/miekg/dns"
)

// BenchmarkServeDNSSigned measures the handler on a signed zone: a
// steered A with and without the DO bit (the goal: with DO at 0.8x the
// rate of without or better, allocation-free), a CNAME chain and NODATA
// with DO, and a nonexistent name with DO, the one reply signed per query
// (Signer.Deny caches it; writing it down allocates, which is accepted).
func BenchmarkServeDNSSigned(b *testing.B) {
	srv := New(Options{OnQuery: func(Query) {}}, newSignedFixture(b).snapshot(b))
	do := func(name string, qtype uint16) *dns.Msg { return repack(b, dnssecQuestion(name, qtype, 1232, false)) }
	plain := func(name string, qtype uint16) *dns.Msg {
		m := question(name, qtype)
		m.SetEdns0(1232, false)
		return repack(b, m)
	}
	for _, c := range []struct {
		name string
		m    *dns.Msg
	}{
		{"steered-A", plain("www.example.test.", dns.TypeA)},
		{"steered-A-DO", do("www.example.test.", dns.TypeA)},
		{"weighted-DO", do("weighted.example.test.", dns.TypeA)},
		{"cname-chain-DO", do("alias.example.test.", dns.TypeA)},
		{"nodata-DO", do("www.example.test.", dns.TypeMX)},
		{"referral-DO", do("host.child.example.test.", dns.TypeA)},
		{"nonexistent-DO", do("nope.example.test.", dns.TypeA)},
	} {
		b.Run(c.name, func(b *testing.B) { benchServe(b, srv, c.m, false) })
	}
}

// TestSignedAnswersDoNotAllocate: positive signed answers and precomputed
// denials with DO are written without allocating, as unsigned ones are.
func TestSignedAnswersDoNotAllocate(t *testing.T) {
	snap := newSignedFixture(t).snapshot(t)
	out := make([]byte, 0, 4096)
	for _, q := range []struct {
		name  string
		qtype uint16
	}{{"www.example.test.", dns.TypeA}, {"weighted.example.test.", dns.TypeA}, {"alias.example.test.", dns.TypeA},
		{"www.example.test.", dns.TypeMX}, {"host.child.example.test.", dns.TypeA}, {"dangling.example.test.", dns.TypeA}} {
		req := repack(t, dnssecQuestion(q.name, q.qtype, 1232, false))
		if n := testing.AllocsPerRun(20, func() { snap.respond(out[:0], req, true, netip.Addr{}) }); n != 0 {
			t.Errorf("%s %s with DO: %v allocations", q.name, dns.TypeToString[q.qtype], n)
		}
	}
}
