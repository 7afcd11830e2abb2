package resolve

import (
	"testing"

	"github.com/miekg/dns"
)

// FuzzReply feeds arbitrary wire bytes as an upstream reply to an A or AAAA
// question and checks the outcome stays bounded and consistent, and that
// folding it into a record keeps every bound.
func FuzzReply(f *testing.F) {
	const name = "alb.example.test."
	for _, m := range []*dns.Msg{
		reply(f, name, dns.TypeA, 0, name+" 60 IN A 192.0.2.1"),
		reply(f, name, dns.TypeA, 0, name+" 60 IN CNAME b.test.", "b.test. 60 IN CNAME "+name),
		reply(f, name, dns.TypeAAAA, 0, name+" 4294967295 IN AAAA 2001:db8::1"),
		reply(f, name, dns.TypeA, dns.RcodeNameError),
	} {
		wire, err := m.Pack()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(wire, m.Question[0].Qtype == dns.TypeAAAA)
	}
	p := Policy{MaxAddrs: 8}.WithDefaults()
	f.Fuzz(func(t *testing.T, wire []byte, v6 bool) {
		qtype := dns.TypeA
		if v6 {
			qtype = dns.TypeAAAA
		}
		m := new(dns.Msg)
		if m.Unpack(wire) != nil {
			return
		}
		o := ParseReply(name, qtype, m, p.MaxAddrs)
		if len(o.Addrs) > p.MaxAddrs || (o.Kind == Addrs) != (len(o.Addrs) > 0) || o.TTL < 0 {
			t.Fatalf("unbounded or inconsistent outcome %+v", o)
		}
		if o.Kind != Addrs && o.Err == "" {
			t.Fatalf("outcome %d without an error text", o.Kind)
		}
		for _, a := range o.Addrs {
			if a.Is4() == v6 || !a.IsValid() {
				t.Fatalf("address %s in a %s outcome", a, dns.TypeToString[qtype])
			}
		}
		d := Record{}.Observe(p, t0, o, 0.5).Decide(p, t0)
		if len(d.Addrs) > p.MaxAddrs || d.TTL > p.MaxTTL || (d.State == Fresh && d.TTL < p.MinTTL) {
			t.Fatalf("decision out of bounds: %+v", d)
		}
	})
}
