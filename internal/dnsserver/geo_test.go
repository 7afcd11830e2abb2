package dnsserver

import (
	"encoding/binary"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"outlast/internal/model"
)

// areaTable is the tests' Areas: prefixes of areas, longest match wins, by
// a plain scan (the real table is another package's).
type areaTable []struct {
	prefix netip.Prefix
	index  int
}

func (t areaTable) Area(addr netip.Addr) (index, bits int, ok bool) {
	bits = -1
	for _, e := range t {
		if e.prefix.Contains(addr) && e.prefix.Bits() > bits {
			index, bits, ok = e.index, e.prefix.Bits(), true
		}
	}
	return index, max(bits, 0), ok
}

// Test areas: eu and us hold answers; usw (a /26 inside us) and far (a /25
// and a /65 that only untruncated prefixes reach) hold none of their own;
// lo is the loopback, where the tests' queries come from.
var testAreaNames = []string{"eu", "us", "lo", "usw", "far"}

func testAreas() areaTable {
	return areaTable{
		{netip.MustParsePrefix("10.1.0.0/16"), 0},
		{netip.MustParsePrefix("2001:db8:e0::/48"), 0},
		{netip.MustParsePrefix("10.2.0.0/16"), 1},
		{netip.MustParsePrefix("127.0.0.0/8"), 2},
		{netip.MustParsePrefix("10.2.3.0/26"), 3},
		{netip.MustParsePrefix("10.1.2.128/25"), 4},
		{netip.MustParsePrefix("2001:db8:e0:0:8000::/65"), 4},
	}
}

// geoAnswers are geo names: geo (A per area, AAAA for eu only), geocdn (a
// CNAME per area), the answers far would get were its prefixes reached,
// and togeo, a CNAME into geo.
func geoAnswers() []model.Answer {
	a := func(area, addr string) model.Answer {
		return model.Answer{Name: "geo.example.test.", Area: area, Type: model.TypeA, TTL: 30, Mode: model.ModeHealthy, Addrs: addrs(addr)}
	}
	aaaa := func(area, addr string) model.Answer {
		return model.Answer{Name: "geo.example.test.", Area: area, Type: model.TypeAAAA, TTL: 30, Mode: model.ModeHealthy, Addrs: addrs(addr)}
	}
	cdn := func(area, target string) model.Answer {
		return model.Answer{Name: "geocdn.example.test.", Area: area, Type: model.TypeA, TTL: 60, Mode: model.ModeHealthy, Target: target}
	}
	return []model.Answer{
		a("", "192.0.2.100"), a("eu", "192.0.2.101"), a("us", "192.0.2.102"), a("lo", "192.0.2.103"), a("far", "192.0.2.104"),
		aaaa("", "2001:db8::100"), aaaa("eu", "2001:db8::101"), aaaa("far", "2001:db8::104"),
		cdn("", "edge.cdn-a.test."), cdn("eu", "edge.cdn-eu.test."),
		{Name: "togeo.example.test.", Type: model.TypeA, TTL: 60, Mode: model.ModeHealthy, Target: "geo.example.test."},
	}
}

func geoStatic() Static {
	return Static{Areas: testAreas(), AreaNames: testAreaNames}
}

func geoSnapshot(t testing.TB) *Snapshot {
	t.Helper()
	snap, err := NewSnapshot(testZones(), append(testAnswers(), geoAnswers()...), geoStatic())
	if err != nil {
		t.Fatalf("NewSnapshot: %v", err)
	}
	return snap
}

// withECS adds an OPT carrying a well-formed ECS option for prefix.
func withECS(m *dns.Msg, prefix string) *dns.Msg {
	p := netip.MustParsePrefix(prefix)
	family := uint16(ecsFamily4)
	if p.Addr().Is6() {
		family = ecsFamily6
	}
	m.SetEdns0(1232, false)
	o := m.IsEdns0()
	o.Option = append(o.Option, &dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: family,
		SourceNetmask: uint8(p.Bits()), Address: net.IP(p.Addr().AsSlice())})
	return m
}

// withRawECS adds an OPT carrying an ECS option of exactly these bytes
// (FAMILY, SOURCE, SCOPE, ADDRESS), however malformed.
func withRawECS(m *dns.Msg, data ...byte) *dns.Msg {
	m.SetEdns0(1232, false)
	o := m.IsEdns0()
	o.Option = append(o.Option, &dns.EDNS0_LOCAL{Code: dns.EDNS0SUBNET, Data: data})
	return m
}

