package dnsserver

import (
	"encoding/hex"
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"

	"outlast/internal/dnscookie"
	"outlast/internal/rrl"
)

// serverCookie returns the server cookie of r's COOKIE option, checking
// the client cookie came back.
func serverCookie(t *testing.T, r *dns.Msg, client string) []byte {
	t.Helper()
	for _, o := range r.IsEdns0().Option {
		if c, ok := o.(*dns.EDNS0_COOKIE); ok {
			b, err := hex.DecodeString(c.Cookie)
			if err != nil || len(b) != dnscookie.ClientLen+dnscookie.ServerLen || hex.EncodeToString(b[:8]) != client {
				t.Fatalf("COOKIE %s: want the client cookie %s and a 16-byte server cookie", c.Cookie, client)
			}
			return b[8:]
		}
	}
	t.Fatalf("no COOKIE in %v", r)
	return nil
}

// cookieSnapshot is the test snapshot answering cookies with a fresh
// secret, and the jar that makes them.
func cookieSnapshot(t testing.TB) (*Snapshot, dnscookie.Jar) {
	t.Helper()
	secret, _ := dnscookie.NewSecret()
	jar := dnscookie.Jar{Current: secret}
	snap, err := NewSnapshot(testZones(), testAnswers(), Static{Cookies: &Cookies{Jar: jar}, NSID: []byte("n1")})
	if err != nil {
		t.Fatal(err)
	}
	return snap, jar
}

// limiter is a rate limiter of rate and slip, the rest default.
func limiter(rate, slip int) *rrl.Limiter {
	cfg := rrl.Defaults()
	cfg.Rate, cfg.Slip = rate, slip
	l, _ := rrl.New(cfg)
	return l
}

// withOptions adds options to m's OPT record.
func withOptions(m *dns.Msg, opts ...dns.EDNS0) *dns.Msg {
	m.IsEdns0().Option = append(m.IsEdns0().Option, opts...)
	return m
}

func withCookie(name, cookie string) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(name, dns.TypeA)
	m.SetEdns0(1232, false)
	m.IsEdns0().Option = append(m.IsEdns0().Option, &dns.EDNS0_COOKIE{Code: dns.EDNS0COOKIE, Cookie: cookie})
	return m
}

// TestCookies: a client cookie gets a server cookie made with the current
// secret for the client's address (RFC 7873, RFC 9018); with it, the
// client is not rate limited while another without one is; a server
// cookie that does not check is answered, with a new one, but limited.
func TestCookies(t *testing.T) {
	snap, jar := cookieSnapshot(t)
	ts := startServer(t, snap, Options{RateLimit: RateLimit{Limiter: limiter(1, 0)}})
	const client = "0102030405060708"
	first := ts.exchange(t, "udp", withCookie("www.example.test.", client))
	sc := serverCookie(t, first, client)
	var cc [8]byte
	hex.Decode(cc[:], []byte(client))
	if v := jar.Check(cc, sc, netip.MustParseAddr("127.0.0.1"), time.Now()); v != dnscookie.Valid {
		t.Fatalf("the server cookie checks %s for 127.0.0.1, want valid", v)
	}
	full := client + hex.EncodeToString(sc)
	for i := range 20 {
		r := ts.exchange(t, "udp", withCookie("www.example.test.", full))
		if r.Truncated || len(r.Answer) == 0 {
			t.Fatalf("query %d with a valid cookie, rate 1/s: %v; want answered", i, r)
		}
		serverCookie(t, r, client)
	}
	forged := client + "01000000" + "00000000" + "0000000000000000"
	c := &dns.Client{Net: "udp", Timeout: 200 * time.Millisecond}
	answered := 0
	for range 10 {
		if r, _, err := c.Exchange(withCookie("www.example.test.", forged), ts.udp); err == nil && len(r.Answer) > 0 {
			answered++
		}
	}
	if answered > 2 {
		t.Errorf("%d of 10 queries with a forged server cookie answered at rate 1/s, want it limited", answered)
	}
	if r := ts.exchange(t, "tcp", withCookie("www.example.test.", forged)); len(r.Answer) == 0 {
		t.Errorf("a forged cookie over TCP: %v, want answered (with a new cookie)", r)
	} else {
		serverCookie(t, r, client)
	}
}

// TestCookieQueriesAllocateNothing: a UDP query with a cookie (as BIND
// resolvers send with every query) is decoded, answered with a fresh
// server cookie and rate limited without an allocation.
func TestCookieQueriesAllocateNothing(t *testing.T) {
	snap, _ := cookieSnapshot(t)
	srv := New(Options{RateLimit: RateLimit{Limiter: limiter(rrl.Defaults().Rate, rrl.Defaults().Slip)}}, snap)
	pkt, err := withOptions(withCookie("www.example.test.", "0102030405060708"), &dns.EDNS0_NSID{Code: dns.EDNS0NSID}).Pack()
	if err != nil {
		t.Fatal(err)
	}
	loop, out := newLoop(), make([]byte, 0, 4096)
	client := netip.MustParseAddr("198.51.100.7")
	srv.answerUDP(loop, pkt, out, client)
	if n := testing.AllocsPerRun(100, func() { srv.answerUDP(loop, pkt, out, client) }); n != 0 {
		t.Errorf("%.1f allocations per UDP query with a cookie and NSID, want 0", n)
	}
}

