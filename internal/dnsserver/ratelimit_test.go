package dnsserver

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"

	"outlast/internal/rrl"
)

// TestRateLimitFlood: a flood of one question from one address (bounded:
// 300 queries on loopback) gets the configured rate of full answers, then
// every second limited reply truncated (slip 2) and the rest dropped,
// while a client of another network is answered in full throughout, and
// TCP is never limited.
func TestRateLimitFlood(t *testing.T) {
	cfg := rrl.Defaults()
	cfg.Rate, cfg.Slip = 10, 2
	l, err := rrl.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, testSnapshot(t), Options{RateLimit: RateLimit{Limiter: l}})
	server := net.UDPAddrFromAddrPort(netip.MustParseAddrPort(ts.udp))
	flood, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer flood.Close()
	q := new(dns.Msg)
	q.SetQuestion("www.example.test.", dns.TypeA)
	pkt, _ := q.Pack()
	// Bursts of 20, each read until quiet, so no query is lost in a
	// socket buffer and every one not answered was dropped by the limiter.
	const sent, burst = 300, 20
	var full, truncated int
	buf := make([]byte, 4096)
	start := time.Now()
	for range sent / burst {
		for range burst {
			if _, err := flood.WriteToUDP(pkt, server); err != nil {
				t.Fatal(err)
			}
		}
		for {
			flood.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
			n, err := flood.Read(buf)
			if err != nil {
				break
			}
			var r dns.Msg
			if err := r.Unpack(buf[:n]); err != nil {
				t.Fatalf("a reply does not parse: %v", err)
			}
			switch {
			case r.Truncated && len(r.Answer) == 0 && len(r.Ns) == 0 && len(r.Extra) == 0:
				truncated++
			case !r.Truncated && len(r.Answer) > 0:
				full++
			default:
				t.Fatalf("a reply neither full nor slipped: %v", &r)
			}
		}
	}
	elapsed := time.Since(start).Seconds()
	limited := sent - full
	// The burst (rate), plus what the rate refilled while the flood went on.
	if most := cfg.Rate + int(float64(cfg.Rate)*elapsed) + 1; full < cfg.Rate || full > most {
		t.Errorf("%d full answers of %d sent in %.1f s, want from the rate, %d, to %d", full, sent, elapsed, cfg.Rate, most)
	}
	if want := limited / cfg.Slip; truncated < want-1 || truncated > want+1 {
		t.Errorf("%d truncated of %d limited, want every %dnd: %d", truncated, limited, cfg.Slip, want)
	}
	t.Logf("%d queries from one address in %.1f s: %d answered, %d truncated, %d dropped", sent, elapsed, full, truncated, limited-truncated)

	c := &dns.Client{Net: "udp", Timeout: 2 * time.Second, Dialer: &net.Dialer{LocalAddr: &net.UDPAddr{IP: net.IPv4(127, 0, 1, 2)}}}
	for i := range 5 {
		r, _, err := c.Exchange(q, ts.udp)
		if err != nil || r.Truncated || len(r.Answer) == 0 {
			t.Fatalf("query %d from another network during the flood: %v, %v; want a full answer", i, r, err)
		}
	}
	if r := ts.exchange(t, "tcp", q); r.Truncated || len(r.Answer) == 0 {
		t.Errorf("over TCP from the flooding address: %v, want a full answer", r)
	}
}

// TestRateLimitExempt: an exempt network is never limited.
func TestRateLimitExempt(t *testing.T) {
	ts := startServer(t, testSnapshot(t), Options{RateLimit: RateLimit{Limiter: limiter(1, 2), Exempt: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}})
	q := new(dns.Msg)
	q.SetQuestion("www.example.test.", dns.TypeA)
	for i := range 20 {
		if r := ts.exchange(t, "udp", q); r.Truncated || len(r.Answer) == 0 {
			t.Fatalf("query %d from an exempt network: %v, want a full answer", i, r)
		}
	}
}

func TestSlipKeepsHeaderAndQuestion(t *testing.T) {
	q := new(dns.Msg)
	q.SetQuestion("www.example.test.", dns.TypeA)
	q.SetEdns0(1232, false)
	reply, _ := testSnapshot(t).respond(nil, q, true, netip.Addr{})
	var r dns.Msg
	if err := r.Unpack(slip(reply)); err != nil {
		t.Fatal(err)
	}
	if !r.Truncated || r.Id != q.Id || len(r.Question) != 1 || r.Question[0].Name != "www.example.test." ||
		len(r.Answer)+len(r.Ns)+len(r.Extra) != 0 {
		t.Errorf("slipped reply %v: want TC, the question, nothing else", &r)
	}
}

// TestRateLimitAllocatesNothing: the query path stays allocation-free with
// a limiter, whether it sends, slips or drops.
func TestRateLimitAllocatesNothing(t *testing.T) {
	srv := New(Options{RateLimit: RateLimit{Limiter: limiter(1, 2)}}, testSnapshot(t))
	pkt, _ := question("www.example.test.", dns.TypeA).Pack()
	loop, out := newLoop(), make([]byte, 0, 4096)
	client := netip.MustParseAddr("198.51.100.7")
	if n := testing.AllocsPerRun(200, func() { srv.answerUDP(loop, pkt, out, client) }); n != 0 {
		t.Errorf("%.1f allocations per limited query, want 0", n)
	}
}

// BenchmarkAnswerUDPRateLimited is BenchmarkAnswerUDP's plain query with
// rate limiting on, from a client under the rate (every reply sent): what
// the limiter adds to an answer.
func BenchmarkAnswerUDPRateLimited(b *testing.B) {
	srv := New(Options{RateLimit: RateLimit{Limiter: limiter(rrl.MaxRate, 2)}}, testSnapshot(b))
	pkt, _ := question("www.example.test.", dns.TypeA).Pack()
	loop, out := newLoop(), make([]byte, 0, 4096)
	client := netip.MustParseAddr("198.51.100.7")
	b.ReportAllocs()
	for b.Loop() {
		loop.now += int64(time.Second) / rrl.MaxRate // paced at the rate: always sent
		if _, q, ok := srv.answerUDP(loop, pkt, out, client); !ok || q.Limited != rrl.Send {
			b.Fatal("limited")
		}
	}
}
