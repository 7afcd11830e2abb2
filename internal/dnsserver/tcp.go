package dnsserver

import (
	"io"
	"net"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// TCP is served by miekg's Server, over a listener of ours whose
// connections close without losing answers and never block on a client
// that stops reading.
//
// Closing a socket that still holds unread input makes the kernel send a
// reset instead of a FIN, and a reset makes the client's kernel discard
// answers it has received but not yet handed to the client. A client that
// pipelines past the query limit always leaves such input, so a connection
// closed at the limit first shuts down its write side (the client reads
// every answer, then end of file), then reads and discards what the client
// still sends for up to tcpLinger, and only then closes.

// TCP limits.
const (
	// tcpQueriesPerConn is how many queries one connection may ask; then
	// the server closes it and the client reconnects for the rest (RFC
	// 7766 6.2.1 and 6.2.4). Knot and BIND set no such limit and close
	// only idle connections; a limit this high costs a resolver one new
	// connection per 10,000 queries and keeps one client from holding a
	// server goroutine forever. miekg's default of 128 cut off pipelining
	// clients early.
	tcpQueriesPerConn = 10_000
	// tcpLinger bounds how long a connection closed at the limit keeps
	// discarding input before it closes.
	tcpLinger = 2 * time.Second
	// tcpLingerBytes bounds what it discards meanwhile; a client that
	// sends more is cut off with a reset, as it would be without lingering.
	tcpLingerBytes = 1 << 20
	// tcpWriteTimeout bounds how long an answer may wait for a client that
	// does not read; then the connection is dropped. Without it a client
	// that pipelines and never reads holds a goroutine, and Shutdown,
	// forever. Deadlines are renewed at most every half timeout, so an
	// answer gets between half and the whole of it.
	tcpWriteTimeout = 2 * time.Second
)

// tcpListener hands out lingerConns. Close marks it stopping, so a
// connection being closed at shutdown does not linger: miekg closes the
// listener before it interrupts every connection's read.
type tcpListener struct {
	net.Listener
	stopping atomic.Bool
}

func (l *tcpListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &lingerConn{Conn: c, ln: l}, nil
}

func (l *tcpListener) Close() error {
	l.stopping.Store(true)
	return l.Listener.Close()
}

// lingerConn is one client connection. miekg uses it from the
// connection's one goroutine (Read, Write, Close) and, at shutdown, sets
// its read deadline from another; only the deadline methods are shared.
type lingerConn struct {
	net.Conn
	ln *tcpListener
	// failed is set by the first read or write error: the stream is over
	// (or, after a partial write, corrupt), so the next read fails at once
	// and Close does not linger.
	failed     bool
	writeRenew time.Time // when the write deadline is next renewed
}

func (c *lingerConn) Read(b []byte) (int, error) {
	if c.failed {
		return 0, io.ErrClosedPipe
	}
	n, err := c.Conn.Read(b)
	if err != nil {
		c.failed = true
	}
	return n, err
}

func (c *lingerConn) Write(b []byte) (int, error) {
	if c.failed {
		return 0, io.ErrClosedPipe
	}
	if now := time.Now(); now.After(c.writeRenew) {
		if err := c.Conn.SetWriteDeadline(now.Add(tcpWriteTimeout)); err != nil {
			c.failed = true
			return 0, err
		}
		c.writeRenew = now.Add(tcpWriteTimeout / 2)
	}
	n, err := c.Conn.Write(b)
	if err != nil {
		c.failed = true
	}
	return n, err
}

// Close closes gracefully after a connection that was still working (miekg
// closes it at the query limit), and at once after a read or write error
// or at shutdown.
func (c *lingerConn) Close() error {
	half, ok := c.Conn.(interface{ CloseWrite() error }) // a TCP connection, also under conncap
	if c.failed || !ok || c.ln.stopping.Load() {
		return c.Conn.Close()
	}
	if half.CloseWrite() == nil && c.Conn.SetReadDeadline(time.Now().Add(tcpLinger)) == nil &&
		!c.ln.stopping.Load() { // checked after the deadline is set: see tcpListener
		_, _ = io.CopyN(io.Discard, c.Conn, tcpLingerBytes) // until the client closes, the deadline or the bound
	}
	return c.Conn.Close()
}

// acceptTCP is acceptAll for miekg's TCP server, which answers the
// requests acceptAll rejects itself: it counts them for OnQuery, as the
// UDP path does, just before they are written.
func (s *Server) acceptTCP(h dns.Header) dns.MsgAcceptAction {
	action := acceptAll(h)
	if s.onQuery != nil && (action == dns.MsgReject || action == dns.MsgRejectNotImplemented) {
		s.onQuery(Query{Rcode: rejectRcode(action)})
	}
	return action
}

// invalidTCP counts a TCP request that does not parse, which miekg
// answers with FORMERR when it had a header and drops otherwise.
func (s *Server) invalidTCP(m []byte, _ error) {
	if s.onQuery != nil && len(m) >= headerLen {
		s.onQuery(Query{Rcode: dns.RcodeFormatError})
	}
}
