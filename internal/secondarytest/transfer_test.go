package secondarytest_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"go.uber.org/goleak"

	"outlast/internal/config"
	"outlast/internal/dnsserver"
	"outlast/internal/model"
	"outlast/internal/secondarytest"
	"outlast/internal/xfr"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	zone      = "example.test."
	keyName   = "outlast-xfr."
	keySecret = "b3V0bGFzdCB0cmFuc2ZlciBrZXkgZm9yIHRoZSB0ZXN0cw=="
)

var (
	primaryAddr = netip.MustParseAddr("127.0.0.201")
	knotAddr    = netip.MustParseAddr("127.0.0.205")
	bindAddr    = netip.MustParseAddr("127.0.0.206")
	strayAddr   = netip.MustParseAddr("127.0.0.209")
)

func zones() []config.Zone {
	return []config.Zone{{Apex: zone,
		SOA: config.SOA{Serial: 7, Refresh: time.Hour, Retry: 10 * time.Minute, Expire: 168 * time.Hour, Minimum: 30 * time.Second, TTL: time.Hour},
		NS:  []config.NameServer{{Name: "ns1.example.test.", Addresses: []netip.Addr{netip.MustParseAddr("192.0.2.53")}}}}}
}

// bulkNames is how many more names the zone holds, so that its AXFR takes
// several messages, each TSIG-signed over the previous one's MAC and the
// timers only (RFC 8945 5.3.1): one message would not test that chaining.
const bulkNames = 3000

