package dnsserver

import (
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// BenchmarkServeDNS measures the handler alone: lookup, response assembly
// and the write into an in-memory writer. The request is already unpacked,
// as the miekg server hands it over.
func BenchmarkServeDNS(b *testing.B) {
	srv := New(Options{OnQuery: func(Query) {}}, staticSnapshot(b))
	edns := question("multi.example.test.", dns.TypeA)
	edns.SetEdns0(1232, false)
	cases := []struct {
		name string
		m    *dns.Msg
		tcp  bool
	}{
		{"failover-A", question("www.example.test.", dns.TypeA), false},
		{"failover-A-0x20", question("WwW.ExAmPlE.TeSt.", dns.TypeA), false},
		{"nxdomain", question("nope.example.test.", dns.TypeA), false},
		{"nodata", question("www.example.test.", dns.TypeTXT), false},
		{"weighted", question("weighted.example.test.", dns.TypeA), false},
		{"multi-rotated-edns", edns, false},
		{"refused", question("www.elsewhere.test.", dns.TypeA), false},
		{"60-AAAA-tcp", question("big.example.test.", dns.TypeAAAA), true},
		{"static-A", question("mail.example.test.", dns.TypeA), false},
		{"static-MX-additional", question("example.test.", dns.TypeMX), false},
		{"cname-chain", question("alias.example.test.", dns.TypeA), false},
		{"referral", question("host.child.example.test.", dns.TypeA), false},
		{"steered-cname", question("cdn.example.test.", dns.TypeA), false},
		{"steered-cname-in-zone", question("incdn.example.test.", dns.TypeA), false},
		{"weighted-cname", question("wcdn.example.test.", dns.TypeA), false},
		{"unresolved", question("flat.example.test.", dns.TypeA), false},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) { benchServe(b, srv, c.m, c.tcp) })
	}
	// Geo names (queries as unpacked off the wire, with ECS or from the
	// loopback sender, which is in an area) and the ECS echo on a name
	// that is not one, on the same static data with the geo names added.
	geo := New(Options{OnQuery: func(Query) {}}, staticGeoSnapshot(b))
	for _, c := range []struct {
		name string
		m    *dns.Msg
	}{
		{"geo-ecs-v4", withECS(question("geo.example.test.", dns.TypeA), "10.1.2.0/24")},
		{"geo-ecs-v6", withECS(question("geo.example.test.", dns.TypeAAAA), "2001:db8:e0:100::/56")},
		{"geo-ecs-v4-no-area", withECS(question("geo.example.test.", dns.TypeA), "203.0.113.0/24")},
		{"geo-source", question("geo.example.test.", dns.TypeA)},
		{"geo-cname-ecs", withECS(question("geocdn.example.test.", dns.TypeA), "10.1.2.0/24")},
		{"failover-A-ecs", withECS(question("www.example.test.", dns.TypeA), "10.1.2.0/24")},
		{"failover-A-geo-snapshot", question("www.example.test.", dns.TypeA)},
	} {
		b.Run(c.name, func(b *testing.B) { benchServe(b, geo, repack(b, c.m), false) })
	}
}

func benchServe(b *testing.B, srv *Server, m *dns.Msg, tcp bool) {
	w := newMemWriter(tcp)
	b.ReportAllocs()
	for b.Loop() {
		srv.ServeDNS(w, m)
	}
	if w.writes == 0 {
		b.Fatal("no reply written")
	}
}

// BenchmarkUDPRoundTrip measures one query and its answer over loopback UDP
// through the real miekg server, one query in flight at a time.
func BenchmarkUDPRoundTrip(b *testing.B) {
	ts := startServer(b, testSnapshot(b), Options{})
	c := &dns.Client{Net: "udp", Timeout: 5 * time.Second}
	conn, err := c.Dial(ts.udp)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	m := question("www.example.test.", dns.TypeA)
	b.ReportAllocs()
	for b.Loop() {
		r, _, err := c.ExchangeWithConn(m, conn)
		if err != nil || len(r.Answer) != 1 {
			b.Fatalf("exchange: %v, %v", err, r)
		}
	}
}

// BenchmarkAnswerUDP measures one datagram through the UDP path's parse
// and answer (answerUDP), without the socket: a plain query, one with ECS,
// and the header-rejected QDCOUNT bomb (65,535 questions announced, 650
// compression pointers present).
func BenchmarkAnswerUDP(b *testing.B) {
	srv := New(Options{}, testSnapshot(b))
	plain, err := question("www.example.test.", dns.TypeA).Pack()
	if err != nil {
		b.Fatal(err)
	}
	withSubnet, err := withECS(question("www.example.test.", dns.TypeA), "10.1.2.0/24").Pack()
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		pkt  []byte
	}{{"failover-A", plain}, {"failover-A-ecs", withSubnet}, {"qdcount-bomb", withQuestions(plain, 65535, 650)}} {
		b.Run(c.name, func(b *testing.B) {
			l := newLoop()
			out := make([]byte, 0, 4096)
			b.ReportAllocs()
			for b.Loop() {
				if _, _, ok := srv.answerUDP(l, c.pkt, out, netip.Addr{}); !ok {
					b.Fatal("no reply")
				}
			}
		})
	}
}
