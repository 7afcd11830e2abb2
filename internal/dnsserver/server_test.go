package dnsserver

import (
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// want describes the expected shape of a reply.
type want struct {
	rcode          int
	aa             bool
	answers        []string // the answer section, each RR in presentation form
	authorityTypes []uint16
}

func check(t *testing.T, r *dns.Msg, w want) {
	t.Helper()
	if r.Rcode != w.rcode {
		t.Errorf("rcode %s, want %s", dns.RcodeToString[r.Rcode], dns.RcodeToString[w.rcode])
	}
	if r.Authoritative != w.aa {
		t.Errorf("AA %v, want %v", r.Authoritative, w.aa)
	}
	if r.RecursionAvailable {
		t.Errorf("RA set; an authoritative-only server must never offer recursion")
	}
	var got []string
	for _, rr := range r.Answer {
		got = append(got, rr.String())
	}
	if !slices.Equal(got, w.answers) {
		t.Errorf("answer section\n got %q\nwant %q", got, w.answers)
	}
	var auth []uint16
	for _, rr := range r.Ns {
		auth = append(auth, rr.Header().Rrtype)
	}
	if !slices.Equal(auth, w.authorityTypes) {
		t.Errorf("authority types %v, want %v", auth, w.authorityTypes)
	}
}

func TestOutsideZonesRefused(t *testing.T) {
	ts := startServer(t, testSnapshot(t), Options{})
	for _, network := range networks {
		for _, name := range []string{"www.elsewhere.test.", "test.", ".", "xexample.test.", `foo\.example.test.`} {
			t.Run(network+"/"+name, func(t *testing.T) {
				m := question(name, dns.TypeA)
				m.RecursionDesired = true
				r := ts.exchange(t, network, m)
				check(t, r, want{rcode: dns.RcodeRefused})
				if !r.RecursionDesired {
					t.Errorf("RD not copied from the query")
				}
			})
		}
	}
}

func TestApexSOAAndNS(t *testing.T) {
	ts := startServer(t, testSnapshot(t), Options{})
	for _, network := range networks {
		t.Run(network, func(t *testing.T) {
			r := ts.exchange(t, network, question("example.test.", dns.TypeSOA))
			check(t, r, want{rcode: dns.RcodeSuccess, aa: true, answers: []string{
				"example.test.\t3600\tIN\tSOA\tns1.example.test. hostmaster.example.test. 7 3600 600 604800 5"}})

			r = ts.exchange(t, network, question("example.test.", dns.TypeNS))
			check(t, r, want{rcode: dns.RcodeSuccess, aa: true, answers: []string{
				"example.test.\t3600\tIN\tNS\tns1.example.test.", "example.test.\t3600\tIN\tNS\tns2.other.test."}})
			var extra []string
			for _, rr := range r.Extra {
				extra = append(extra, rr.String())
			}
			wantExtra := []string{"ns1.example.test.\t3600\tIN\tA\t192.0.2.53", "ns1.example.test.\t3600\tIN\tAAAA\t2001:db8::53"}
			if !slices.Equal(extra, wantExtra) {
				t.Errorf("glue %q, want %q (no glue for the out-of-zone ns2.other.test.)", extra, wantExtra)
			}

			// The in-zone nameserver name itself answers from its glue.
			r = ts.exchange(t, network, question("ns1.example.test.", dns.TypeA))
			check(t, r, want{rcode: dns.RcodeSuccess, aa: true, answers: []string{"ns1.example.test.\t3600\tIN\tA\t192.0.2.53"}})
		})
	}
}

func TestAddressAnswers(t *testing.T) {
	ts := startServer(t, testSnapshot(t), Options{})
	cases := []struct {
		name  string
		qtype uint16
		want  want
	}{
		{"www.example.test.", dns.TypeA, want{aa: true, answers: []string{"www.example.test.\t30\tIN\tA\t192.0.2.1"}}},
		{"www.example.test.", dns.TypeAAAA, want{aa: true, answers: []string{"www.example.test.\t30\tIN\tAAAA\t2001:db8::1"}}},
		{"deep.a.b.example.test.", dns.TypeA, want{aa: true, answers: []string{"deep.a.b.example.test.\t30\tIN\tA\t192.0.2.31"}}},
		// Mode empty (fail-closed): NODATA even though addresses came along.
		{"closed.example.test.", dns.TypeA, want{aa: true, authorityTypes: []uint16{dns.TypeSOA}}},
		// Longest zone wins: sub.example.test. answers its own names.
		{"app.sub.example.test.", dns.TypeA, want{aa: true, answers: []string{"app.sub.example.test.\t30\tIN\tA\t192.0.2.41"}}},
	}
	for _, network := range networks {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%s/%s/%s", network, c.name, dns.TypeToString[c.qtype]), func(t *testing.T) {
				check(t, ts.exchange(t, network, question(c.name, c.qtype)), c.want)
			})
		}
	}
}

