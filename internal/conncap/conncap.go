// Package conncap caps the connections a TCP listener hands out, per client
// and in all, so that no client (or crowd of clients) can take the file
// descriptors a node needs for its probes, Raft and its other listeners.
// A node's HTTP and DNS-over-TCP listeners both sit behind one.
//
// Without a cap, 2,000 idle HTTP connections exhausted a node's open-file
// limit; every probe then failed with "too many open files" and the node
// voted every endpoint down, so an attacker doing that to two of three
// nodes could forge a quorum.
package conncap

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Caps bound one listener. A zero field takes its default.
type Caps struct {
	// PerClient is how many connections one client may hold open at once
	// (default 64). A client is an IPv4 address or an IPv6 /64, loopback
	// included. A browser opens at most 6 per host, Prometheus 1 and a
	// resolver a few, so 64 leaves room for a NAT'ed office; with the
	// default Total one address cannot take more than 1/16 of it.
	PerClient int
	// Total is how many connections the listener holds open at once
	// (default 1024, or a quarter of the process's open-file limit when
	// that is lower, never below 16).
	Total int
}

// Default caps; see the fields of Caps for why.
const (
	DefaultPerClient = 64
	DefaultTotal     = 1024
)

// WithDefaults fills in every zero field; PerClient never exceeds Total.
func (c Caps) WithDefaults() Caps {
	if c.Total <= 0 {
		c.Total = defaultTotal(OpenFileLimit())
	}
	if c.PerClient <= 0 {
		c.PerClient = DefaultPerClient
	}
	c.PerClient = min(c.PerClient, c.Total)
	return c
}

// defaultTotal is DefaultTotal, or a quarter of the open-file limit
// (0: unknown) when that is lower, and never below 16.
func defaultTotal(fileLimit uint64) int {
	if fileLimit == 0 || fileLimit/4 >= DefaultTotal {
		return DefaultTotal
	}
	return max(int(fileLimit/4), 16)
}

// Reason says why a connection was refused; it is fit for a metric label.
type Reason string

// Reasons for refusing a connection.
const (
	ReasonPerClient Reason = "per_client" // the client already holds Caps.PerClient
	ReasonTotal     Reason = "total"      // the listener already holds Caps.Total
)

// Options tune a Listener beyond its Caps.
type Options struct {
	// Refusal, if set, returns what a refused connection is told before it
	// is closed (an HTTP 503, say); nil closes it without a word.
	Refusal func(r Reason, caps Caps) []byte
	// OnRefuse, if set, is called (from Accept, so it must not block) for
	// every refused connection, with where it came from, e.g. to log it.
	OnRefuse func(r Reason, remote net.Addr)
}

// Stats are a Listener's counters.
type Stats struct {
	Open             int    // connections held now
	RefusedPerClient uint64 // refused since start because their client held Caps.PerClient
	RefusedTotal     uint64 // refused since start because the listener held Caps.Total
}

// Listener caps the connections it hands out, per client and in all. A
// connection over a cap is closed as soon as it is accepted, so it holds a
// descriptor for microseconds; the counts drop when the server closes a
// connection (idle, timed out, or done).
type Listener struct {
	net.Listener
	caps Caps
	opts Options

	mu      sync.Mutex
	open    int
	clients map[netip.Addr]int // open connections by client key

	refusedPerClient, refusedTotal atomic.Uint64
}

// New wraps ln, a raw TCP listener (put TLS above it, not below), with
// caps; zero caps take their defaults.
func New(ln net.Listener, caps Caps, o Options) *Listener {
	return &Listener{Listener: ln, caps: caps.WithDefaults(), opts: o, clients: map[netip.Addr]int{}}
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
	case l.open >= l.caps.Total:
		l.refusedTotal.Add(1)
		return ReasonTotal, false
	case l.clients[key] >= l.caps.PerClient:
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

// refuseWriteTimeout bounds telling a refused connection why. The answer
// fits in a fresh socket's send buffer, so it does not wait in practice;
// the deadline only guarantees Accept never stalls on it.
const refuseWriteTimeout = 50 * time.Millisecond

func (l *Listener) refuse(c net.Conn, reason Reason) {
	if l.opts.Refusal != nil {
		_ = c.SetWriteDeadline(time.Now().Add(refuseWriteTimeout))
		_, _ = c.Write(l.opts.Refusal(reason, l.caps))
	}
	_ = c.Close()
	if l.opts.OnRefuse != nil {
		l.opts.OnRefuse(reason, c.RemoteAddr())
	}
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

// CloseWrite shuts down the writing side of a TCP connection, for a server
// that closes gracefully (FIN first, then drain); the place under the caps
// is kept until Close.
func (c *conn) CloseWrite() error {
	if half, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return half.CloseWrite()
	}
	return errors.ErrUnsupported
}
