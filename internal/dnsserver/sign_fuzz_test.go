package dnsserver

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// FuzzSignedRespond asks a signed snapshot (example.test. signed, its
// sub-zone not) arbitrary questions, with and without DO and CO, over UDP
// buffers of any size and TCP. Every reply must parse with miekg and fit
// its limit; with DO and not truncated, every RRSIG must verify against its
// set in its section, and an authoritative NOERROR with no answer from the
// signed zone must carry an NSEC; without DO no RRSIG or NSEC appears.
func FuzzSignedRespond(f *testing.F) {
	for _, s := range []struct {
		name  string
		qtype uint16
	}{{"www.example.test.", dns.TypeA}, {"alias.example.test.", dns.TypeA}, {"nope.example.test.", dns.TypeA},
		{"ent.x.example.test.", dns.TypeTXT}, {"host.child.example.test.", dns.TypeA}, {"child.example.test.", dns.TypeDS},
		{"secure.example.test.", dns.TypeDS}, {"example.test.", dns.TypeDNSKEY}, {"mid.example.test.", dns.TypeAAAA},
		{"dangling.example.test.", dns.TypeA}, {"tosub.example.test.", dns.TypeA}, {"example.test.", dns.TypeANY},
		{"weighted.example.test.", dns.TypeA}, {"wcdn.example.test.", dns.TypeA}, {"x.nope.example.test.", dns.TypeNXNAME}} {
		f.Add(s.name, s.qtype, uint8(1), uint16(1232), false)
		f.Add(s.name, s.qtype, uint8(3), uint16(512), false)
	}
	fx := newSignedFixture(f)
	snap := fx.snapshot(f)
	f.Fuzz(func(t *testing.T, name string, qtype uint16, flags uint8, bufsize uint16, tcp bool) {
		if _, ok := dns.IsDomainName(name); !ok || len(name) > 200 {
			return
		}
		do, co := flags&1 != 0, flags&2 != 0
		q := question(dns.Fqdn(name), qtype)
		q.SetEdns0(bufsize, do)
		q.IsEdns0().SetCo(co)
		wire, err := q.Pack()
		if err != nil {
			return
		}
		if err := q.Unpack(wire); err != nil {
			return
		}
		out, _ := snap.respond(nil, q, !tcp, netip.Addr{})
		if limit := sizeLimit(q.IsEdns0(), !tcp); len(out) > limit {
			t.Fatalf("reply of %d bytes, limit %d", len(out), limit)
		}
		var r dns.Msg
		if err := r.Unpack(out); err != nil {
			t.Fatalf("reply does not parse: %v", err)
		}
		checkSignedReply(t, fx, &r, do)
	})
}

func checkSignedReply(t *testing.T, fx *signedFixture, r *dns.Msg, do bool) {
	var nsec, sig bool
	for _, rr := range append(append([]dns.RR{}, r.Answer...), r.Ns...) {
		switch rr.Header().Rrtype {
		case dns.TypeNSEC:
			nsec = true
		case dns.TypeRRSIG:
			sig = true
		}
	}
	if !do {
		if nsec || sig {
			t.Fatalf("RRSIG or NSEC without DO:\n%v", r)
		}
		return
	}
	if r.Truncated {
		return
	}
	fx.verifySection(t, r.Answer)
	fx.verifySection(t, r.Ns)
	qname := strings.ToLower(r.Question[0].Name)
	signedZone := dns.IsSubDomain("example.test.", qname) && !dns.IsSubDomain("sub.example.test.", qname)
	if signedZone && r.Authoritative && r.Rcode == dns.RcodeSuccess && len(r.Answer) == 0 && !nsec {
		t.Fatalf("a denial from the signed zone without an NSEC:\n%v", r)
	}
}