func TestNegativeAnswers(t *testing.T) {
	ts := startServer(t, testSnapshot(t), Options{})
	cases := []struct {
		name    string
		qtype   uint16
		rcode   int
		soaOwnr string
	}{
		{"nope.example.test.", dns.TypeA, dns.RcodeNameError, "example.test."},
		{"x.www.example.test.", dns.TypeA, dns.RcodeNameError, "example.test."},
		{`a\.b.example.test.`, dns.TypeA, dns.RcodeNameError, "example.test."}, // one label, unlike the ENT a.b
		{"nope.sub.example.test.", dns.TypeA, dns.RcodeNameError, "sub.example.test."},
		{"www.example.test.", dns.TypeTXT, dns.RcodeSuccess, "example.test."},
		{"www.example.test.", dns.TypeNS, dns.RcodeSuccess, "example.test."}, // NS only at the apex
		{"b.example.test.", dns.TypeA, dns.RcodeSuccess, "example.test."},    // empty non-terminal
		{"a.b.example.test.", dns.TypeAAAA, dns.RcodeSuccess, "example.test."},
		{"example.test.", dns.TypeA, dns.RcodeSuccess, "example.test."},
		{"sub.example.test.", dns.TypeMX, dns.RcodeSuccess, "sub.example.test."},
	}
	for _, network := range networks {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%s/%s/%s", network, c.name, dns.TypeToString[c.qtype]), func(t *testing.T) {
				r := ts.exchange(t, network, question(c.name, c.qtype))
				check(t, r, want{rcode: c.rcode, aa: true, authorityTypes: []uint16{dns.TypeSOA}})
				if len(r.Ns) != 1 {
					return
				}
				soa := r.Ns[0].(*dns.SOA)
				// RFC 2308 5: the SOA TTL is min(SOA TTL 3600, minimum 5).
				if soa.Hdr.Name != c.soaOwnr || soa.Hdr.Ttl != 5 || soa.Minttl != 5 {
					t.Errorf("negative SOA %v, want owner %s with TTL 5 and minimum 5", soa, c.soaOwnr)
				}
			})
		}
	}
}

func TestWeightedAnswersFollowWeights(t *testing.T) {
	ts := startServer(t, testSnapshot(t), Options{})
	const n = 400
	seen := map[string]int{}
	for i := range n {
		r := ts.exchange(t, networks[i%2], question("weighted.example.test.", dns.TypeA))
		if len(r.Answer) != 1 {
			t.Fatalf("weighted answer has %d records, want 1: %v", len(r.Answer), r)
		}
		seen[r.Answer[0].(*dns.A).A.String()]++
	}
	// Pool b has weight 3 of 4: expect ~300 of 400; the bounds are ~8 sigma wide.
	if b := seen["192.0.2.22"]; b < 230 || b > 370 || seen["192.0.2.21"]+b != n {
		t.Errorf("weighted picks %v, want about 100 for .21 and 300 for .22", seen)
	}
}

func TestMultiAddressRotation(t *testing.T) {
	ts := startServer(t, testSnapshot(t), Options{})
	want := []string{"192.0.2.11", "192.0.2.12", "192.0.2.13", "192.0.2.14"}
	firsts := map[string]bool{}
	for range 64 {
		r := ts.exchange(t, "udp", question("multi.example.test.", dns.TypeA))
		var got []string
		for _, rr := range r.Answer {
			got = append(got, rr.(*dns.A).A.String())
		}
		firsts[got[0]] = true
		// Rotation keeps the cyclic order: the answer is want rotated.
		i := slices.Index(want, got[0])
		if !slices.Equal(got, append(slices.Clone(want[i:]), want[:i]...)) {
			t.Fatalf("answer %v is not a rotation of %v", got, want)
		}
	}
	if len(firsts) < 2 {
		t.Errorf("64 answers all started with the same address %v; expected rotation", firsts)
	}
}

