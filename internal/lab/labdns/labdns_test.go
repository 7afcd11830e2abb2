package labdns

import (
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func start(t *testing.T) *Server {
	t.Helper()
	s, err := Start("127.0.0.1", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for _, h := range []struct{ apex, name, addr string }{
		{"cdn-a.test", "shop.cdn-a.test", "192.0.2.1"},
		{"cdn-b.test.", "Shop.CDN-B.test.", "192.0.2.2"},
	} {
		if err := s.Set(h.apex, h.name, netip.MustParseAddr(h.addr)); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func ask(t *testing.T, s *Server, network, name string, qtype uint16) (*dns.Msg, error) {
	t.Helper()
	q := new(dns.Msg)
	q.SetQuestion(name, qtype) // RD set, as a resolver's query is
	c := &dns.Client{Net: network, Timeout: 300 * time.Millisecond}
	m, _, err := c.Exchange(q, s.Addr)
	return m, err
}

// The server answers as an authoritative server does, over UDP and TCP.
func TestAnswers(t *testing.T) {
	s := start(t)
	for _, network := range []string{"udp", "tcp"} {
		m, err := ask(t, s, network, "shop.cdn-a.test.", dns.TypeA)
		if err != nil {
			t.Fatalf("%s: %v", network, err)
		}
		if !m.Authoritative || m.Rcode != dns.RcodeSuccess || len(m.Answer) != 1 {
			t.Fatalf("%s: A shop.cdn-a.test: want one authoritative address, got\n%v", network, m)
		}
		if a := m.Answer[0].(*dns.A); a.A.String() != "192.0.2.1" || a.Hdr.Ttl != 5 {
			t.Errorf("%s: answer %v, want 192.0.2.1 with TTL 5", network, a)
		}
	}
	cases := []struct {
		name  string
		qtype uint16
		rcode int
		soa   bool
	}{
		{"shop.cdn-b.test.", dns.TypeAAAA, dns.RcodeSuccess, true}, // NODATA
		{"nope.cdn-b.test.", dns.TypeA, dns.RcodeNameError, true},
		{"cdn-b.test.", dns.TypeA, dns.RcodeSuccess, true}, // the apex exists
		{"shop.example.test.", dns.TypeA, dns.RcodeRefused, false},
	}
	for _, c := range cases {
		m, err := ask(t, s, "udp", c.name, c.qtype)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		gotSOA := len(m.Ns) == 1 && m.Ns[0].Header().Rrtype == dns.TypeSOA && m.Ns[0].(*dns.SOA).Minttl == 5
		if m.Rcode != c.rcode || len(m.Answer) != 0 || gotSOA != c.soa {
			t.Errorf("%s %s: rcode %s, %d answers, SOA %v; want %s, none, SOA %v",
				c.name, dns.TypeToString[c.qtype], dns.RcodeToString[m.Rcode], len(m.Answer), gotSOA, dns.RcodeToString[c.rcode], c.soa)
		}
	}
}

// A dark zone's queries time out while the other zone answers, and it
// answers again once lit.
func TestDark(t *testing.T) {
	s := start(t)
	if err := s.SetDark("cdn-a.test", true); err != nil {
		t.Fatal(err)
	}
	for _, network := range []string{"udp", "tcp"} {
		if m, err := ask(t, s, network, "shop.cdn-a.test.", dns.TypeA); err == nil {
			t.Errorf("%s: a dark zone answered:\n%v", network, m)
		}
	}
	if m, err := ask(t, s, "udp", "shop.cdn-b.test.", dns.TypeA); err != nil || len(m.Answer) != 1 {
		t.Errorf("the zone that is not dark: %v, %v; want its address", m, err)
	}
	s.Light()
	if m, err := ask(t, s, "udp", "shop.cdn-a.test.", dns.TypeA); err != nil || len(m.Answer) != 1 {
		t.Errorf("after Light: %v, %v; want the address again", m, err)
	}
	if err := s.SetDark("cdn-c.test", true); err == nil {
		t.Error("SetDark of an unknown zone: want an error")
	}
	if err := s.Set("cdn-a.test", "shop.cdn-b.test"); err == nil {
		t.Error("Set of a name outside its zone: want an error")
	}
}
