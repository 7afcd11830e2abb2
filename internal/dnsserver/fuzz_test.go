package dnsserver

import (
	"encoding/binary"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"outlast/internal/config"
	"outlast/internal/model"
	"outlast/internal/udpbatch"
)

// FuzzServeDNS feeds arbitrary packets to the handler, over a snapshot with
// steered answers (addresses, CNAMEs, weighted CNAMEs, unresolved, geo
// names answered per client area) and static records (CNAME chains, a
// delegation, MX and SRV), with and without EDNS Client Subnet options.
// The handler must never panic, must always write a well-formed reply
// within the size limit (except to responses, which it ignores), must never
// hand out records for a name outside its zones, must echo a query's ECS
// option as asked (scope 0 for every name but the geo ones) or answer
// FORMERR, and must answer without allocating.
func FuzzServeDNS(f *testing.F) {
	seeds := []*dns.Msg{
		question("www.example.test.", dns.TypeA),
		question("WwW.eXample.test.", dns.TypeAAAA),
		question("big.example.test.", dns.TypeAAAA),
		question("nope.sub.example.test.", dns.TypeANY),
		question("elsewhere.test.", dns.TypeNS),
		question("weighted.example.test.", dns.TypeA),
	}
	for _, q := range []struct {
		name  string
		qtype uint16
	}{{"AlIaS.example.test.", dns.TypeA}, {"loop1.example.test.", dns.TypeAAAA}, {"x.child.example.test.", dns.TypeA},
		{"child.example.test.", dns.TypeDS}, {"example.test.", dns.TypeMX}, {"_sip._tcp.example.test.", dns.TypeSRV},
		{"ent.x.example.test.", dns.TypeTXT}, {"dangling.example.test.", dns.TypeMX}, {"tosub.example.test.", dns.TypeANY},
		{"cdn.example.test.", dns.TypeMX}, {"wcdn.example.test.", dns.TypeA}, {"flat.example.test.", dns.TypeA},
		{"toflat.example.test.", dns.TypeAAAA}, {"tocdn.example.test.", dns.TypeCNAME}} {
		seeds = append(seeds, question(q.name, q.qtype))
	}
	seeds[2].SetEdns0(4096, true)
	escaped := question(`foo\.example.test.`, dns.TypeA) // one label "foo.example" under test.
	notify := question("example.test.", dns.TypeSOA)
	notify.Opcode = dns.OpcodeNotify
	chaos := question("www.example.test.", dns.TypeA)
	chaos.Question[0].Qclass = dns.ClassCHAOS
	badVers := question("www.example.test.", dns.TypeA)
	badVers.SetEdns0(512, false)
	badVers.IsEdns0().SetVersion(3)
	two := question("www.example.test.", dns.TypeA)
	two.Question = append(two.Question, two.Question[0])
	seeds = append(seeds, escaped, notify, chaos, badVers, two, new(dns.Msg),
		withECS(question("geo.example.test.", dns.TypeA), "10.1.2.0/24"),
		withECS(question("GEO.example.test.", dns.TypeAAAA), "2001:db8:e0:100::/56"),
		withECS(question("geocdn.example.test.", dns.TypeMX), "10.2.3.7/32"),
		withECS(question("www.example.test.", dns.TypeA), "192.0.2.0/24"),
		withECS(question("togeo.example.test.", dns.TypeA), "0.0.0.0/0"),
		question("geo.example.test.", dns.TypeANY),
		withRawECS(question("geo.example.test.", dns.TypeA), 0, 0, 0, 0),
		withRawECS(question("geo.example.test.", dns.TypeA), 0, 1, 24, 0, 10, 1, 2, 0),
		withRawECS(question("geo.example.test.", dns.TypeA), 0, 1, 23, 0, 10, 1, 3),
		withRawECS(question("nope.example.test.", dns.TypeA), 0, 2, 56, 0, 0x20, 1, 0xd, 0xb8, 0, 0xe0, 1))
	for _, m := range seeds {
		packed, err := m.Pack()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(packed, false)
		f.Add(packed, true)
	}
	snap := staticGeoSnapshot(f)
	srv := New(Options{}, snap)
	zones := testZones()
	big := make([]byte, 0, dns.MaxMsgSize)
	f.Fuzz(func(t *testing.T, packet []byte, tcp bool) {
		req := new(dns.Msg)
		if req.Unpack(packet) != nil {
			return // the miekg server drops these before any handler runs
		}
		w := newMemWriter(tcp)
		srv.ServeDNS(w, req)
		if req.Response {
			if w.writes != 0 {
				t.Fatalf("answered a response message")
			}
			return
		}
		if w.writes != 1 {
			t.Fatalf("%d writes, want exactly one reply", w.writes)
		}
		checkFuzzReply(t, req, w.out, tcp, zones)
		checkFuzzECS(t, req, w.out)
		// miekg's PackDomainName copies a name that holds escapes (\. or
		// \DDD) once to unescape it when echoing the question; nothing else
		// may allocate.
		allowed := 0.0
		if len(req.Question) == 1 && strings.Contains(req.Question[0].Name, `\`) {
			allowed = 1
		}
		if n := testing.AllocsPerRun(1, func() { snap.respond(big[:0], req, !tcp, addrOf(w.remote)) }); n > allowed {
			t.Fatalf("%.0f allocations answering %v, %.0f allowed", n, req.Question, allowed)
		}
	})
}

// checkFuzzECS holds a reply to the ECS rules: a query whose option we
// accept gets it back, family, source and address as asked, when it is
// answered (NOERROR or NXDOMAIN) and never otherwise, with scope 0 except
// for the geo names, whose scope stays within the lookup limit; a query
// whose option we refuse gets FORMERR.
func checkFuzzECS(t *testing.T, req *dns.Msg, out []byte) {
	var reply dns.Msg
	if reply.Unpack(out) != nil || len(req.Question) != 1 {
		return // checkFuzzReply has failed already, or no question
	}
	got := replyECS(t, &reply)
	if reply.Rcode != dns.RcodeSuccess && reply.Rcode != dns.RcodeNameError {
		if got != nil {
			t.Fatalf("rcode %s with ECS %v", dns.RcodeToString[reply.Rcode], got)
		}
		return
	}
	opt := req.IsEdns0()
	if opt == nil {
		if got != nil {
			t.Fatalf("ECS %v in the reply to a query without EDNS", got)
		}
		return
	}
	asked, ok := parseECS(opt)
	switch {
	case !ok:
		t.Fatalf("malformed ECS answered %s", dns.RcodeToString[reply.Rcode])
	case !asked.present && got != nil:
		t.Fatalf("ECS %v in the reply to a query without it", got)
	case !asked.present:
		return
	case got == nil:
		t.Fatalf("no ECS in the reply to a query with %v", opt)
	case got.Family != asked.family || got.SourceNetmask != asked.source || asked.family != 0 && !got.Address.Equal(net.IP(asked.addr.AsSlice())):
		t.Fatalf("ECS %v echoed for %v", got, opt)
	}
	geo := strings.EqualFold(req.Question[0].Name, "geo.example.test.") || strings.EqualFold(req.Question[0].Name, "geocdn.example.test.")
	if limit := MaxECSBits6; got.SourceScope != 0 && (!geo || int(got.SourceScope) > limit) {
		t.Fatalf("scope %d for %s", got.SourceScope, req.Question[0].Name)
	}
}

func checkFuzzReply(t *testing.T, req *dns.Msg, out []byte, tcp bool, zones []config.Zone) {
	reply := new(dns.Msg)
	if err := reply.Unpack(out); err != nil {
		t.Fatalf("reply does not parse: %v\n%x", err, out)
	}
	if reply.Id != req.Id || !reply.Response {
		t.Fatalf("reply id %d response %v, want id %d and QR", reply.Id, reply.Response, req.Id)
	}
	if limit := sizeLimit(req.IsEdns0(), !tcp); len(out) > limit {
		t.Fatalf("reply of %d bytes over the %d limit", len(out), limit)
	}
	if req.Opcode != dns.OpcodeQuery || len(req.Question) != 1 {
		if len(reply.Answer)+len(reply.Ns) > 0 {
			t.Fatalf("records in a reply to opcode %d with %d questions", req.Opcode, len(req.Question))
		}
		return
	}
	q := req.Question[0]
	inZone := false
	for _, z := range zones {
		inZone = inZone || dns.IsSubDomain(z.Apex, q.Name)
	}
	if (!inZone || q.Qclass != dns.ClassINET) && len(reply.Answer)+len(reply.Ns) > 0 {
		t.Fatalf("answered %s (class %d) outside our zones: %v", q.Name, q.Qclass, reply)
	}
	if len(reply.Question) != 1 || reply.Question[0] != q {
		t.Fatalf("question echoed as %v, asked %v", reply.Question, q)
	}
	if reply.Rcode == dns.RcodeServerFailure && len(reply.Answer)+len(reply.Ns) > 0 {
		t.Fatalf("SERVFAIL with records: a resolver must cache nothing from it: %v", reply)
	}
	if !reply.Authoritative && len(reply.Answer) > 0 {
		t.Fatalf("a referral (AA clear) with an answer: %v", reply)
	}
	if len(reply.Answer) > 0 && reply.Answer[0].Header().Name != q.Name {
		t.Fatalf("first answer owner %q differs from the asked %q", reply.Answer[0].Header().Name, q.Name)
	}
	for _, rr := range reply.Answer {
		if rr.Header().Rrtype == dns.TypeCNAME {
			return // the rest is owned by the chain's targets
		}
		if typ := rr.Header().Rrtype; (typ == dns.TypeA || typ == dns.TypeAAAA) && rr.Header().Name != q.Name {
			t.Fatalf("answer owner %q differs from the asked %q", rr.Header().Name, q.Name)
		}
	}
}

// FuzzUDPBatch feeds batches of arbitrary datagrams through the UDP batch
// path (answerBatch, what serveUDP runs on each recvmmsg batch), reusing
// its buffers across batches as the loop does. Every datagram with a header
// that is not a response must get exactly one reply, in order, to its own
// sender, carrying its ID, that parses, fits the UDP limits and is counted
// with the rcode it carries; every other datagram gets none.
func FuzzUDPBatch(f *testing.F) {
	var seeds [][]byte
	for _, m := range []*dns.Msg{
		question("www.example.test.", dns.TypeA), question("big.example.test.", dns.TypeAAAA),
		extra(question("mid.example.test.", dns.TypeAAAA), ednsOPT()), extra(question("www.example.test.", dns.TypeA), ednsOPT(), ednsOPT()),
		extra(question("www.example.test.", dns.TypeA), unknownTSIG()), twoQuestions(), new(dns.Msg),
	} {
		b, err := m.Pack()
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	www := seeds[0]
	seeds = append(seeds, withQuestions(www, 65535, 600), []byte{1, 2, 3}, append([]byte{0, 1, 0x80}, www[3:]...))
	f.Add(batchInput(seeds...))
	f.Add(batchInput(seeds[0], seeds[7], seeds[8], seeds[1]))
	f.Add(batchInput(seeds[2]))
	srv := New(Options{}, testSnapshot(f))
	in, out := newBatch(udpBufSize), newBatch(0)
	l := newLoop()
	batchOOB := receivedOOB(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		dgrams := splitBatch(data)
		for i, d := range dgrams {
			in[i].N = copy(in[i].Buf[:udpBufSize], d) // longer ones arrive cut short, as from the kernel
			in[i].Addr = netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), uint16(1000+i))
			in[i].NN = copy(in[i].OOB, batchOOB)
		}
		k := srv.answerBatch(l, in[:len(dgrams)], out)
		checkBatch(t, in[:len(dgrams)], out[:k], l.seen[:k])
	})
}

// receivedOOB returns the control messages the kernel attaches to a
// datagram sent to 127.0.0.1 on a socket of ours, to hand the batch path
// exactly what recvmmsg gives it.
func receivedOOB(f *testing.F) []byte {
	conns, err := listenUDP("127.0.0.1:0", 1)
	if err != nil {
		f.Fatal(err)
	}
	defer closeAll(conns)
	c, err := net.Dial("udp", conns[0].LocalAddr().String())
	if err != nil {
		f.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("x")); err != nil {
		f.Fatal(err)
	}
	in := newBatch(16)
	bc, err := udpbatch.New(conns[0], 1)
	if err != nil {
		f.Fatal(err)
	}
	_ = conns[0].SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := bc.Read(in[:1]); err != nil || in[0].NN == 0 {
		f.Fatalf("receiving a datagram with its destination: %v (%d bytes of control messages)", err, in[0].NN)
	}
	return in[0].OOB[:in[0].NN]
}

// batchInput joins datagrams, each after a two-byte length, as splitBatch
// reads them.
func batchInput(dgrams ...[]byte) []byte {
	var out []byte
	for _, d := range dgrams {
		out = binary.BigEndian.AppendUint16(out, uint16(len(d)))
		out = append(out, d...)
	}
	return out
}

// splitBatch cuts fuzz input into at most udpBatch datagrams, each a
// two-byte length and that many bytes (or what is left).
func splitBatch(data []byte) [][]byte {
	var out [][]byte
	for len(data) >= 2 && len(out) < udpBatch {
		n := min(int(binary.BigEndian.Uint16(data)), len(data)-2)
		out = append(out, data[2:2+n])
		data = data[2+n:]
	}
	return out
}

func checkBatch(t *testing.T, in, out []udpbatch.Message, seen []Query) {
	j := 0
	for i := range in {
		d := in[i].Buf[:in[i].N]
		if len(d) < headerLen || d[2]&0x80 != 0 {
			continue // no reply: too short to answer, or a response
		}
		if j == len(out) {
			t.Fatalf("datagram %d (% x) got no reply; %d replies for %d datagrams", i, d, len(out), len(in))
		}
		r := out[j]
		if r.Addr.Port() != uint16(1000+i) || r.NN == 0 || r.N != len(r.Buf) {
			t.Fatalf("reply %d goes to %v with control message %x, want port %d from 127.0.0.1", j, r.Addr, r.OOB, 1000+i)
		}
		var reply dns.Msg
		if err := reply.Unpack(r.Buf); err != nil {
			t.Fatalf("reply to datagram %d does not parse: %v\n%x", i, err, r.Buf)
		}
		if id := binary.BigEndian.Uint16(d); reply.Id != id || !reply.Response {
			t.Fatalf("reply to datagram %d: ID %d response %v, want ID %d and QR", i, reply.Id, reply.Response, id)
		}
		if reply.Rcode != seen[j].Rcode {
			t.Fatalf("reply to datagram %d carries rcode %d, counted as %d", i, reply.Rcode, seen[j].Rcode)
		}
		limit := maxUDPSize
		var req dns.Msg
		if req.Unpack(d) == nil && req.IsEdns0() == nil {
			limit = dns.MinMsgSize
		}
		if len(r.Buf) > limit {
			t.Fatalf("reply to datagram %d is %d bytes, over the %d allowed", i, len(r.Buf), limit)
		}
		j++
	}
	if j != len(out) {
		t.Fatalf("%d replies for %d datagrams that deserve one", len(out), j)
	}
}

// FuzzStaticZone builds snapshots from arbitrary master-file text for
// example.test. (beside the steered answers, and steered CNAMEs to the
// fuzzed name: fz1 fixed, fz2 weighted between it and the text's first
// owner; for odd-length text the fuzzed name also gets an unresolved A)
// and asks every owner name of the text, the fuzzed name and the steered
// CNAMEs, for a set of types over both transports.
// Building either fails with an error or gives a snapshot whose every reply
// parses, fits its limit, answers what was asked (the first owner is the
// question name) and costs no allocation; whatever the chains, loops and
// delegations in the text.
func FuzzStaticZone(f *testing.F) {
	f.Add(staticZone, "alias.example.test.")
	f.Add("a CNAME b\nb CNAME c\nc CNAME a\n", "a.example.test.")
	f.Add("d NS ns.d\nns.d A 192.0.2.1\nx CNAME y.d\n", "q.y.d.example.test.")
	f.Add("@ MX 0 .\ns SRV 0 0 0 .\nm MX 1 m\nm A 192.0.2.9\n", "m.example.test.")
	f.Add("t CNAME fz2\nu CNAME cdn\n", "t.example.test.")
	f.Add("cdn TXT \"x\"\nfz1 A 192.0.2.1\n", "wcdn.example.test.")
	f.Add("x AAAA 2001:db8::1\n", "x.example.test.")
	zones := testZones()
	out := make([]byte, 0, dns.MaxMsgSize)
	f.Fuzz(func(t *testing.T, text, name string) {
		if len(text) > 4096 {
			return // bound the zone: building is linear in it, not the point here
		}
		zp := dns.NewZoneParser(strings.NewReader(text), "example.test.", "fuzz.zone")
		zp.SetDefaultTTL(300)
		var rrs []dns.RR
		for rr, ok := zp.Next(); ok && len(rrs) < 200; rr, ok = zp.Next() {
			rrs = append(rrs, rr)
		}
		if zp.Err() != nil {
			return
		}
		snap, err := NewSnapshot(zones, fuzzAnswers(text, name, rrs), Static{Records: map[string][]dns.RR{"example.test.": rrs}, Version: 3})
		if err != nil {
			return
		}
		names := []string{name, "example.test.", "fz1.example.test.", "fz2.example.test."}
		for _, rr := range rrs {
			names = append(names, rr.Header().Name)
		}
		for _, n := range names {
			if !canonical(dns.Fqdn(n)) {
				continue // the question would not echo as written; FuzzServeDNS covers such names
			}
			for _, qtype := range []uint16{dns.TypeA, dns.TypeAAAA, dns.TypeCNAME, dns.TypeNS, dns.TypeDS, dns.TypeMX, dns.TypeSRV, dns.TypeTXT, dns.TypeANY} {
				for _, udp := range []bool{true, false} {
					req := question(dns.Fqdn(n), qtype)
					reply, _ := snap.respond(out[:0], req, udp, netip.Addr{})
					checkFuzzReply(t, req, reply, !udp, zones)
					if a := testing.AllocsPerRun(1, func() { snap.respond(out[:0], req, udp, netip.Addr{}) }); a != 0 {
						t.Fatalf("%.0f allocations answering %s %s", a, n, dns.TypeToString[qtype])
					}
				}
			}
		}
	})
}

// fuzzAnswers returns testAnswers and, when name is a domain name, steered
// CNAMEs to it (fz1, and fz2 weighted with the first owner of rrs), and for
// odd-length text an unresolved A at name, when it lies in example.test.
func fuzzAnswers(text, name string, rrs []dns.RR) []model.Answer {
	answers := testAnswers()
	if _, ok := dns.IsDomainName(name); !ok || name == "" {
		return answers
	}
	name = dns.Fqdn(name)
	other := "example.test."
	if len(rrs) > 0 {
		other = rrs[0].Header().Name
	}
	answers = append(answers,
		model.Answer{Name: "fz1.example.test.", Type: model.TypeA, TTL: 60, Target: name},
		model.Answer{Name: "fz2.example.test.", Type: model.TypeAAAA, TTL: 60, Pools: []model.WeightedPool{
			{Endpoint: "a", Weight: 1, Target: name}, {Endpoint: "b", Weight: uint32(len(text)), Target: other}}})
	if len(text)%2 == 1 && dns.IsSubDomain("example.test.", name) {
		answers = append(answers, model.Answer{Name: name, Type: model.TypeA, TTL: 30, Mode: model.ModeUnresolved})
	}
	return answers
}

// canonical reports whether a name packs and unpacks to itself, escapes
// and all, so a reply's question can be compared with it as a string.
func canonical(name string) bool {
	buf := make([]byte, maxNameLen)
	n, err := dns.PackDomainName(name, buf, 0, nil, false)
	if err != nil {
		return false
	}
	back, _, err := dns.UnpackDomainName(buf[:n], 0)
	return err == nil && back == name && !strings.Contains(name, `\`)
}
