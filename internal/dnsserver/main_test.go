package dnsserver

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"
	"go.uber.org/goleak"

	"outlast/internal/config"
	"outlast/internal/model"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testZones is example.test. with one in-zone and one out-of-zone
// nameserver, and sub.example.test. nested inside it.
func testZones() []config.Zone {
	soa := config.SOA{MName: "ns1.example.test.", RName: "hostmaster.example.test.", Serial: 7,
		Refresh: time.Hour, Retry: 10 * time.Minute, Expire: 168 * time.Hour, Minimum: 5 * time.Second, TTL: time.Hour}
	sub := soa
	sub.MName = "ns1.sub.example.test."
	return []config.Zone{
		{Apex: "example.test.", SOA: soa, NS: []config.NameServer{
			{Name: "ns1.example.test.", Addresses: addrs("192.0.2.53", "2001:db8::53")},
			{Name: "ns2.other.test.", Addresses: addrs("198.51.100.53")},
		}},
		{Apex: "sub.example.test.", SOA: sub, NS: []config.NameServer{
			{Name: "ns1.sub.example.test.", Addresses: addrs("192.0.2.54")},
		}},
	}
}

func testAnswers() []model.Answer {
	return []model.Answer{
		{Name: "www.example.test.", Type: model.TypeA, TTL: 30, Mode: model.ModeHealthy, Addrs: addrs("192.0.2.1")},
		{Name: "www.example.test.", Type: model.TypeAAAA, TTL: 30, Mode: model.ModeHealthy, Addrs: addrs("2001:db8::1")},
		{Name: "multi.example.test.", Type: model.TypeA, TTL: 30, Mode: model.ModeHealthy,
			Addrs: addrs("192.0.2.11", "192.0.2.12", "192.0.2.13", "192.0.2.14")},
		{Name: "weighted.example.test.", Type: model.TypeA, TTL: 30, Mode: model.ModeHealthy, Pools: []model.WeightedPool{
			{Endpoint: "a", Weight: 1, Addrs: addrs("192.0.2.21")},
			{Endpoint: "b", Weight: 3, Addrs: addrs("192.0.2.22")},
		}},
		{Name: "closed.example.test.", Type: model.TypeA, TTL: 30, Mode: model.ModeEmpty, Addrs: addrs("192.0.2.99")},
		{Name: "deep.a.b.example.test.", Type: model.TypeA, TTL: 30, Mode: model.ModeHealthy, Addrs: addrs("192.0.2.31")},
		{Name: "big.example.test.", Type: model.TypeAAAA, TTL: 30, Mode: model.ModeServeAll, Addrs: manyV6(60)},
		{Name: "mid.example.test.", Type: model.TypeAAAA, TTL: 30, Mode: model.ModeServeAll, Addrs: manyV6(30)},
		{Name: "app.sub.example.test.", Type: model.TypeA, TTL: 30, Mode: model.ModeHealthy, Addrs: addrs("192.0.2.41")},
		// Hostname endpoints: a service whose A has no resolved address
		// beside an AAAA that has one, and CNAME answers: out of the zones,
		// weighted (one pool into the zone, one out), and into the served
		// names (steered, static, missing, unresolved, weighted, delegated).
		{Name: "flat.example.test.", Type: model.TypeA, TTL: 30, Mode: model.ModeUnresolved},
		{Name: "flat.example.test.", Type: model.TypeAAAA, TTL: 30, Mode: model.ModeHealthy, Addrs: addrs("2001:db8::77")},
		{Name: "cdn.example.test.", Type: model.TypeA, TTL: 60, Mode: model.ModeHealthy, Target: "edge.cdn-a.test."},
		{Name: "wcdn.example.test.", Type: model.TypeA, TTL: 60, Mode: model.ModeHealthy, Pools: []model.WeightedPool{
			{Endpoint: "a", Weight: 1, Target: "www.example.test."},
			{Endpoint: "b", Weight: 3, Target: "edge.cdn-b.test."},
		}},
		{Name: "incdn.example.test.", Type: model.TypeAAAA, TTL: 60, Mode: model.ModeHealthy, Target: "www.example.test."},
		{Name: "tomail.example.test.", Type: model.TypeA, TTL: 60, Mode: model.ModeHealthy, Target: "mail.example.test."},
		{Name: "toalias.example.test.", Type: model.TypeA, TTL: 60, Mode: model.ModeHealthy, Target: "alias.example.test."},
		{Name: "tonowhere.example.test.", Type: model.TypeA, TTL: 60, Mode: model.ModeHealthy, Target: "gone2.example.test."},
		{Name: "toflat.example.test.", Type: model.TypeA, TTL: 60, Mode: model.ModeHealthy, Target: "flat.example.test."},
		{Name: "towcdn.example.test.", Type: model.TypeA, TTL: 60, Mode: model.ModeHealthy, Target: "wcdn.example.test."},
		{Name: "tochild2.example.test.", Type: model.TypeA, TTL: 60, Mode: model.ModeHealthy, Target: "host.child.example.test."},
	}
}

func addrs(ss ...string) []netip.Addr {
	out := make([]netip.Addr, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParseAddr(s)
	}
	return out
}

func manyV6(n int) []netip.Addr {
	out := make([]netip.Addr, n)
	for i := range out {
		out[i] = netip.MustParseAddr(fmt.Sprintf("2001:db8:1::%x", i+1))
	}
	return out
}

func testSnapshot(t testing.TB) *Snapshot {
	t.Helper()
	snap, err := NewSnapshot(testZones(), testAnswers(), Static{})
	if err != nil {
		t.Fatalf("NewSnapshot: %v", err)
	}
	return snap
}

// testServer is a real server on loopback.
type testServer struct {
	*Server
	udp, tcp string
}

func startServer(t testing.TB, snap *Snapshot, opts Options) *testServer {
	t.Helper()
	s := New(opts, snap)
	udp, tcp, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return &testServer{Server: s, udp: udp.String(), tcp: tcp.String()}
}

func (ts *testServer) addr(network string) string {
	if network == "tcp" {
		return ts.tcp
	}
	return ts.udp
}

// exchange sends m over network ("udp" or "tcp") and fails the test on error.
func (ts *testServer) exchange(t testing.TB, network string, m *dns.Msg) *dns.Msg {
	t.Helper()
	c := &dns.Client{Net: network, Timeout: 5 * time.Second}
	r, _, err := c.Exchange(m, ts.addr(network))
	if err != nil {
		t.Fatalf("%s exchange %v: %v", network, m.Question, err)
	}
	if r.Id != m.Id {
		t.Fatalf("reply id %d, want %d", r.Id, m.Id)
	}
	return r
}

func question(name string, qtype uint16) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	return m
}

var networks = []string{"udp", "tcp"}