// replyECS returns the ECS option of a reply, or nil.
func replyECS(t *testing.T, r *dns.Msg) *dns.EDNS0_SUBNET {
	t.Helper()
	opt := r.IsEdns0()
	if opt == nil {
		return nil
	}
	var found *dns.EDNS0_SUBNET
	for _, o := range opt.Option {
		if e, ok := o.(*dns.EDNS0_SUBNET); ok {
			if found != nil {
				t.Fatalf("two ECS options in %v", r)
			}
			found = e
		}
	}
	return found
}

// answerText is a reply's rcode and answer section, one record a line.
func answerText(r *dns.Msg) string {
	var b strings.Builder
	b.WriteString(dns.RcodeToString[r.Rcode])
	for _, rr := range r.Answer {
		b.WriteString("\n" + strings.ReplaceAll(rr.String(), "\t", " "))
	}
	return b.String()
}

// TestGeoAnswersByClient asks geo and other names over UDP and TCP with
// ECS options of each area, of none, too long, and without ECS (the
// loopback sender is in area lo), and checks the answer and the echoed
// option: the query's family, source and address, and the scope the answer
// depended on.
func TestGeoAnswersByClient(t *testing.T) {
	ts := startServer(t, geoSnapshot(t), Options{})
	cases := []struct {
		name, qname string
		qtype       uint16
		ecs         string // "" for none
		want        string // rcode and answers
		scope       int    // -1: no ECS option in the reply
	}{
		{"eu by ECS", "geo.example.test.", dns.TypeA, "10.1.2.0/24", "NOERROR\ngeo.example.test. 30 IN A 192.0.2.101", 16},
		{"us by ECS", "geo.example.test.", dns.TypeA, "10.2.9.0/24", "NOERROR\ngeo.example.test. 30 IN A 192.0.2.102", 16},
		{"eu by ECS, case folded", "GeO.ExAmple.TEST.", dns.TypeA, "10.1.0.0/16", "NOERROR\nGeO.ExAmple.TEST. 30 IN A 192.0.2.101", 16},
		{"area without answers: default, its scope", "geo.example.test.", dns.TypeA, "10.2.3.0/24", "NOERROR\ngeo.example.test. 30 IN A 192.0.2.100", 24},
		{"unknown subnet: default, source scope", "geo.example.test.", dns.TypeA, "203.0.113.0/24", "NOERROR\ngeo.example.test. 30 IN A 192.0.2.100", 24},
		{"short unknown subnet: default, source scope", "geo.example.test.", dns.TypeA, "203.0.0.0/18", "NOERROR\ngeo.example.test. 30 IN A 192.0.2.100", 18},
		{"/32 cut to /24 before lookup", "geo.example.test.", dns.TypeA, "10.1.2.200/32", "NOERROR\ngeo.example.test. 30 IN A 192.0.2.101", 16},
		{"/32 cut to /24 cuts the scope too", "geo.example.test.", dns.TypeA, "10.2.3.5/32", "NOERROR\ngeo.example.test. 30 IN A 192.0.2.100", 24},
		{"source /0: default, scope 0", "geo.example.test.", dns.TypeA, "0.0.0.0/0", "NOERROR\ngeo.example.test. 30 IN A 192.0.2.100", 0},
		{"eu by v6 ECS", "geo.example.test.", dns.TypeAAAA, "2001:db8:e0:100::/56", "NOERROR\ngeo.example.test. 30 IN AAAA 2001:db8::101", 48},
		{"v6 /128 cut to /56", "geo.example.test.", dns.TypeAAAA, "2001:db8:e0:0:8000::1/128", "NOERROR\ngeo.example.test. 30 IN AAAA 2001:db8::101", 48},
		{"v6 unknown: default", "geo.example.test.", dns.TypeAAAA, "2001:db8:ff::/48", "NOERROR\ngeo.example.test. 30 IN AAAA 2001:db8::100", 48},
		{"area with no AAAA of its own: default AAAA", "geo.example.test.", dns.TypeAAAA, "10.2.0.0/24", "NOERROR\ngeo.example.test. 30 IN AAAA 2001:db8::100", 16},
		{"geo CNAME for eu", "geocdn.example.test.", dns.TypeA, "10.1.2.0/24", "NOERROR\ngeocdn.example.test. 60 IN CNAME edge.cdn-eu.test.", 16},
		{"geo CNAME answers every type", "geocdn.example.test.", dns.TypeMX, "10.1.2.0/24", "NOERROR\ngeocdn.example.test. 60 IN CNAME edge.cdn-eu.test.", 16},
		{"geo CNAME default", "geocdn.example.test.", dns.TypeA, "198.51.100.0/24", "NOERROR\ngeocdn.example.test. 60 IN CNAME edge.cdn-a.test.", 24},
		{"geo name, type without area answers", "geo.example.test.", dns.TypeTXT, "10.1.2.0/24", "NOERROR", 0},
		{"chain stops before a geo name", "togeo.example.test.", dns.TypeA, "10.1.2.0/24", "NOERROR\ntogeo.example.test. 60 IN CNAME geo.example.test.", 0},
		{"non-geo name: echo, scope 0", "www.example.test.", dns.TypeA, "10.1.2.0/24", "NOERROR\nwww.example.test. 30 IN A 192.0.2.1", 0},
		{"NXDOMAIN: echo, scope 0", "nope.example.test.", dns.TypeA, "10.1.2.0/24", "NXDOMAIN", 0},
		{"REFUSED: no echo", "www.elsewhere.test.", dns.TypeA, "10.1.2.0/24", "REFUSED", -1},
		{"no ECS: the sender's area (loopback)", "geo.example.test.", dns.TypeA, "", "NOERROR\ngeo.example.test. 30 IN A 192.0.2.103", -1},
		{"no ECS, geo CNAME: the sender has no area answer", "geocdn.example.test.", dns.TypeA, "", "NOERROR\ngeocdn.example.test. 60 IN CNAME edge.cdn-a.test.", -1},
	}
	for _, network := range networks {
		for _, c := range cases {
			t.Run(network+"/"+c.name, func(t *testing.T) {
				q := question(c.qname, c.qtype)
				if c.ecs != "" {
					q = withECS(q, c.ecs)
				}
				r := ts.exchange(t, network, q)
				if got := answerText(r); got != c.want {
					t.Errorf("reply:\n%s\nwant:\n%s", got, c.want)
				}
				checkEcho(t, q, r, c.scope)
			})
		}
	}
}

