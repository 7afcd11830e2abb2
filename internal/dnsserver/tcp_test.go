package dnsserver

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/miekg/dns"

	"outlast/internal/conncap"
)

// TestTCPPipelinedQueriesAllAnswered: a client that writes many queries on
// one connection before reading gets an answer to every one up to the
// per-connection limit, in order with matching IDs, and then a clean end
// of stream (FIN), not a reset that would discard answers already sent.
// miekg's default limit answered 128 of 200 and then reset.
func TestTCPPipelinedQueriesAllAnswered(t *testing.T) {
	ts := startServer(t, testSnapshot(t), Options{})
	for _, n := range []int{200, tcpQueriesPerConn + 50} {
		conn, err := net.Dial("tcp", ts.tcp)
		if err != nil {
			t.Fatal(err)
		}
		if err := conn.SetDeadline(time.Now().Add(60 * time.Second)); err != nil {
			t.Fatal(err)
		}
		wrote := make(chan error, 1)
		go func() { _, err := conn.Write(pipelined(t, n)); wrote <- err }()
		got, err := readAnswers(conn)
		conn.Close()
		if werr := <-wrote; werr != nil {
			t.Errorf("%d queries: writing them: %v", n, werr)
		}
		want := min(n, tcpQueriesPerConn)
		if got != want || !errors.Is(err, io.EOF) {
			t.Errorf("%d pipelined queries: %d answers in order, then %v; want %d answers, then EOF", n, got, err, want)
		}
	}
}

// pipelined is n length-prefixed queries with IDs 0 to n-1.
func pipelined(t *testing.T, n int) []byte {
	var out []byte
	for i := range n {
		m := question(burstNames[i%len(burstNames)], dns.TypeA)
		m.Id = uint16(i)
		b := packed(t, m)
		out = binary.BigEndian.AppendUint16(out, uint16(len(b)))
		out = append(out, b...)
	}
	return out
}

// readAnswers reads replies until the stream ends and returns how many
// came in order: reply i must carry ID i and the question of query i.
func readAnswers(conn net.Conn) (int, error) {
	br := bufio.NewReader(conn)
	for i := 0; ; i++ {
		reply, err := readReply(readerConn{br, conn}, "tcp")
		if err != nil {
			return i, err
		}
		var r dns.Msg
		if err := r.Unpack(reply); err != nil {
			return i, err
		}
		if r.Id != uint16(i) || len(r.Question) != 1 || r.Question[0].Name != burstNames[i%len(burstNames)] {
			return i, errors.New("reply out of order: ID " + r.String())
		}
	}
}

// readerConn reads through a buffer but is otherwise conn.
type readerConn struct {
	r io.Reader
	net.Conn
}

func (c readerConn) Read(b []byte) (int, error) { return c.r.Read(b) }

// TestTCPConnectionsCappedPerClient: one client cannot hold more than its
// share of TCP connections (each one a file descriptor the node's probes
// need); the next is closed at once, while another client is still served.
func TestTCPConnectionsCappedPerClient(t *testing.T) {
	ts := startServer(t, testSnapshot(t), Options{TCP: conncap.Caps{PerClient: 2, Total: 10}})
	exchangeFrom := func(src string) (*dns.Msg, error) {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 2 * time.Second}
		conn, err := d.Dial("tcp", ts.tcp)
		if err != nil {
			return nil, err
		}
		t.Cleanup(func() { conn.Close() })
		c := &dns.Conn{Conn: conn}
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		if err := c.WriteMsg(question("www.example.test.", dns.TypeA)); err != nil {
			return nil, err
		}
		return c.ReadMsg()
	}
	for i := range 2 { // held open: miekg keeps a connection for its idle timeout
		if _, err := exchangeFrom("127.0.0.1"); err != nil {
			t.Fatalf("connection %d of the 2 allowed: %v", i+1, err)
		}
	}
	if r, err := exchangeFrom("127.0.0.1"); err == nil {
		t.Errorf("a third connection from one client was answered (%v), want it closed", r.Rcode)
	}
	if _, err := exchangeFrom("127.0.0.2"); err != nil {
		t.Errorf("another client must still be served: %v", err)
	}
	if st := ts.TCPStats(); st.RefusedPerClient != 1 || st.Open != 3 {
		t.Errorf("TCPStats %+v, want 1 refused per client and 3 open", st)
	}
}
