package shiftwatch

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"outlast/internal/dnstest"
)

// reply is what a test nameserver answers now.
type reply struct {
	rcode  int
	addrs  []netip.Addr
	silent bool // drop the query: the client times out
}

// testServer is a real miekg/dns server on loopback whose answer the test
// changes while it runs, over UDP and TCP on the same port.
type testServer struct {
	addr string
	now  atomic.Pointer[reply]
	// truncateUDP sets TC on every UDP reply, so clients must retry over TCP.
	truncateUDP atomic.Bool
}

func startServer(t *testing.T, r reply) *testServer {
	t.Helper()
	s := &testServer{}
	s.set(r)
	s.addr = dnstest.Serve(t, s)
	return s
}

func (s *testServer) set(r reply) { s.now.Store(&r) }

func (s *testServer) ServeDNS(w dns.ResponseWriter, q *dns.Msg) {
	r := s.now.Load()
	if r.silent {
		return
	}
	m := new(dns.Msg)
	m.SetRcode(q, r.rcode)
	m.Authoritative = true
	if _, udp := w.RemoteAddr().(*net.UDPAddr); udp && s.truncateUDP.Load() {
		m.Truncated = true
		_ = w.WriteMsg(m)
		return
	}
	for _, a := range r.addrs {
		hdr := dns.RR_Header{Name: q.Question[0].Name, Class: dns.ClassINET, Ttl: 1}
		switch {
		case a.Is4() && q.Question[0].Qtype == dns.TypeA:
			hdr.Rrtype = dns.TypeA
			m.Answer = append(m.Answer, &dns.A{Hdr: hdr, A: a.AsSlice()})
		case a.Is6() && q.Question[0].Qtype == dns.TypeAAAA:
			hdr.Rrtype = dns.TypeAAAA
			m.Answer = append(m.Answer, &dns.AAAA{Hdr: hdr, AAAA: a.AsSlice()})
		}
	}
	_ = w.WriteMsg(m)
}

func TestWatchTimesEachNameserversShift(t *testing.T) {
	early, late := startServer(t, reply{addrs: []netip.Addr{old}}), startServer(t, reply{addrs: []netip.Addr{old}})
	start := time.Now()
	time.AfterFunc(200*time.Millisecond, func() { early.set(reply{addrs: []netip.Addr{alt}}) })
	time.AfterFunc(600*time.Millisecond, func() { late.set(reply{addrs: []netip.Addr{alt}}) })
	r, err := Watch(context.Background(), Options{
		Nameservers: []string{early.addr, late.addr}, Query: Query{Name: "svc.example.test"},
		Rule: Rule{Want: Without(old)}, Interval: 20 * time.Millisecond, Deadline: 20 * time.Second, Start: start,
	})
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	e, l := r.Servers[0], r.Servers[1]
	if !r.AllShifted || r.First != e.At || r.All != l.At {
		t.Fatalf("report %+v: want every server shifted, First the early one's time, All the late one's", r)
	}
	// The answers changed at 200 and 600 ms; a poll sees a change within an
	// interval of it (generous bounds: a busy machine delays the timers).
	if e.At < 200*time.Millisecond || l.At < 600*time.Millisecond || e.At >= l.At || l.At > 10*time.Second {
		t.Errorf("shift times %v and %v: want at least 200 ms and 600 ms, in that order", e.At, l.At)
	}
	if e.Answers == 0 || e.Failed() != 0 || e.Flaps != 0 {
		t.Errorf("early server: %d answers, %d failures, %d flaps; want answers and no failure or flap", e.Answers, e.Failed(), e.Flaps)
	}
}

func TestWatchReportsFailuresDistinctlyAndNeverAsAShift(t *testing.T) {
	cases := []struct {
		name string
		r    reply
		kind Kind
	}{
		{"SERVFAIL", reply{rcode: dns.RcodeServerFailure}, ServFail},
		{"NXDOMAIN", reply{rcode: dns.RcodeNameError}, NXDomain},
		{"REFUSED", reply{rcode: dns.RcodeRefused}, OtherRcode},
		{"silence", reply{silent: true}, Timeout},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := startServer(t, c.r)
			// An empty answer would satisfy Without(old): the failure must not look like one.
			r, err := Watch(context.Background(), Options{
				Nameservers: []string{s.addr}, Query: Query{Name: "svc.example.test", Timeout: 100 * time.Millisecond},
				Rule: Rule{Want: Without(old)}, Interval: 50 * time.Millisecond, Deadline: 700 * time.Millisecond,
			})
			if !errors.Is(err, ErrNotShifted) {
				t.Fatalf("Watch: %v, want ErrNotShifted", err)
			}
			srv := r.Servers[0]
			if srv.Shifted || srv.Failures[c.kind] == 0 || srv.Failures[c.kind] != srv.Failed() || srv.Last.Kind != c.kind {
				t.Errorf("server %+v: want not shifted, every failure of kind %s", srv, c.kind)
			}
		})
	}
}

func TestAskRetriesTruncatedRepliesOverTCPAndJoinsTypes(t *testing.T) {
	s := startServer(t, reply{addrs: []netip.Addr{alt, old, v6}})
	s.truncateUDP.Store(true)
	a := Ask(context.Background(), s.addr, Query{Name: "svc.example.test", Types: []uint16{dns.TypeA, dns.TypeAAAA}})
	if a.Kind != Answered || !Exactly(old, alt, v6)(a.Addrs) {
		t.Errorf("Ask: %v %v, want every address, sorted, from TCP", a.Kind, a)
	}
}

// senders records the address every query came from, then hands it on.
type senders struct {
	dns.Handler
	mu   sync.Mutex
	from []netip.Addr
}

func (s *senders) ServeDNS(w dns.ResponseWriter, q *dns.Msg) {
	ap, _ := netip.ParseAddrPort(w.RemoteAddr().String())
	s.mu.Lock()
	s.from = append(s.from, ap.Addr())
	s.mu.Unlock()
	s.Handler.ServeDNS(w, q)
}

func TestAskSendsFromSourceOverUDPAndTCP(t *testing.T) {
	inner := &testServer{}
	inner.set(reply{addrs: []netip.Addr{old}})
	inner.truncateUDP.Store(true)
	rec := &senders{Handler: inner}
	addr := dnstest.Serve(t, rec)
	source := netip.MustParseAddr("127.0.0.9")
	a := Ask(context.Background(), addr, Query{Name: "svc.example.test", Source: source})
	if a.Kind != Answered || !Exactly(old)(a.Addrs) {
		t.Fatalf("Ask: %v %v, want old from TCP", a.Kind, a)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.from) != 2 || rec.from[0] != source || rec.from[1] != source {
		t.Errorf("queries came from %v, want %s over UDP then TCP", rec.from, source)
	}
}

func TestWatchNeedsNameserversAndAPredicate(t *testing.T) {
	if _, err := Watch(context.Background(), Options{Rule: Rule{Want: With(old)}}); !errors.Is(err, ErrNoNameservers) {
		t.Errorf("no nameservers: %v", err)
	}
	if _, err := Watch(context.Background(), Options{Nameservers: []string{"127.0.0.1:1"}}); err == nil {
		t.Error("no predicate: want an error")
	}
}
