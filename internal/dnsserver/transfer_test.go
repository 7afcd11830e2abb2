package dnsserver

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"outlast/internal/rrl"
	"outlast/internal/secondarytest"
	"outlast/internal/xfr"
)

const (
	testKeyName   = "xfr-key."
	testKeySecret = "c2VjcmV0IHNoYXJlZCB3aXRoIHRoZSBzZWNvbmRhcmllcw=="
	otherSecret   = "YW5vdGhlciBzZWNyZXQgbm90IGNvbmZpZ3VyZWQgaGVyZQ=="
)

// xfrFixture is a server on 127.0.0.202 serving example.test. from a
// journal, transfers allowed to 127.0.0.0/8 signed with testKeyName, or
// unsigned from 127.0.0.203 only.
type xfrFixture struct {
	*testServer
	journal *xfr.Journal
	mu      sync.Mutex
	events  []TransferEvent
	tsigs   []TSIGEvent
}

func startXfr(t *testing.T) *xfrFixture {
	t.Helper()
	f := &xfrFixture{journal: xfr.NewJournal(xfr.Limits{})}
	snap := testSnapshot(t)
	v, err := snap.ZoneVersion("example.test.")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.journal.AddIfChanged(v); err != nil {
		t.Fatal(err)
	}
	tr, err := NewTransfer(TransferConfig{
		Zones: []TransferZone{{Apex: "example.test.", Journal: f.journal, ACLs: xfr.ACLs{
			{Addresses: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, Keys: map[string]xfr.Key{testKeyName: {Algorithm: dns.HmacSHA256, Secret: testKeySecret}}},
			{Addresses: []netip.Prefix{netip.MustParsePrefix("127.0.0.203/32")}},
		}}},
		OnTransfer: func(e TransferEvent) { f.mu.Lock(); f.events = append(f.events, e); f.mu.Unlock() },
		OnTSIG:     func(e TSIGEvent) { f.mu.Lock(); f.tsigs = append(f.tsigs, e); f.mu.Unlock() },
	})
	if err != nil {
		t.Fatal(err)
	}
	s := New(Options{Transfer: tr}, snap)
	udp, tcp, err := s.Start("127.0.0.202:0")
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
	f.testServer = &testServer{Server: s, udp: udp.String(), tcp: tcp.String()}
	return f
}

func (f *xfrFixture) lastEvent(t *testing.T) TransferEvent {
	t.Helper()
	// The event is reported after the last message is written, so the
	// client may have read everything before it.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		f.mu.Lock()
		n := len(f.events)
		var ev TransferEvent
		if n > 0 {
			ev = f.events[n-1]
			f.events = nil
		}
		f.mu.Unlock()
		if n > 0 {
			return ev
		}
		if time.Now().After(deadline) {
			t.Fatal("no TransferEvent reported within 5 s")
		}
	}
}

// transferIn runs a transfer with miekg's client from local (an address
// on loopback), signed with secret when it is not "", and returns the
// records of every envelope, or the first error.
func (f *xfrFixture) transferIn(t *testing.T, local string, m *dns.Msg, secret string) ([]dns.RR, error) {
	t.Helper()
	d := dialerFrom(local)
	conn, err := d.Dial("tcp", f.tcp)
	if err != nil {
		t.Fatalf("dialing %s from %s: %v", f.tcp, local, err)
	}
	return secondarytest.TransferIn(conn, m, testKeyName, secret)
}

func axfr() *dns.Msg {
	m := new(dns.Msg)
	m.SetAxfr("example.test.")
	return m
}

func ixfr(serial uint32) *dns.Msg {
	m := new(dns.Msg)
	m.SetIxfr("example.test.", serial, "ns1.example.test.", "hostmaster.example.test.")
	return m
}