// checkEcho checks the reply's ECS option: absent when scope is -1, else
// the query's family, source and address with that scope.
func checkEcho(t *testing.T, q, r *dns.Msg, scope int) {
	t.Helper()
	got := replyECS(t, r)
	if scope < 0 {
		if got != nil {
			t.Errorf("reply carries ECS %v, want none", got)
		}
		return
	}
	want := replyECS(t, q) // the query's option, as sent
	if got == nil {
		t.Fatalf("reply carries no ECS option, want scope %d", scope)
	}
	if got.Family != want.Family || got.SourceNetmask != want.SourceNetmask || !got.Address.Equal(want.Address) || int(got.SourceScope) != scope {
		t.Errorf("reply ECS %v (family %d), want %s/%d/%d (family %d)", got, got.Family, want.Address, want.SourceNetmask, scope, want.Family)
	}
}

// TestECSFamilyZero: dig +subnet=0 sends FAMILY 0, SOURCE 0 and no
// address: "use no address of mine". It gets the default answer and the
// option back as sent, scope 0.
func TestECSFamilyZero(t *testing.T) {
	ts := startServer(t, geoSnapshot(t), Options{})
	for _, network := range networks {
		r := ts.exchange(t, network, withRawECS(question("geo.example.test.", dns.TypeA), 0, 0, 0, 0))
		if got, want := answerText(r), "NOERROR\ngeo.example.test. 30 IN A 192.0.2.100"; got != want {
			t.Errorf("%s: reply:\n%s\nwant:\n%s", network, got, want)
		}
		if e := replyECS(t, r); e == nil || e.Family != 0 || e.SourceNetmask != 0 || e.SourceScope != 0 {
			t.Errorf("%s: reply ECS %v, want family 0 source 0 scope 0", network, e)
		}
	}
}