func TestEDNSAndTruncation(t *testing.T) {
	ts := startServer(t, testSnapshot(t), Options{})
	cases := []struct {
		desc    string
		name    string
		network string
		edns    uint16 // 0: no OPT in the query
		tc      bool
		answers int
	}{
		{"30 AAAA need more than 512 bytes", "mid.example.test.", "udp", 0, true, 0},
		{"30 AAAA fit in 1232", "mid.example.test.", "udp", 1232, false, 30},
		{"buffer below 512 counts as 512", "mid.example.test.", "udp", 100, true, 0},
		{"600-byte buffer is honoured", "mid.example.test.", "udp", 600, true, 0},
		{"60 AAAA exceed our 1232 cap", "big.example.test.", "udp", 4096, true, 0},
		{"TCP carries all 60", "big.example.test.", "tcp", 0, false, 60},
		{"TCP with EDNS carries all 60", "big.example.test.", "tcp", 1232, false, 60},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			m := question(c.name, dns.TypeAAAA)
			if c.edns > 0 {
				m.SetEdns0(c.edns, false)
			}
			r := ts.exchange(t, c.network, m)
			if r.Truncated != c.tc || len(r.Answer) != c.answers {
				t.Errorf("TC=%v with %d answers, want TC=%v with %d", r.Truncated, len(r.Answer), c.tc, c.answers)
			}
			opt := r.IsEdns0()
			if (opt != nil) != (c.edns > 0) {
				t.Fatalf("OPT in reply: %v, want %v", opt != nil, c.edns > 0)
			}
			if opt != nil && opt.UDPSize() != maxUDPSize {
				t.Errorf("advertised UDP size %d, want %d", opt.UDPSize(), maxUDPSize)
			}
			if c.network == "udp" {
				limit := sizeLimit(m.IsEdns0(), true)
				if n := len(rawUDP(t, ts.udp, m)); n > limit {
					t.Errorf("reply is %d bytes on the wire, over the %d allowed", n, limit)
				}
			}
		})
	}
}

func TestEDNSFlagsAndVersion(t *testing.T) {
	ts := startServer(t, testSnapshot(t), Options{})
	for _, network := range networks {
		t.Run(network, func(t *testing.T) {
			m := question("www.example.test.", dns.TypeA)
			m.SetEdns0(1232, true)
			r := ts.exchange(t, network, m)
			if opt := r.IsEdns0(); opt == nil || !opt.Do() || opt.Version() != 0 {
				t.Errorf("reply OPT %v, want version 0 with DO copied from the query", opt)
			}

			m.IsEdns0().SetVersion(1)
			r = ts.exchange(t, network, m)
			if r.Rcode != dns.RcodeBadVers || len(r.Answer) != 0 || r.IsEdns0() == nil {
				t.Errorf("EDNS version 1: rcode %s with %d answers, want BADVERS, no answer, OPT present",
					dns.RcodeToString[r.Rcode], len(r.Answer))
			}
		})
	}
}

func TestCaseIsPreserved(t *testing.T) {
	ts := startServer(t, testSnapshot(t), Options{})
	for _, network := range networks {
		t.Run(network, func(t *testing.T) {
			r := ts.exchange(t, network, question("wWw.ExAmPlE.tEsT.", dns.TypeA))
			if q := r.Question[0].Name; q != "wWw.ExAmPlE.tEsT." {
				t.Errorf("question echoed as %q", q)
			}
			check(t, r, want{aa: true, answers: []string{"wWw.ExAmPlE.tEsT.\t30\tIN\tA\t192.0.2.1"}})

			r = ts.exchange(t, network, question("NoPe.ExAmPlE.TEST.", dns.TypeA))
			check(t, r, want{rcode: dns.RcodeNameError, aa: true, authorityTypes: []uint16{dns.TypeSOA}})
			if len(r.Ns) == 1 && r.Ns[0].Header().Name != "ExAmPlE.TEST." {
				t.Errorf("SOA owner %q, want the asked case ExAmPlE.TEST.", r.Ns[0].Header().Name)
			}

			r = ts.exchange(t, network, question("EXAMPLE.TEST.", dns.TypeNS))
			if len(r.Answer) != 2 || r.Answer[0].Header().Name != "EXAMPLE.TEST." {
				t.Errorf("NS answer %v, want 2 records owned by EXAMPLE.TEST.", r.Answer)
			}
		})
	}
}