// TestTransferAXFRThenIXFR: a signed AXFR gets the whole zone, every
// message's TSIG verified by miekg's client; after a new version, a signed
// IXFR from the old serial gets just the step.
func TestTransferAXFRThenIXFR(t *testing.T) {
	f := startXfr(t)
	rrs, err := f.transferIn(t, "127.0.0.202", axfr(), testKeySecret)
	if err != nil {
		t.Fatalf("AXFR: %v", err)
	}
	want := f.journal.Latest().Records
	if len(rrs) != len(want)+1 { // the SOA closes the transfer
		t.Fatalf("AXFR gave %d records, want %d", len(rrs), len(want)+1)
	}
	if ev := f.lastEvent(t); ev.Result != TransferFull || ev.Key != testKeyName || ev.Serial != 7 {
		t.Errorf("event %+v, want a full transfer of serial 7 signed with %s", ev, testKeyName)
	}

	answers := testAnswers()
	answers[0].Addrs = addrs("192.0.2.100") // www's A moves
	next, err := NewSnapshot(testZones(), answers, Static{Version: 1})
	if err != nil {
		t.Fatal(err)
	}
	v, _ := next.ZoneVersion("example.test.")
	if added, err := f.journal.AddIfChanged(v); !added || err != nil {
		t.Fatalf("AddIfChanged: %v, %v", added, err)
	}
	f.Swap(next)
	rrs, err = f.transferIn(t, "127.0.0.202", ixfr(7), testKeySecret)
	if err != nil {
		t.Fatalf("IXFR: %v", err)
	}
	// SOA 8, SOA 7, old A, SOA 8, new A, SOA 8.
	if len(rrs) != 6 || rrs[2].(*dns.A).A.String() != "192.0.2.1" || rrs[4].(*dns.A).A.String() != "192.0.2.100" {
		t.Fatalf("IXFR from 7 gave %v, want the one step moving www to 192.0.2.100", rrs)
	}
	if ev := f.lastEvent(t); ev.Result != TransferIncremental || ev.Serial != 8 {
		t.Errorf("event %+v, want an incremental transfer to serial 8", ev)
	}
	rrs, err = f.transferIn(t, "127.0.0.202", ixfr(8), testKeySecret)
	if err != nil || len(rrs) != 1 {
		t.Fatalf("IXFR from the current serial: %v, %v; want the single SOA", rrs, err)
	}
}

// TestTransferRefused: an unsigned request from an address no rule lets in
// unsigned is REFUSED, and so is a zone without rules; a request signed
// with the configured name but another secret gets BADSIG and no records.
func TestTransferRefused(t *testing.T) {
	f := startXfr(t)
	if _, err := f.transferIn(t, "127.0.0.204", axfr(), ""); err == nil {
		t.Fatalf("unsigned AXFR from 127.0.0.204: %v, want REFUSED", err)
	}
	if ev := f.lastEvent(t); ev.Result != TransferRefused {
		t.Errorf("event %+v, want refused", ev)
	}
	r := f.rawTCP(t, "127.0.0.204", axfr())
	if r.Rcode != dns.RcodeRefused || len(r.Answer) != 0 {
		t.Errorf("unsigned AXFR from 127.0.0.204: %s with %d records, want REFUSED", dns.RcodeToString[r.Rcode], len(r.Answer))
	}
	m := new(dns.Msg)
	m.SetAxfr("sub.example.test.")
	if r := f.rawTCP(t, "127.0.0.203", m); r.Rcode != dns.RcodeRefused {
		t.Errorf("AXFR of a zone without rules: %s, want REFUSED", dns.RcodeToString[r.Rcode])
	}
	if ev := f.lastEvent(t); ev.Result != TransferRefused || ev.Zone != "" {
		t.Errorf("event %+v, want refused with no zone: a stranger's names must not become metric labels", ev)
	}
	if rrs, err := f.transferIn(t, "127.0.0.203", axfr(), ""); err != nil || len(rrs) < 3 {
		t.Errorf("unsigned AXFR from the allowed 127.0.0.203: %d records, %v", len(rrs), err)
	}
	rrs, err := f.transferIn(t, "127.0.0.202", axfr(), otherSecret)
	if err == nil || len(rrs) != 0 {
		t.Fatalf("AXFR signed with the wrong secret: %d records, %v; want an error and none", len(rrs), err)
	}
	f.mu.Lock()
	last := f.tsigs[len(f.tsigs)-1]
	f.mu.Unlock()
	if last.Error != dns.RcodeBadSig || last.Key != testKeyName {
		t.Errorf("TSIG event %+v, want BADSIG for %s", last, testKeyName)
	}
}

// rawTCP sends m unsigned over TCP from local and returns the first reply.
func (f *xfrFixture) rawTCP(t *testing.T, local string, m *dns.Msg) *dns.Msg {
	t.Helper()
	c := &dns.Client{Net: "tcp", Timeout: 5 * time.Second, Dialer: dialerFrom(local)}
	r, _, err := c.Exchange(m, f.tcp)
	if err != nil {
		t.Fatalf("exchange from %s: %v", local, err)
	}
	return r
}