// FuzzLimitedWithCookies drives the UDP answer path with rate limiting and
// cookies on: whatever the datagram, no panic, and every reply parses; a
// slipped one holds the question alone, with TC.
func FuzzLimitedWithCookies(f *testing.F) {
	for _, m := range []*dns.Msg{
		withCookie("www.example.test.", "0102030405060708"),
		withCookie("www.example.test.", "0102030405060708"+"0100000000000000"+"0000000000000000"),
		withCookie("nope.example.test.", "01020304050607"),
		question("www.example.test.", dns.TypeA),
	} {
		b, err := m.Pack()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint8(1))
	}
	snap, _ := cookieSnapshot(f)
	srv := New(Options{RateLimit: RateLimit{Limiter: limiter(1, 1)}}, snap)
	loop, out := newLoop(), make([]byte, 0, 4096)
	f.Fuzz(func(t *testing.T, pkt []byte, last uint8) {
		client := netip.AddrFrom4([4]byte{198, 51, 100, last})
		reply, q, ok := srv.answerUDP(loop, pkt, out[:0], client)
		if !ok {
			return
		}
		var r dns.Msg
		if err := r.Unpack(reply); err != nil {
			t.Fatalf("reply does not parse: %v", err)
		}
		if q.Limited == rrl.Slip && (!r.Truncated || len(r.Answer)+len(r.Ns)+len(r.Extra) != 0) {
			t.Fatalf("a slipped reply with records or without TC: %v", &r)
		}
	})
}

// TestForgedCookiesAreLimited: only a server cookie that checks for the
// very address asking lets a UDP query past rate limiting. One made for
// another address, or one with a fresh timestamp and a made-up hash, is
// limited like a query without a cookie.
func TestForgedCookiesAreLimited(t *testing.T) {
	snap, jar := cookieSnapshot(t)
	srv := New(Options{RateLimit: RateLimit{Limiter: limiter(1, 0)}}, snap)
	client := [dnscookie.ClientLen]byte{1, 2, 3, 4, 5, 6, 7, 8}
	asker, other := netip.MustParseAddr("198.51.100.7"), netip.MustParseAddr("203.0.113.9")
	cookieFor := func(addr netip.Addr) []byte { return jar.Make(client[:], client, addr, time.Now()) }
	badHash := cookieFor(asker)
	badHash[len(badHash)-1] ^= 1
	loop, out := newLoop(), make([]byte, 0, 4096)
	for _, c := range []struct {
		name   string
		cookie []byte
		sent   bool
	}{
		{"valid for the asker", cookieFor(asker), true},
		{"made for another address", cookieFor(other), false},
		{"fresh timestamp, wrong hash", badHash, false},
	} {
		pkt, err := withCookie("www.example.test.", hex.EncodeToString(c.cookie)).Pack()
		if err != nil {
			t.Fatal(err)
		}
		for i := range 5 { // the rate is 1 and the clock stands still: all but the first are over it
			_, q, ok := srv.answerUDP(loop, pkt, out[:0], asker)
			if sent := ok && q.Limited == rrl.Send; sent != c.sent && i > 0 {
				t.Errorf("%s: query %d sent %v, want %v", c.name, i, sent, c.sent)
			}
		}
	}
}

// TestStagedCookieSecret: a cookie made with the staged (next) secret, as
// a node that applied the rotation earlier makes them, is accepted; one
// of an unknown secret is not.
func TestStagedCookieSecret(t *testing.T) {
	a, _ := dnscookie.NewSecret()
	b, _ := dnscookie.NewSecret()
	other, _ := dnscookie.NewSecret()
	c := &Cookies{Jar: dnscookie.Jar{Current: a}, Next: b}
	client, ip, now := [8]byte{1, 2, 3, 4, 5, 6, 7, 8}, netip.MustParseAddr("192.0.2.7"), time.Now()
	for _, s := range []struct {
		secret dnscookie.Secret
		want   bool
	}{{a, true}, {b, true}, {other, false}} {
		j := dnscookie.Jar{Current: s.secret}
		if got := c.check(client, j.Make(nil, client, ip, now), ip, now); got != s.want {
			t.Errorf("a cookie of secret %x: accepted %v, want %v", s.secret[:2], got, s.want)
		}
	}
}

// TestCookieKinds: what OnQuery hears of a query's COOKIE option.
func TestCookieKinds(t *testing.T) {
	snap, jar := cookieSnapshot(t)
	ip := netip.MustParseAddr("192.0.2.7")
	client := [8]byte{1, 2, 3, 4, 5, 6, 7, 8}
	valid := hex.EncodeToString(client[:]) + hex.EncodeToString(jar.Make(nil, client, ip, time.Now()))
	for _, c := range []struct {
		req  *dns.Msg
		want CookieKind
	}{
		{question("www.example.test.", dns.TypeA), NoCookie},
		{withCookie("www.example.test.", "0102030405060708"), ClientCookie},
		{withCookie("www.example.test.", valid), ValidCookie},
		{withCookie("www.example.test.", "0102030405060708"+"0100000000000000"+"0000000000000000"), InvalidCookie},
	} {
		if _, q := snap.respond(nil, c.req, true, ip); q.Cookie != c.want {
			t.Errorf("%v: cookie %s, want %s", c.req.Extra, q.Cookie, c.want)
		}
	}
}
