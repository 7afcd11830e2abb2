package dnsserver

import (
	"encoding/hex"
	"net"
	"testing"

	"github.com/miekg/dns"
)

// nsidOf returns the NSID option's data in r, and whether there was one.
func nsidOf(r *dns.Msg) (string, bool) {
	opt := r.IsEdns0()
	if opt == nil {
		return "", false
	}
	for _, o := range opt.Option {
		if n, ok := o.(*dns.EDNS0_NSID); ok {
			b, _ := hex.DecodeString(n.Nsid) // miekg keeps NSID as hex
			return string(b), true
		}
	}
	return "", false
}

// TestNSID: a query with the NSID option gets this node's identifier back
// (RFC 5001), over UDP and TCP, beside an ECS option, on an error too; a
// query without it, or a node without one, gets none.
func TestNSID(t *testing.T) {
	snap, err := NewSnapshot(testZones(), testAnswers(), Static{NSID: []byte("ns-aws-use1")})
	if err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, snap, Options{})
	ask := func(name string, nsid, subnet bool) *dns.Msg {
		m := new(dns.Msg)
		m.SetQuestion(name, dns.TypeA)
		m.SetEdns0(1232, false)
		opt := m.IsEdns0()
		if nsid {
			opt.Option = append(opt.Option, &dns.EDNS0_NSID{Code: dns.EDNS0NSID})
		}
		if subnet {
			opt.Option = append(opt.Option, &dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: 1, SourceNetmask: 24, Address: net.IPv4(198, 51, 100, 0).To4()})
		}
		return m
	}
	for _, network := range []string{"udp", "tcp"} {
		for _, c := range []struct {
			name          string
			qname         string
			nsid, subnet  bool
			want          bool
			wantRcode     int
			wantECSEchoed bool
		}{
			{"asked", "www.example.test.", true, false, true, dns.RcodeSuccess, false},
			{"not asked", "www.example.test.", false, false, false, dns.RcodeSuccess, false},
			{"beside ECS", "www.example.test.", true, true, true, dns.RcodeSuccess, true},
			{"on NXDOMAIN", "nope.example.test.", true, false, true, dns.RcodeNameError, false},
			{"outside our zones", "example.org.", true, false, true, dns.RcodeRefused, false},
		} {
			r := ts.exchange(t, network, ask(c.qname, c.nsid, c.subnet))
			got, ok := nsidOf(r)
			if ok != c.want || (ok && got != "ns-aws-use1") || r.Rcode != c.wantRcode {
				t.Errorf("%s %s: rcode %s, NSID %q (%v); want %s and NSID %v", network, c.name, dns.RcodeToString[r.Rcode], got, ok,
					dns.RcodeToString[c.wantRcode], c.want)
			}
			echoed := false
			for _, o := range r.IsEdns0().Option {
				_, echoed = o.(*dns.EDNS0_SUBNET)
				if echoed {
					break
				}
			}
			if echoed != c.wantECSEchoed {
				t.Errorf("%s %s: ECS echoed %v, want %v", network, c.name, echoed, c.wantECSEchoed)
			}
		}
	}
	none := startServer(t, testSnapshot(t), Options{})
	if _, ok := nsidOf(none.exchange(t, "udp", ask("www.example.test.", true, false))); ok {
		t.Error("a node without an identifier answered NSID")
	}
}