// TestSignedQueriesGetSignedReplies: a SOA query signed with a configured
// key gets the SOA with a TSIG that miekg's client verifies, over UDP and
// TCP; with another secret it gets NOTAUTH and BADSIG; with an unknown key
// BADKEY, as before.
func TestSignedQueriesGetSignedReplies(t *testing.T) {
	f := startXfr(t)
	for _, network := range networks {
		t.Run(network, func(t *testing.T) {
			r, err := signedExchange(f.addr(network), network, question("example.test.", dns.TypeSOA), testKeyName, testKeySecret)
			if err != nil {
				t.Fatalf("signed SOA query: %v", err)
			}
			if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 || r.IsTsig() == nil || r.IsTsig().Error != 0 {
				t.Fatalf("signed SOA query: %v, want the SOA, signed", r)
			}
			r, err = signedExchange(f.addr(network), network, question("example.test.", dns.TypeSOA), testKeyName, otherSecret)
			if err == nil || r == nil || r.Rcode != dns.RcodeNotAuth || r.IsTsig() == nil || r.IsTsig().Error != dns.RcodeBadSig {
				t.Fatalf("SOA query signed with another secret: %v, %v; want NOTAUTH, BADSIG", r, err)
			}
			r, _ = signedExchange(f.addr(network), network, question("example.test.", dns.TypeSOA), "stranger.", otherSecret)
			if r == nil || r.Rcode != dns.RcodeNotAuth || r.IsTsig() == nil || r.IsTsig().Error != dns.RcodeBadKey {
				t.Fatalf("SOA query signed with an unknown key: %v; want NOTAUTH, BADKEY", r)
			}
			f.mu.Lock()
			last := f.tsigs[len(f.tsigs)-1]
			f.mu.Unlock()
			if last.Error != dns.RcodeBadKey || last.Key != "" {
				t.Errorf("TSIG event %+v, want BADKEY with no key name: a stranger's names must not become metric labels", last)
			}
		})
	}
}

// TestIXFROverUDP: the single current SOA, signed; AXFR over UDP stays
// REFUSED.
func TestIXFROverUDP(t *testing.T) {
	f := startXfr(t)
	r, err := signedExchange(f.udp, "udp", ixfr(3), testKeyName, testKeySecret)
	if err != nil || len(r.Answer) != 1 || r.Answer[0].(*dns.SOA).Serial != 7 || r.IsTsig() == nil {
		t.Fatalf("IXFR over UDP: %v, %v; want the single SOA of serial 7, signed", r, err)
	}
	if r := f.exchange(t, "udp", axfr()); r.Rcode != dns.RcodeRefused {
		t.Errorf("AXFR over UDP: %s, want REFUSED", dns.RcodeToString[r.Rcode])
	}
}

// TestTransferBusy: with every transfer slot taken, SERVFAIL.
func TestTransferBusy(t *testing.T) {
	f := startXfr(t)
	tr := f.xfr.Load()
	for range cap(tr.slots) {
		tr.slots <- struct{}{}
	}
	if r := f.rawTCP(t, "127.0.0.203", axfr()); r.Rcode != dns.RcodeServerFailure {
		t.Errorf("AXFR at the cap: %s, want SERVFAIL", dns.RcodeToString[r.Rcode])
	}
	if ev := f.lastEvent(t); ev.Result != TransferBusy {
		t.Errorf("event %+v, want busy", ev)
	}
}

// signedExchange signs m with the key and sends it; miekg's client
// verifies the reply's TSIG when it carries one.
func signedExchange(addr, network string, m *dns.Msg, key, secret string) (*dns.Msg, error) {
	m.SetTsig(key, dns.HmacSHA256, 300, time.Now().Unix())
	c := &dns.Client{Net: network, Timeout: 5 * time.Second, TsigSecret: map[string]string{key: secret}}
	r, _, err := c.Exchange(m, addr)
	return r, err
}

// dialerFrom dials from the loopback address local.
func dialerFrom(local string) *net.Dialer {
	return &net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}
}

// TestSignedQueryOutsideFudge: a signature an hour old gets NOTAUTH with
// TSIG error BADTIME, signed, our time in other data (RFC 8945 5.2.3), so
// the secondary's operator sees a clock problem, not a key problem.
func TestSignedQueryOutsideFudge(t *testing.T) {
	f := startXfr(t)
	for _, network := range networks {
		m := question("example.test.", dns.TypeSOA)
		m.SetTsig(testKeyName, dns.HmacSHA256, 300, time.Now().Add(-time.Hour).Unix())
		c := &dns.Client{Net: network, Timeout: 5 * time.Second, TsigSecret: map[string]string{testKeyName: testKeySecret}}
		r, _, _ := c.Exchange(m, f.addr(network)) // miekg rejects the reply's time, as it should
		if r == nil || r.Rcode != dns.RcodeNotAuth || r.IsTsig() == nil {
			t.Fatalf("%s: old signature: %v, want NOTAUTH with a TSIG", network, r)
		}
		if ts := r.IsTsig(); ts.Error != dns.RcodeBadTime || ts.MAC == "" || ts.OtherLen != 6 {
			t.Errorf("%s: TSIG %v, want BADTIME, signed, with our time", network, ts)
		}
	}
}

