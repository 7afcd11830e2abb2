package dnsserver

import (
	"context"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"outlast/internal/udpbatch"
)

// TestWildcardBindAnswersFromTheAskedAddress: bound to every address, the
// server must reply from the address each query went to, or a resolver
// (here a connected UDP socket) discards the reply as coming from a stranger.
func TestWildcardBindAnswersFromTheAskedAddress(t *testing.T) {
	for _, bind := range []string{":0", "0.0.0.0:0"} { // dual-stack, then an IPv4-only socket
		t.Run(bind, func(t *testing.T) {
			s := New(Options{}, testSnapshot(t))
			udp, _, err := s.Start(bind)
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				if err := s.Shutdown(ctx); err != nil {
					t.Error(err)
				}
			}()
			_, port, _ := net.SplitHostPort(udp.String())
			c := &dns.Client{Net: "udp", Timeout: 2 * time.Second}
			asked := []string{"127.0.0.1", "127.0.0.2", "127.0.0.3"}
			if conn, err := net.ListenPacket("udp6", "[::1]:0"); err == nil && bind == ":0" { // IPv6 loopback exists here
				conn.Close()
				asked = append(asked, "::1")
			}
			for _, ip := range asked {
				r, _, err := c.Exchange(question("www.example.test.", dns.TypeA), net.JoinHostPort(ip, port))
				if err != nil || r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
					t.Errorf("asking %s: %v, %v; want one answer from %s itself", ip, err, r, ip)
				}
			}
		})
	}
}

// TestUDPGarbage: a datagram shorter than a header gets no reply (a reply
// could amplify an attack), a response is ignored, a request that does not
// parse gets FORMERR with its ID.
func TestUDPGarbage(t *testing.T) {
	ts := startServer(t, testSnapshot(t), Options{})
	conn, err := net.Dial("udp", ts.udp)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	read := func() []byte {
		_ = conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		buf := make([]byte, 512)
		n, err := conn.Read(buf)
		if err != nil {
			return nil
		}
		return buf[:n]
	}
	for name, pkt := range map[string][]byte{
		"short":    {0x12, 0x34, 0x01},
		"response": {0x12, 0x34, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1},
	} {
		if _, err := conn.Write(pkt); err != nil {
			t.Fatal(err)
		}
		if got := read(); got != nil {
			t.Errorf("%s: got a reply % x, want none", name, got)
		}
	}
	// One question announced, none present: it does not parse.
	if _, err := conn.Write([]byte{0xab, 0xcd, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0}); err != nil {
		t.Fatal(err)
	}
	var r dns.Msg
	got := read()
	if got == nil || r.Unpack(got) != nil || r.Id != 0xabcd || r.Rcode != dns.RcodeFormatError || !r.RecursionDesired {
		t.Errorf("truncated request: got % x (%v), want FORMERR with id abcd and RD", got, r.MsgHdr)
	}
}

// TestUDPBurstAnswersEachSender: queries from several clients arrive
// together, so the server reads them in batches; every query must get its
// own reply (its ID, its question) at its own client, and datagrams that
// get no reply must not shift the others. The queries go out in waves
// small enough for the sockets' receive buffers, since UDP drops what
// overflows them.
func TestUDPBurstAnswersEachSender(t *testing.T) {
	var answered atomic.Int64
	ts := startServer(t, testSnapshot(t), Options{OnQuery: func(Query) { answered.Add(1) }})
	server, err := net.ResolveUDPAddr("udp", ts.udp)
	if err != nil {
		t.Fatal(err)
	}
	const clients, waves, perWave = 4, 10, 12
	conns := make([]*net.UDPConn, clients)
	for c := range conns {
		if conns[c], err = net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}); err != nil {
			t.Fatal(err)
		}
		defer conns[c].Close()
	}
	for w := range waves {
		// All of a wave goes out before any reply is read, so it queues up.
		for i := range perWave {
			for c, conn := range conns {
				sendBurstQuery(t, conn, server, c, w*perWave+i)
			}
		}
		for c, conn := range conns {
			readBurstReplies(t, conn, c, w*perWave, perWave)
		}
	}
	// OnQuery runs after a batch is written, so a client can hold its last
	// reply a moment before the hook has counted it.
	want := int64(clients * waves * perWave)
	for deadline := time.Now().Add(5 * time.Second); answered.Load() < want && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if got := answered.Load(); got != want {
		t.Errorf("OnQuery saw %d answers, want %d", got, want)
	}
}

var burstNames = []string{"www.example.test.", "nope.example.test.", "sub.example.test.", "elsewhere.test."}

// sendBurstQuery sends client c's query number i, with ID c*1000+i, and
// after every tenth a response, which the server must ignore.
func sendBurstQuery(t *testing.T, conn *net.UDPConn, server *net.UDPAddr, c, i int) {
	t.Helper()
	q := question(burstNames[(i+c)%len(burstNames)], dns.TypeA)
	q.Id = uint16(c*1000 + i)
	pkt, _ := q.Pack()
	if _, err := conn.WriteToUDP(pkt, server); err != nil {
		t.Fatal(err)
	}
	if i%10 == 0 {
		if _, err := conn.WriteToUDP([]byte{0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0}, server); err != nil {
			t.Fatal(err)
		}
	}
}

// readBurstReplies reads the replies to client c's queries from..from+n-1.
func readBurstReplies(t *testing.T, conn *net.UDPConn, c, from, n int) {
	t.Helper()
	seen := map[uint16]bool{}
	buf := make([]byte, 1500)
	for len(seen) < n {
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		size, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("client %d: %d of the %d replies from query %d on, then %v", c, len(seen), n, from, err)
		}
		var r dns.Msg
		if err := r.Unpack(buf[:size]); err != nil {
			t.Fatalf("client %d: reply does not parse: %v", c, err)
		}
		i := int(r.Id) - c*1000
		if i < from || i >= from+n || seen[r.Id] {
			t.Fatalf("client %d: reply with ID %d, which it did not just ask or got twice", c, r.Id)
		}
		if want := burstNames[(i+c)%len(burstNames)]; len(r.Question) != 1 || r.Question[0].Name != want {
			t.Fatalf("client %d: reply %d is for %v, want %s", c, r.Id, r.Question, want)
		}
		seen[r.Id] = true
	}
}

// TestSendSkipsARefusedReply: sendmmsg stops at the first reply the kernel
// refuses (here one to port 0); that reply is dropped and the ones after it
// still go out.
func TestSendSkipsARefusedReply(t *testing.T) {
	s := New(Options{}, testSnapshot(t))
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var clients []*net.UDPConn
	for range 2 {
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		clients = append(clients, c)
	}
	msg := func(text string, to netip.AddrPort) udpbatch.Message {
		return udpbatch.Message{Buf: []byte(text), N: len(text), Addr: to}
	}
	replies := []udpbatch.Message{
		msg("first", clients[0].LocalAddr().(*net.UDPAddr).AddrPort()),
		msg("refused", netip.MustParseAddrPort("127.0.0.1:0")),
		msg("last", clients[1].LocalAddr().(*net.UDPAddr).AddrPort()),
	}
	bc, err := udpbatch.New(conn, udpBatch)
	if err != nil {
		t.Fatal(err)
	}
	s.send(bc, replies)
	for i, want := range []string{"first", "last"} {
		buf := make([]byte, 64)
		_ = clients[i].SetReadDeadline(time.Now().Add(2 * time.Second))
		n, err := clients[i].Read(buf)
		if err != nil || string(buf[:n]) != want {
			t.Errorf("client %d got %q, %v; want %q", i, buf[:n], err, want)
		}
	}
}