func TestANYIsMinimal(t *testing.T) {
	ts := startServer(t, testSnapshot(t), Options{})
	cases := []struct {
		name  string
		rcode int
		want  string
	}{
		{"www.example.test.", dns.RcodeSuccess, "www.example.test.\t30\tIN\tA\t192.0.2.1"},
		{"big.example.test.", dns.RcodeSuccess, ""}, // AAAA only: checked by type below
		{"example.test.", dns.RcodeSuccess, "example.test.\t3600\tIN\tSOA\tns1.example.test. hostmaster.example.test. 7 3600 600 604800 5"},
		{"b.example.test.", dns.RcodeSuccess, "b.example.test.\t3600\tIN\tHINFO\t\"RFC8482\" \"\""},
		{"closed.example.test.", dns.RcodeSuccess, "closed.example.test.\t3600\tIN\tHINFO\t\"RFC8482\" \"\""},
		{"nope.example.test.", dns.RcodeNameError, ""},
	}
	for _, network := range networks {
		for _, c := range cases {
			t.Run(network+"/"+c.name, func(t *testing.T) {
				r := ts.exchange(t, network, question(c.name, dns.TypeANY))
				if r.Rcode != c.rcode || !r.Authoritative {
					t.Fatalf("rcode %s AA %v, want %s AA", dns.RcodeToString[r.Rcode], r.Authoritative, dns.RcodeToString[c.rcode])
				}
				types := map[uint16]bool{}
				for _, rr := range r.Answer {
					types[rr.Header().Rrtype] = true
				}
				if len(types) > 1 {
					t.Errorf("ANY answered with %d RRsets, want at most one (RFC 8482)", len(types))
				}
				if c.want != "" && (len(r.Answer) != 1 || r.Answer[0].String() != c.want) {
					t.Errorf("ANY answer %v, want %q", r.Answer, c.want)
				}
			})
		}
	}
}

func TestMalformedRequests(t *testing.T) {
	ts := startServer(t, testSnapshot(t), Options{})
	notify := question("example.test.", dns.TypeSOA)
	notify.Opcode = dns.OpcodeNotify
	update := new(dns.Msg)
	update.SetUpdate("example.test.")
	status := question("example.test.", dns.TypeSOA)
	status.Opcode = dns.OpcodeStatus
	none := new(dns.Msg)
	none.Id = dns.Id()
	two := question("www.example.test.", dns.TypeA)
	two.Question = append(two.Question, dns.Question{Name: "example.test.", Qtype: dns.TypeSOA, Qclass: dns.ClassINET})
	chaos := question("version.bind.", dns.TypeTXT)
	chaos.Question[0].Qclass = dns.ClassCHAOS
	chaosIn := question("www.example.test.", dns.TypeA)
	chaosIn.Question[0].Qclass = dns.ClassCHAOS
	axfr := question("example.test.", dns.TypeAXFR)

	cases := []struct {
		desc  string
		m     *dns.Msg
		rcode int
	}{
		{"NOTIFY opcode", notify, dns.RcodeNotImplemented},
		{"UPDATE opcode", update, dns.RcodeNotImplemented},
		{"STATUS opcode", status, dns.RcodeNotImplemented},
		{"no question", none, dns.RcodeFormatError},
		{"two questions", two, dns.RcodeFormatError},
		{"class CH outside zones", chaos, dns.RcodeRefused},
		{"class CH for a served name", chaosIn, dns.RcodeRefused},
		{"AXFR", axfr, dns.RcodeRefused},
	}
	for _, network := range networks {
		for _, c := range cases {
			if c.m == axfr && network == "udp" {
				continue
			}
			t.Run(network+"/"+c.desc, func(t *testing.T) {
				r := ts.exchange(t, network, c.m)
				if r.Rcode != c.rcode || len(r.Answer)+len(r.Ns) != 0 || r.Authoritative {
					t.Errorf("rcode %s with %d answer and %d authority records, AA %v; want %s, no records, no AA",
						dns.RcodeToString[r.Rcode], len(r.Answer), len(r.Ns), r.Authoritative, dns.RcodeToString[c.rcode])
				}
			})
		}
	}
}

