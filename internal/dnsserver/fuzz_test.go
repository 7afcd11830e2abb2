package dnsserver

import (
	"testing"

	"github.com/miekg/dns"

	"outlast/internal/config"
)

// FuzzServeDNS feeds arbitrary packets to the handler. The handler must
// never panic, must always write a well-formed reply within the size limit
// (except to responses, which it ignores), and must never hand out records
// for a name outside its zones.
func FuzzServeDNS(f *testing.F) {
	seeds := []*dns.Msg{
		question("www.example.test.", dns.TypeA),
		question("WwW.eXample.test.", dns.TypeAAAA),
		question("big.example.test.", dns.TypeAAAA),
		question("nope.sub.example.test.", dns.TypeANY),
		question("elsewhere.test.", dns.TypeNS),
		question("weighted.example.test.", dns.TypeA),
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
	seeds = append(seeds, escaped, notify, chaos, badVers, two, new(dns.Msg))
	for _, m := range seeds {
		packed, err := m.Pack()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(packed, false)
		f.Add(packed, true)
	}
	srv := New(Options{}, testSnapshot(f))
	zones := testZones()
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
	})
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
	for _, rr := range reply.Answer {
		if typ := rr.Header().Rrtype; (typ == dns.TypeA || typ == dns.TypeAAAA) && rr.Header().Name != q.Name {
			t.Fatalf("answer owner %q differs from the asked %q", rr.Header().Name, q.Name)
		}
	}
}