// TestTransferTimeout: a transfer past its timeout is cut off, its
// connection closed, and reported failed; the client gets no zone.
func TestTransferTimeout(t *testing.T) {
	f := startXfr(t)
	tr, err := NewTransfer(TransferConfig{Timeout: time.Nanosecond,
		Zones:      []TransferZone{{Apex: "example.test.", Journal: f.journal, ACLs: xfr.ACLs{{Addresses: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}}}},
		OnTransfer: func(e TransferEvent) { f.mu.Lock(); f.events = append(f.events, e); f.mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	f.SetTransfer(tr)
	if rrs, err := f.transferIn(t, "127.0.0.203", axfr(), ""); err == nil {
		t.Fatalf("AXFR past its timeout: %d records and no error, want the connection cut", len(rrs))
	}
	if ev := f.lastEvent(t); ev.Result != TransferFailed || !errors.Is(ev.Err, errTransferTimeout) {
		t.Errorf("event %+v, want failed at the timeout", ev)
	}
}

// TestNewTransferRefuses names each configuration NewTransfer refuses.
func TestNewTransferRefuses(t *testing.T) {
	j := xfr.NewJournal(xfr.Limits{})
	key := func(alg, secret string) xfr.ACLs {
		return xfr.ACLs{{Keys: map[string]xfr.Key{"k.": {Algorithm: alg, Secret: secret}}}}
	}
	for name, zones := range map[string][]TransferZone{
		"no journal":        {{Apex: "example.test."}},
		"zone twice":        {{Apex: "example.test.", Journal: j}, {Apex: "EXAMPLE.test", Journal: j}},
		"bad apex":          {{Apex: "a..b", Journal: j}},
		"unknown algorithm": {{Apex: "example.test.", Journal: j, ACLs: key("hmac-md5.sig-alg.reg.int.", testKeySecret)}},
		"secret not base64": {{Apex: "example.test.", Journal: j, ACLs: key(dns.HmacSHA256, "not base64!")}},
		"key defined twice": {{Apex: "example.test.", Journal: j, ACLs: key(dns.HmacSHA256, testKeySecret)},
			{Apex: "other.test.", Journal: j, ACLs: key(dns.HmacSHA256, otherSecret)}},
	} {
		if _, err := NewTransfer(TransferConfig{Zones: zones}); err == nil {
			t.Errorf("%s: NewTransfer accepted it", name)
		}
	}
	same := []TransferZone{{Apex: "example.test.", Journal: j, ACLs: key(dns.HmacSHA256, testKeySecret)},
		{Apex: "other.test.", Journal: j, ACLs: key("HMAC-SHA256", testKeySecret)}}
	if _, err := NewTransfer(TransferConfig{Zones: same}); err != nil {
		t.Errorf("one key shared by two zones: %v", err)
	}
}

// TestSpecialUDPRepliesAreRateLimited: the replies anyone can ask for
// from a forged source, an unsigned IXFR's SOA and a BADSIG error, pass
// through response rate limiting like every other UDP reply.
func TestSpecialUDPRepliesAreRateLimited(t *testing.T) {
	cfg := rrl.Defaults()
	cfg.Rate, cfg.Slip = 2, 0
	l, err := rrl.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	j := xfr.NewJournal(xfr.Limits{})
	snap := testSnapshot(t)
	v, err := snap.ZoneVersion("example.test.")
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Add(v); err != nil {
		t.Fatal(err)
	}
	tr, err := NewTransfer(TransferConfig{Zones: []TransferZone{{Apex: "example.test.", Journal: j, ACLs: xfr.ACLs{
		{Addresses: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, Keys: map[string]xfr.Key{testKeyName: {Algorithm: dns.HmacSHA256, Secret: testKeySecret}}},
		{Addresses: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}},
	}}}})
	if err != nil {
		t.Fatal(err)
	}
	s := New(Options{Transfer: tr, RateLimit: RateLimit{Limiter: l}}, snap)
	unsigned, err := ixfr(3).Pack()
	if err != nil {
		t.Fatal(err)
	}
	badSig := ixfr(3)
	badSig.SetTsig(testKeyName, dns.HmacSHA256, 300, time.Now().Unix())
	forged, _, err := dns.TsigGenerate(badSig, otherSecret, "", false)
	if err != nil {
		t.Fatal(err)
	}
	for name, pkt := range map[string][]byte{"unsigned IXFR": unsigned, "BADSIG": forged} {
		loop := newLoop()
		sent := 0
		for range 20 {
			if _, _, ok := s.answerUDP(loop, pkt, nil, netip.MustParseAddr("127.0.0.1")); ok {
				sent++
			}
		}
		if sent == 0 || sent >= 20 {
			t.Errorf("%s: %d of 20 replies sent in one second at a rate of 2, want some, not all", name, sent)
		}
	}
}
