//go:build unix

package dnsserver

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestTCPClientThatNeverReadsIsDropped: a client pipelines queries for
// large answers and never reads them. The server's writes block once the
// socket buffers are full; the write timeout must end the connection, or
// its goroutine, and Shutdown, would wait forever.
func TestTCPClientThatNeverReadsIsDropped(t *testing.T) {
	s := New(Options{}, testSnapshot(t))
	_, tcp, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// A small receive buffer, so the answers back up at the server soon.
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		return errors.Join(err, serr)
	}}
	conn, err := d.Dial("tcp", tcp.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// 5,000 answers of 60 AAAA records are about 8.5 MB, more than the
	// socket buffers hold.
	var queries []byte
	q := packed(t, question("big.example.test.", dns.TypeAAAA))
	for range 5000 {
		queries = binary.BigEndian.AppendUint16(queries, uint16(len(q)))
		queries = append(queries, q...)
	}
	_ = conn.SetWriteDeadline(time.Now().Add(20 * time.Second))
	if _, err := conn.Write(queries); err != nil {
		t.Logf("writing the queries stopped early: %v", err) // the server may already have dropped us
	}
	// Give the server time to fill the buffers and block in a write; the
	// test passes either way once the fix is in, so this only decides
	// whether it could catch the fault, not whether it flakes.
	time.Sleep(time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	start := time.Now()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown with a client that never reads: %v after %v; want done within the %v write timeout",
			err, time.Since(start).Round(time.Millisecond), tcpWriteTimeout)
	}
}