func answers(www string) []model.Answer {
	out := make([]model.Answer, 0, bulkNames+2)
	for i := range bulkNames {
		out = append(out, model.Answer{Name: fmt.Sprintf("host%d.bulk.example.test.", i), Type: model.TypeA, TTL: 300, Mode: model.ModeHealthy,
			Addrs: []netip.Addr{netip.AddrFrom4([4]byte{198, 51, byte(i >> 8), byte(i)})}})
	}
	return append(out, []model.Answer{
		{Name: "www.example.test.", Type: model.TypeA, TTL: 30, Mode: model.ModeHealthy, Addrs: []netip.Addr{netip.MustParseAddr(www)}},
		{Name: "api.example.test.", Type: model.TypeA, TTL: 30, Mode: model.ModeHealthy, Pools: []model.WeightedPool{
			{Endpoint: "a", Weight: 1, Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.21")}},
			{Endpoint: "b", Weight: 0, Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.22")}},
		}},
	}...)
}

// primary is an outlast DNS server serving zone from a journal, as the
// node runs it: each new snapshot is swapped in, added to the journal and
// announced with NOTIFY.
type primary struct {
	srv      *dnsserver.Server
	addr     netip.AddrPort
	journal  *xfr.Journal
	notifier *xfr.Notifier
	mu       sync.Mutex
	events   []dnsserver.TransferEvent
	tsigs    []dnsserver.TSIGEvent
}

func startPrimary(t *testing.T) *primary {
	t.Helper()
	p := &primary{journal: xfr.NewJournal(xfr.Limits{})}
	key := map[string]xfr.Key{keyName: {Algorithm: dns.HmacSHA256, Secret: keySecret}}
	tr, err := dnsserver.NewTransfer(dnsserver.TransferConfig{
		Zones: []dnsserver.TransferZone{{Apex: zone, Journal: p.journal, ACLs: xfr.ACLs{
			{Addresses: []netip.Prefix{netip.PrefixFrom(knotAddr, 32), netip.PrefixFrom(bindAddr, 32)}, Keys: key}}}},
		OnTransfer: func(e dnsserver.TransferEvent) { p.mu.Lock(); p.events = append(p.events, e); p.mu.Unlock() },
		OnTSIG:     func(e dnsserver.TSIGEvent) { p.mu.Lock(); p.tsigs = append(p.tsigs, e); p.mu.Unlock() },
	})
	if err != nil {
		t.Fatal(err)
	}
	p.srv = dnsserver.New(dnsserver.Options{Transfer: tr}, nil)
	port := secondarytest.FreePort(t, primaryAddr)
	if _, _, err := p.srv.Start(netip.AddrPortFrom(primaryAddr, port).String()); err != nil {
		t.Fatal(err)
	}
	p.addr = netip.AddrPortFrom(primaryAddr, port)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := p.srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return p
}

// publish does what the node does on each new snapshot.
func (p *primary) publish(t *testing.T, www string, version uint64) {
	t.Helper()
	snap, err := dnsserver.NewSnapshot(zones(), answers(www), dnsserver.Static{Version: version})
	if err != nil {
		t.Fatal(err)
	}
	p.srv.Swap(snap)
	v, err := snap.ZoneVersion(zone)
	if err != nil {
		t.Fatal(err)
	}
	added, err := p.journal.AddIfChanged(v)
	if err != nil {
		t.Fatal(err)
	}
	if added && p.notifier != nil {
		p.notifier.Notify(v.Records[0].(*dns.SOA))
	}
}

// incremental reports whether an IXFR from remote was answered with steps.
func (p *primary) incremental(remote netip.Addr) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.events {
		if e.Remote == remote && e.Type == dns.TypeIXFR && e.Result == dnsserver.TransferIncremental && e.Key == keyName {
			return true
		}
	}
	return false
}

// TestSecondariesTransferFromOutlast runs a real Knot and a real BIND as
// secondaries of an outlast server, with TSIG. It holds that both take the
// whole zone, both follow a change within seconds after NOTIFY by IXFR
// (outlast reports the incremental transfer to each, and each serves the
// new address), that their TSIG-signed SOA queries, over UDP (BIND) and TCP
// (Knot), verified and got replies they accepted, and that a transfer from an address
// the rules do not list, or signed with another secret, gets no records.
func TestSecondariesTransferFromOutlast(t *testing.T) {
	p := startPrimary(t)
	p.publish(t, "192.0.2.1", 0)
	cfg := func(listen netip.Addr) secondarytest.Config {
		return secondarytest.Config{Zone: zone, Primary: p.addr, Listen: listen, KeyName: keyName, Algorithm: dns.HmacSHA256, Secret: keySecret}
	}
	knot := secondarytest.StartKnot(t, cfg(knotAddr))
	bind := secondarytest.StartBIND(t, cfg(bindAddr))
	secondaries := []*secondarytest.Secondary{knot, bind}
	for _, s := range secondaries {
		s.WaitSerial(t, zone, 7, 20*time.Second)
		expectA(t, s, "host2999.bulk.example.test.", "198.51.11.183") // the last message's
		expectA(t, s, "www.example.test.", "192.0.2.1")
		expectA(t, s, "api.example.test.", "192.0.2.21") // the pool of weight 0 is not exported
	}

	p.mu.Lock()
	streams := 0
	for _, e := range p.events {
		if e.Type == dns.TypeAXFR {
			streams++
			if e.Messages < 2 {
				t.Errorf("AXFR to %s took %d message, want several to test TSIG over a stream", e.Remote, e.Messages)
			}
		}
	}
	p.mu.Unlock()
	if streams == 0 {
		t.Error("no AXFR reported, though both secondaries hold the zone")
	}

	p.notifier = xfr.NewNotifier(xfr.NotifierConfig{
		InitialInterval: 500 * time.Millisecond,
		OnResult:        func(r xfr.Result) { t.Logf("NOTIFY %+v", r) },
		Targets: []xfr.Target{
			{Addr: knot.Addr, KeyName: keyName, Key: xfr.Key{Algorithm: dns.HmacSHA256, Secret: keySecret}},
			{Addr: bind.Addr, KeyName: keyName, Key: xfr.Key{Algorithm: dns.HmacSHA256, Secret: keySecret}},
		}})
	defer p.notifier.Close()
	p.publish(t, "192.0.2.100", 1) // serial 8
	for _, s := range secondaries {
		s.WaitSerial(t, zone, 8, 10*time.Second)
		expectA(t, s, "www.example.test.", "192.0.2.100")
	}
	for _, s := range []struct {
		name string
		addr netip.Addr
	}{{"knot", knotAddr}, {"bind", bindAddr}} {
		if !p.incremental(s.addr) {
			p.mu.Lock()
			events := slices.Clone(p.events) // OnTransfer may still append
			p.mu.Unlock()
			t.Errorf("%s took serial 8 without an incremental IXFR from outlast; events: %+v", s.name, events)
		}
	}
	// BIND asks the SOA over UDP before each transfer (Knot over TCP):
	// it went on to IXFR, so it took outlast's signed UDP reply.
	p.mu.Lock()
	signedUDP := false
	for _, e := range p.tsigs {
		if e.Error != dns.RcodeSuccess {
			t.Errorf("a secondary's request failed TSIG: %+v", e)
		}
		signedUDP = signedUDP || (e.Remote == bindAddr && !e.TCP && e.Error == dns.RcodeSuccess)
	}
	p.mu.Unlock()
	if !signedUDP {
		t.Error("BIND sent no TSIG-signed query over UDP that verified")
	}

	if rrs, err := transferFrom(strayAddr, p.addr, keySecret); err == nil || len(rrs) > 0 {
		t.Errorf("AXFR from %s, not in the rules: %d records, %v; want REFUSED", strayAddr, len(rrs), err)
	}
	if rrs, err := transferFrom(knotAddr, p.addr, "d3Jvbmcgc2VjcmV0IGZvciB0aGUgdHJhbnNmZXIga2V5"); err == nil || len(rrs) > 0 {
		t.Errorf("AXFR signed with another secret: %d records, %v; want an error", len(rrs), err)
	}
	if rrs, err := transferFrom(knotAddr, p.addr, keySecret); err != nil || len(rrs) < 4 {
		t.Errorf("AXFR from an allowed address with the key: %d records, %v; want the zone", len(rrs), err)
	}
}

func expectA(t *testing.T, s *secondarytest.Secondary, name, want string) {
	t.Helper()
	r, err := s.Query(name, dns.TypeA)
	if err != nil {
		t.Fatalf("%s: query %s: %v", s.Name, name, err)
	}
	if len(r.Answer) != 1 || r.Answer[0].(*dns.A).A.String() != want {
		t.Fatalf("%s answers %s with %v, want %s", s.Name, name, r.Answer, want)
	}
}

// transferFrom runs a signed AXFR from the loopback address local with
// miekg's client, which verifies each message's TSIG.
func transferFrom(local netip.Addr, primary netip.AddrPort, secret string) ([]dns.RR, error) {
	d := &net.Dialer{Timeout: 5 * time.Second, LocalAddr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(local, 0))}
	conn, err := d.Dial("tcp", primary.String())
	if err != nil {
		return nil, err
	}
	m := new(dns.Msg)
	m.SetAxfr(zone)
	return secondarytest.TransferIn(conn, m, keyName, secret)
}
