package dnsserver

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestWildcardBindAnswersFromTheAskedAddress: bound to every address, the
// server must reply from the address each query went to, or a resolver
// (here a connected UDP socket) discards the reply as coming from a stranger.
func TestWildcardBindAnswersFromTheAskedAddress(t *testing.T) {
	s := New(Options{}, testSnapshot(t))
	udp, _, err := s.Start(":0") // every address, IPv4 and IPv6
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
	if conn, err := net.ListenPacket("udp6", "[::1]:0"); err == nil { // IPv6 loopback exists here
		conn.Close()
		asked = append(asked, "::1")
	}
	for _, ip := range asked {
		r, _, err := c.Exchange(question("www.example.test.", dns.TypeA), net.JoinHostPort(ip, port))
		if err != nil || r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
			t.Errorf("asking %s: %v, %v; want one answer from %s itself", ip, err, r, ip)
		}
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
