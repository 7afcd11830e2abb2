package shiftwatch

import (
	"net"
	"testing"

	"github.com/miekg/dns"
)

func TestFromMsg(t *testing.T) {
	a := func(ip string) dns.RR {
		return &dns.A{Hdr: dns.RR_Header{Name: "x.", Rrtype: dns.TypeA, Class: dns.ClassINET}, A: net.ParseIP(ip)}
	}
	cname := &dns.CNAME{Hdr: dns.RR_Header{Name: "x.", Rrtype: dns.TypeCNAME, Class: dns.ClassINET}, Target: "y."}
	cases := []struct {
		name  string
		msg   dns.Msg
		kind  Kind
		addrs string
	}{
		{"addresses sorted, duplicates once, CNAME ignored",
			dns.Msg{Answer: []dns.RR{a("192.0.2.2"), cname, a("192.0.2.1"), a("192.0.2.2")}}, Answered, "[192.0.2.1 192.0.2.2]"},
		{"NODATA is an empty answer", dns.Msg{}, Answered, "[]"},
		{"NXDOMAIN", dns.Msg{MsgHdr: dns.MsgHdr{Rcode: dns.RcodeNameError}}, NXDomain, ""},
		{"SERVFAIL with records is still SERVFAIL",
			dns.Msg{MsgHdr: dns.MsgHdr{Rcode: dns.RcodeServerFailure}, Answer: []dns.RR{a("192.0.2.1")}}, ServFail, ""},
		{"REFUSED", dns.Msg{MsgHdr: dns.MsgHdr{Rcode: dns.RcodeRefused}}, OtherRcode, ""},
		{"truncated", dns.Msg{MsgHdr: dns.MsgHdr{Truncated: true}, Answer: []dns.RR{a("192.0.2.1")}}, Failed, ""},
	}
	for _, c := range cases {
		got := FromMsg(&c.msg)
		if got.Kind != c.kind || (c.kind == Answered && got.String() != c.addrs) || (c.kind != Answered && (got.Err == nil || got.Addrs != nil)) {
			t.Errorf("%s: %v %q (err %v), want %v %s", c.name, got.Kind, got.String(), got.Err, c.kind, c.addrs)
		}
	}
}

// FuzzFromMsg feeds arbitrary replies through the parser Ask uses: no
// panic, addresses only from NOERROR replies, sorted and unique.
//
//	go test -run '^$' -fuzz FuzzFromMsg -fuzztime 30s ./internal/shiftwatch/
func FuzzFromMsg(f *testing.F) {
	for _, rcode := range []int{dns.RcodeSuccess, dns.RcodeNameError, dns.RcodeServerFailure} {
		m := new(dns.Msg)
		m.SetQuestion("svc.example.test.", dns.TypeA)
		m.Rcode = rcode
		m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: "svc.example.test.", Rrtype: dns.TypeA, Class: dns.ClassINET},
			A: net.ParseIP("192.0.2.1")})
		data, _ := m.Pack()
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var m dns.Msg
		if m.Unpack(data) != nil {
			return
		}
		a := FromMsg(&m)
		if (a.Kind == Answered) != (m.Rcode == dns.RcodeSuccess && !m.Truncated) {
			t.Fatalf("kind %v for rcode %d truncated %v", a.Kind, m.Rcode, m.Truncated)
		}
		if a.Kind != Answered && (a.Err == nil || len(a.Addrs) > 0) {
			t.Fatalf("a failure must carry an error and no address: %+v", a)
		}
		for i := 1; i < len(a.Addrs); i++ {
			if a.Addrs[i-1].Compare(a.Addrs[i]) >= 0 {
				t.Fatalf("addresses not sorted and unique: %v", a.Addrs)
			}
		}
		if len(a.Addrs) > len(m.Answer) {
			t.Fatalf("%d addresses from %d records", len(a.Addrs), len(m.Answer))
		}
	})
}