// TestOnQueryHook: every reply is counted once, on either transport,
// including requests refused from their header alone. Each event is
// awaited before the next query, since the hook runs after the reply is
// written and so may lag the client.
func TestOnQueryHook(t *testing.T) {
	type event struct {
		qtype uint16
		rcode int
	}
	events := make(chan event, 16)
	ts := startServer(t, testSnapshot(t), Options{OnQuery: func(q Query) { events <- event{q.Type, q.Rcode} }})
	noQuestion := new(dns.Msg)
	noQuestion.Id = dns.Id()
	notify := question("example.test.", dns.TypeSOA)
	notify.Opcode = dns.OpcodeNotify
	cases := []struct {
		network string
		m       *dns.Msg
		want    event
	}{
		{"udp", question("www.example.test.", dns.TypeAAAA), event{dns.TypeAAAA, dns.RcodeSuccess}},
		{"tcp", question("nope.example.test.", dns.TypeA), event{dns.TypeA, dns.RcodeNameError}},
		{"udp", question("elsewhere.test.", dns.TypeMX), event{dns.TypeMX, dns.RcodeRefused}},
		{"tcp", noQuestion, event{0, dns.RcodeFormatError}},
		{"tcp", notify, event{0, dns.RcodeNotImplemented}},
		{"udp", noQuestion, event{0, dns.RcodeFormatError}},
	}
	for _, c := range cases {
		ts.exchange(t, c.network, c.m)
		select {
		case got := <-events:
			if got != c.want {
				t.Errorf("%s %v: OnQuery(%d, %d), want (%d, %d)", c.network, c.m.Question, got.qtype, got.rcode, c.want.qtype, c.want.rcode)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s %v: OnQuery not called within 5 s", c.network, c.m.Question)
		}
	}
}

func TestSwapChangesAnswers(t *testing.T) {
	ts := startServer(t, testSnapshot(t), Options{})
	answers := testAnswers()
	answers[0].Addrs = addrs("203.0.113.1")
	next, err := NewSnapshot(testZones(), answers, Static{})
	if err != nil {
		t.Fatal(err)
	}
	ts.Swap(next)
	r := ts.exchange(t, "udp", question("www.example.test.", dns.TypeA))
	check(t, r, want{aa: true, answers: []string{"www.example.test.\t30\tIN\tA\t203.0.113.1"}})

	ts.Swap(nil) // an empty snapshot refuses everything
	check(t, ts.exchange(t, "tcp", question("www.example.test.", dns.TypeA)), want{rcode: dns.RcodeRefused})
}

// TestHoldingAnswersServfail: a server holding its answers (a node catching
// up after a restart) sends resolvers to another nameserver, for every name
// and over both transports, and answers again once a snapshot is swapped in.
func TestHoldingAnswersServfail(t *testing.T) {
	ts := startServer(t, Holding(), Options{})
	for _, q := range []*dns.Msg{question("www.example.test.", dns.TypeA), question("example.test.", dns.TypeSOA),
		question("elsewhere.example.", dns.TypeA)} {
		for _, network := range []string{"udp", "tcp"} {
			check(t, ts.exchange(t, network, q), want{rcode: dns.RcodeServerFailure})
		}
	}
	ts.Swap(testSnapshot(t))
	check(t, ts.exchange(t, "udp", question("www.example.test.", dns.TypeA)),
		want{aa: true, answers: []string{"www.example.test.\t30\tIN\tA\t192.0.2.1"}})
}

func TestStartBindsOnePortForUDPAndTCP(t *testing.T) {
	ts := startServer(t, testSnapshot(t), Options{})
	_, up, _ := strings.Cut(ts.udp, ":")
	_, tp, _ := strings.Cut(ts.tcp, ":")
	if up != tp {
		t.Errorf("udp on %s, tcp on %s; want the same port", ts.udp, ts.tcp)
	}
	if _, _, err := ts.Start("127.0.0.1:0"); err != ErrStarted {
		t.Errorf("second Start: %v, want ErrStarted", err)
	}
	// A port that is already taken fails rather than retrying elsewhere.
	other := New(Options{}, nil)
	if _, _, err := other.Start(ts.udp); err == nil {
		t.Errorf("Start on the busy %s succeeded", ts.udp)
		_ = other.Shutdown(t.Context())
	}
}

// rawUDP sends m and returns the reply datagram exactly as it came.
func rawUDP(t *testing.T, addr string, m *dns.Msg) []byte {
	t.Helper()
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	packed, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write(packed); err != nil {
		t.Fatal(err)
	}
	if err := conn.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 65535)
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatalf("reading the reply from %s: %v", addr, err)
	}
	return buf[:n]
}