// TestECSMalformedFormErr sends each kind of malformed ECS option RFC 7871
// 6 and 7.1.2 name, over UDP and TCP, and expects FORMERR with no answer.
func TestECSMalformedFormErr(t *testing.T) {
	ts := startServer(t, geoSnapshot(t), Options{})
	cookie := &dns.EDNS0_COOKIE{Code: dns.EDNS0COOKIE, Cookie: "0011223344556677"}
	cases := []struct {
		name string
		data []byte
		more []dns.EDNS0 // other options after the ECS
	}{
		{"unknown family", []byte{0, 3, 24, 0, 10, 1, 2}, nil},
		{"IPv4 source beyond 32", []byte{0, 1, 33, 0, 10, 1, 2, 3, 4}, nil},
		{"IPv6 source beyond 128", append([]byte{0, 2, 129, 0}, make([]byte, 17)...), nil},
		{"family 0 with a source", []byte{0, 0, 8, 0, 10}, nil},
		{"scope not 0 in a query", []byte{0, 1, 24, 16, 10, 1, 2}, nil},
		{"scope beyond the family", []byte{0, 1, 24, 33, 10, 1, 2}, nil},
		{"one octet too many", []byte{0, 1, 24, 0, 10, 1, 2, 0}, nil},
		{"octets beyond the family's size", []byte{0, 1, 24, 0, 10, 1, 2, 0, 0}, nil},
		{"one octet too few", []byte{0, 1, 24, 0, 10, 1}, nil},
		{"an octet for source 0", []byte{0, 1, 0, 0, 10}, nil},
		{"address bits beyond the source", []byte{0, 1, 23, 0, 10, 1, 3}, nil},
		{"v6 address bits beyond the source", []byte{0, 2, 9, 0, 0x20, 0xC0}, nil},
		{"one octet too many, beside a cookie", []byte{0, 1, 24, 0, 10, 1, 2, 0}, []dns.EDNS0{cookie}},
	}
	for _, network := range networks {
		for _, c := range cases {
			t.Run(network+"/"+c.name, func(t *testing.T) {
				q := withRawECS(question("geo.example.test.", dns.TypeA), c.data...)
				q.IsEdns0().Option = append(q.IsEdns0().Option, c.more...)
				r := ts.exchange(t, network, q)
				if r.Rcode != dns.RcodeFormatError || len(r.Answer) != 0 {
					t.Errorf("reply:\n%s\nwant FORMERR", answerText(r))
				}
				if e := replyECS(t, r); e != nil {
					t.Errorf("FORMERR echoes ECS %v", e)
				}
			})
		}
	}
	// Two options, each well-formed: which subnet is the client's?
	for _, network := range networks {
		q := withECS(question("geo.example.test.", dns.TypeA), "10.1.2.0/24")
		second := *q.IsEdns0().Option[0].(*dns.EDNS0_SUBNET)
		second.Address = net.IPv4(10, 2, 0, 0)
		q.IsEdns0().Option = append(q.IsEdns0().Option, &second)
		if r := ts.exchange(t, network, q); r.Rcode != dns.RcodeFormatError {
			t.Errorf("%s: two ECS options: %s, want FORMERR", network, dns.RcodeToString[r.Rcode])
		}
	}
}

// TestECSBesideOtherOptions: the exact-length check counts the other
// options, so a well-formed ECS beside a cookie and padding is answered.
func TestECSBesideOtherOptions(t *testing.T) {
	ts := startServer(t, geoSnapshot(t), Options{})
	for _, network := range networks {
		q := withECS(question("geo.example.test.", dns.TypeA), "10.1.2.0/24")
		q.IsEdns0().Option = append(q.IsEdns0().Option,
			&dns.EDNS0_COOKIE{Code: dns.EDNS0COOKIE, Cookie: "0011223344556677"},
			&dns.EDNS0_PADDING{Padding: make([]byte, 13)})
		r := ts.exchange(t, network, q)
		if got, want := answerText(r), "NOERROR\ngeo.example.test. 30 IN A 192.0.2.101"; got != want {
			t.Errorf("%s: reply:\n%s\nwant:\n%s", network, got, want)
		}
		checkEcho(t, q, r, 16)
	}
}

