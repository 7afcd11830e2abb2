package httpguard

import (
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Reason says why a connection was refused; it is fit for a metric label.
type Reason string

// Reasons for refusing a connection.
const (
	ReasonPerClient Reason = "per_client" // the client already holds Limits.PerClient
	ReasonTotal     Reason = "total"      // the listener already holds Limits.Total
)

// Options tune a Listener beyond its Limits.
type Options struct {
	// Plain says the listener carries plain HTTP (no TLS above it), so a
	// refused connection is first told why with a short 503 response. Under
	// TLS a refused connection is closed without a word: plain text there
	// would only be a handshake error.
	Plain bool
	// OnRefuse, if set, is called (from Accept, so it must not block) for
	// every refused connection, e.g. to count it in a metric.
	OnRefuse func(Reason)
}

// Stats are a Listener's counters.
type Stats struct {
	Open             int    // connections held now
	RefusedPerClient uint64 // refused since start because their client held PerClient
	RefusedTotal     uint64 // refused since start because the listener held Total
}

// Listener caps the connections it hands out, per client and in all. A
// connection over a cap is closed as soon as it is accepted, so it holds a
// descriptor for microseconds; the counts drop when the server closes a
// connection (idle, timed out, or done).
type Listener struct {
	net.Listener
	perClient, total int
	opts             Options

	mu      sync.Mutex
	open    int
	clients map[netip.Addr]int // open connections by client key

	refusedPerClient, refusedTotal atomic.Uint64
}

// NewListener wraps ln, a raw TCP listener (put TLS above it, not below),
// with the connection caps of l; zero caps take their defaults.
func NewListener(ln net.Listener, l Limits, o Options) *Listener {
	l = l.withDefaults()
	return &Listener{Listener: ln, perClient: l.PerClient, total: l.Total, opts: o, clients: map[netip.Addr]int{}}
}

// Accept returns the next connection within the caps, closing the ones
// over them as it goes.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		key := clientKey(c.RemoteAddr())
		if reason, ok := l.admit(key); !ok {
			l.refuse(c, reason)
			continue
		}
		return &conn{Conn: c, release: func() { l.release(key) }}, nil
	}
}

// Stats returns the counters; it is safe to call at any time.
func (l *Listener) Stats() Stats {
	l.mu.Lock()
	open := l.open
	l.mu.Unlock()
	return Stats{Open: open, RefusedPerClient: l.refusedPerClient.Load(), RefusedTotal: l.refusedTotal.Load()}
}

func (l *Listener) admit(key netip.Addr) (Reason, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.open >= l.total:
		l.refusedTotal.Add(1)
		return ReasonTotal, false
	case l.clients[key] >= l.perClient:
		l.refusedPerClient.Add(1)
		return ReasonPerClient, false
	}
	l.open++
	l.clients[key]++
	return "", true
}

func (l *Listener) release(key netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if l.clients[key]--; l.clients[key] <= 0 {
		delete(l.clients, key)
	}
}

// refuseWriteTimeout bounds telling a refused plain connection why. The
// answer fits in a fresh socket's send buffer, so it does not wait in
// practice; the deadline only guarantees Accept never stalls on it.
const refuseWriteTimeout = 50 * time.Millisecond

func (l *Listener) refuse(c net.Conn, reason Reason) {
	if l.opts.Plain {
		_ = c.SetWriteDeadline(time.Now().Add(refuseWriteTimeout))
		_, _ = c.Write(refusal(reason, l.perClient, l.total))
	}
	_ = c.Close()
	if l.opts.OnRefuse != nil {
		l.opts.OnRefuse(reason)
	}
}

// refusal is the 503 a refused plain-HTTP connection reads.
func refusal(reason Reason, perClient, total int) []byte {
	msg := fmt.Sprintf("too many connections to this node (%d in all); retry in a few seconds\n", total)
	if reason == ReasonPerClient {
		msg = fmt.Sprintf("too many connections from your address (at most %d at once); close idle ones and retry\n", perClient)
	}
	return fmt.Appendf(nil, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"+
		"Retry-After: 5\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s", len(msg), msg)
}

// clientKey is who a connection counts against: its IPv4 address, or the
// /64 of its IPv6 address, since one IPv6 host usually holds a whole /64.
// Anything that is not TCP counts as one client.
func clientKey(a net.Addr) netip.Addr {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return netip.Addr{}
	}
	ip := tcp.AddrPort().Addr().Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.Addr()
	}
	return ip
}

// conn releases its place under the caps when it is first closed.
type conn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *conn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}