// TestGeoSnapshotErrors: area answers NewSnapshot refuses, each with an
// error that names what to fix.
func TestGeoSnapshotErrors(t *testing.T) {
	geo := func(area, addr string) model.Answer {
		return model.Answer{Name: "geo.example.test.", Area: area, Type: model.TypeA, TTL: 30, Mode: model.ModeHealthy, Addrs: addrs(addr)}
	}
	cases := []struct {
		name    string
		answers []model.Answer
		static  Static
		want    string
	}{
		{"area not listed", []model.Answer{geo("", "192.0.2.1"), geo("mars", "192.0.2.2")}, geoStatic(), `area "mars", which Static.AreaNames does not list`},
		{"no default answer", []model.Answer{geo("eu", "192.0.2.2")}, geoStatic(), "has no default answer"},
		{"no default of that type", []model.Answer{geo("", "192.0.2.1"), {Name: "geo.example.test.", Area: "eu", Type: model.TypeAAAA, Addrs: addrs("2001:db8::1")}}, geoStatic(), "has no default answer"},
		{"two answers for one area", []model.Answer{geo("", "192.0.2.1"), geo("eu", "192.0.2.2"), geo("eu", "192.0.2.3")}, geoStatic(), `defined twice for area "eu"`},
		{"two default answers", []model.Answer{geo("", "192.0.2.1"), geo("", "192.0.2.3"), geo("eu", "192.0.2.2")}, geoStatic(), "defined twice"},
		{"no Areas", []model.Answer{geo("", "192.0.2.1"), geo("eu", "192.0.2.2")}, Static{AreaNames: testAreaNames}, "Static.Areas is nil"},
		{"area named twice", []model.Answer{geo("", "192.0.2.1")}, Static{Areas: testAreas(), AreaNames: []string{"eu", "eu"}}, `lists area "eu" twice`},
		{"empty area name", []model.Answer{geo("", "192.0.2.1")}, Static{Areas: testAreas(), AreaNames: []string{""}}, "AreaNames[0] is empty"},
		{"wrong family in an area", []model.Answer{geo("", "192.0.2.1"), geo("eu", "2001:db8::1")}, geoStatic(), "wrong family"},
		{"area CNAME beside the default AAAA", []model.Answer{geo("", "192.0.2.1"),
			{Name: "geo.example.test.", Type: model.TypeAAAA, Addrs: addrs("2001:db8::1")},
			{Name: "geo.example.test.", Area: "us", Type: model.TypeA, Target: "edge.test."}}, geoStatic(),
			`area "us": geo.example.test.: a service's CNAME answer beside other data (a service's AAAA answer)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := NewSnapshot(testZones(), c.answers, c.static)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("NewSnapshot: %v, want an error containing %q", err, c.want)
			}
		})
	}
}

// TestGeoNoAllocations holds geo answers (by ECS v4 and v6, by the sender,
// a geo CNAME) and the ECS echo on other names to no allocation, as every
// other answer.
func TestGeoNoAllocations(t *testing.T) {
	snap := geoSnapshot(t)
	out := make([]byte, 0, 1<<16)
	remotes := []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::ffff:10.1.2.3").Unmap(), {}}
	reqs := []*dns.Msg{
		withECS(question("geo.example.test.", dns.TypeA), "10.1.2.0/24"),
		withECS(question("geo.example.test.", dns.TypeAAAA), "2001:db8:e0:100::/56"),
		withECS(question("geo.example.test.", dns.TypeA), "203.0.113.7/32"),
		withECS(question("geocdn.example.test.", dns.TypeAAAA), "10.1.0.0/16"),
		withECS(question("www.example.test.", dns.TypeA), "10.1.2.0/24"),
		withECS(question("nope.example.test.", dns.TypeA), "10.1.2.0/24"),
		question("geo.example.test.", dns.TypeA),
		question("geocdn.example.test.", dns.TypeA),
		withRawECS(question("geo.example.test.", dns.TypeA), 0, 1, 24, 8, 10, 1, 2),
	}
	for _, wire := range []bool{false, true} {
		for _, req := range reqs {
			if wire { // as the server sees it: unpacked from the wire
				req = repack(t, req)
			}
			for _, remote := range remotes {
				for _, udp := range []bool{true, false} {
					if n := testing.AllocsPerRun(20, func() { snap.respond(out[:0], req, udp, remote) }); n != 0 {
						t.Errorf("%v from %v: %.1f allocations per query, want 0", req.Question, remote, n)
					}
				}
			}
		}
	}
}

// repack returns m as the server gets it: packed and unpacked again.
func repack(t testing.TB, m *dns.Msg) *dns.Msg {
	t.Helper()
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	var back dns.Msg
	if err := back.Unpack(b); err != nil {
		t.Fatal(err)
	}
	return &back
}

// TestECSOptionLength counts the bytes of an ECS option as the reply
// carries them: the echo is as long as the query's, for every source
// length, so RDLENGTH and the address octets agree.
func TestECSOptionLength(t *testing.T) {
	snap := geoSnapshot(t)
	for bits := 0; bits <= 32; bits++ {
		p := netip.PrefixFrom(netip.MustParseAddr("10.1.255.255"), bits).Masked()
		q := repack(t, withECS(question("geo.example.test.", dns.TypeA), p.String()))
		out, _ := snap.respond(nil, q, true, netip.Addr{})
		var r dns.Msg
		if err := r.Unpack(out); err != nil {
			t.Fatalf("/%d: reply does not parse: %v", bits, err)
		}
		opt := r.IsEdns0()
		if want := 4 + 4 + (bits+7)/8; opt == nil || int(opt.Hdr.Rdlength) != want {
			t.Fatalf("/%d: OPT %v, want RDLENGTH %d", bits, opt, want)
		}
		if got := binary.BigEndian.Uint16(out[len(out)-(bits+7)/8-6:]); got != uint16(4+(bits+7)/8) {
			t.Errorf("/%d: option length %d", bits, got)
		}
	}
}

// staticGeoSnapshot is staticSnapshot with the geo names and test areas.
func staticGeoSnapshot(t testing.TB) *Snapshot {
	t.Helper()
	st := geoStatic()
	st.Records = map[string][]dns.RR{"example.test.": staticRecords(t, "example.test.", staticZone)}
	st.Version = 5
	snap, err := NewSnapshot(testZones(), append(testAnswers(), geoAnswers()...), st)
	if err != nil {
		t.Fatalf("NewSnapshot: %v", err)
	}
	return snap
}

// TestQueryReportsArea holds what respond reports for metrics: Geo only
// when the answer depended on the client's area, and the area it was
// answered for ("" for a client in none), whether or not the area holds
// answers of its own.
func TestQueryReportsArea(t *testing.T) {
	snap := geoSnapshot(t)
	loopback := netip.MustParseAddr("127.0.0.1")
	cases := []struct {
		name   string
		req    *dns.Msg
		remote netip.Addr
		want   Query
	}{
		{"eu by ECS", withECS(question("geo.example.test.", dns.TypeA), "10.1.2.0/24"), netip.Addr{},
			Query{Type: dns.TypeA, Rcode: dns.RcodeSuccess, Geo: true, Area: "eu"}},
		{"area without answers of its own", withECS(question("geo.example.test.", dns.TypeA), "10.2.3.0/24"), netip.Addr{},
			Query{Type: dns.TypeA, Rcode: dns.RcodeSuccess, Geo: true, Area: "usw"}},
		{"in no area", withECS(question("geo.example.test.", dns.TypeA), "203.0.113.0/24"), netip.Addr{},
			Query{Type: dns.TypeA, Rcode: dns.RcodeSuccess, Geo: true}},
		{"by the sender", question("geocdn.example.test.", dns.TypeA), loopback,
			Query{Type: dns.TypeA, Rcode: dns.RcodeSuccess, Geo: true, Area: "lo"}},
		{"type no area answers", withECS(question("geo.example.test.", dns.TypeTXT), "10.1.2.0/24"), netip.Addr{},
			Query{Type: dns.TypeTXT, Rcode: dns.RcodeSuccess}},
		{"non-geo name", withECS(question("www.example.test.", dns.TypeA), "10.1.2.0/24"), loopback,
			Query{Type: dns.TypeA, Rcode: dns.RcodeSuccess}},
		{"malformed ECS", withRawECS(question("geo.example.test.", dns.TypeA), 0, 1, 24, 8, 10, 1, 2), netip.Addr{},
			Query{Type: dns.TypeA, Rcode: dns.RcodeFormatError}},
	}
	for _, c := range cases {
		if _, got := snap.respond(nil, repack(t, c.req), true, c.remote); got != c.want {
			t.Errorf("%s: Query %+v, want %+v", c.name, got, c.want)
		}
	}
}
