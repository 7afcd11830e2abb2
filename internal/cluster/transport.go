package cluster

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"

	"outlast/internal/conncap"
)

// The byte a dialer writes after the TLS handshake to say what the
// connection carries, and the byte the acceptor answers once it has taken
// the connection. Waiting for the answer makes a dial mean "authenticated
// both ways": with TLS 1.3 a client's handshake completes before the server
// has checked the client's certificate, so without it a refused certificate
// would only show up later, as a failed read in the middle of an RPC.
const (
	kindRaft byte = 'R'
	kindHTTP byte = 'H'
	ackByte  byte = 'K'

	// handshakeTimeout bounds an accepted connection's TLS handshake and
	// kind byte, so a peer that connects and says nothing is dropped.
	handshakeTimeout = 10 * time.Second
)

// mux accepts TLS connections on one listener and hands each to the raft
// stream layer or to the HTTP server according to its kind byte.
type mux struct {
	ln      net.Listener
	tlsConf *tls.Config
	logger  *slog.Logger
	sampled *sampledLog // for what a stranger can repeat at will
	refused atomic.Uint64
	raft    *chanListener
	http    *chanListener
	conns   *connSet
	wg      sync.WaitGroup
}

func newMux(ln net.Listener, tlsConf *tls.Config, advertise net.Addr, conns *connSet, logger *slog.Logger, sampled *sampledLog) *mux {
	m := &mux{
		tlsConf: tlsConf,
		logger:  logger,
		sampled: sampled,
		raft:    newChanListener(advertise),
		http:    newChanListener(advertise),
		conns:   conns,
	}
	// Capped before the TLS handshake: a stranger can open connections
	// without a certificate and hold each for handshakeTimeout.
	m.ln = conncap.New(ln, conncap.Caps{PerClient: peerConnsPerClient}, conncap.Options{OnRefuse: m.overCap})
	m.wg.Add(1)
	go m.serve()
	return m
}

// overCap counts and logs, like any refusal, a connection closed at
// accept because its address (or everyone) held too many.
func (m *mux) overCap(r conncap.Reason, remote net.Addr) {
	m.refuse("cluster: refused connection", remote.String(), "too many connections: "+string(r),
		"remote", remote.String(), "err", "too many connections: "+string(r))
}

func (m *mux) serve() {
	defer m.wg.Done()
	for {
		raw, err := m.ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				m.logger.Error("cluster: accept stopped", "err", err)
			}
			return
		}
		c := m.conns.track(raw)
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			m.handle(c)
		}()
	}
}

// handle authenticates one accepted connection and passes it on.
func (m *mux) handle(raw net.Conn) {
	tc := tls.Server(raw, m.tlsConf)
	remote := raw.RemoteAddr().String()
	kind, err := acceptKind(tc)
	if err != nil {
		// A peer without a certificate from the cluster CA ends here, as
		// often as it cares to try: the log gets the first refusal from
		// each host and then a count.
		m.refuse("cluster: refused connection", remote, err.Error(), "remote", remote, "err", err)
		tc.Close()
		return
	}
	peer := peerCN(tc.ConnectionState())
	m.logger.Debug("cluster: accepted connection", "peer", peer, "remote", remote, "kind", string(kind))
	switch kind {
	case kindRaft:
		m.raft.deliver(quietConn{tc})
	case kindHTTP:
		m.http.deliver(tc)
	default:
		detail := fmt.Sprintf("kind %q from %s", kind, peer)
		m.refuse("cluster: unknown connection kind", remote, detail, "peer", peer, "remote", remote, "kind", kind)
		tc.Close()
	}
}

// refuse counts a refused connection and logs it, sampled by remote host.
func (m *mux) refuse(event, remote, detail string, args ...any) {
	m.refused.Add(1)
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	m.sampled.log(slog.LevelWarn, event, host, detail, args...)
}

// acceptKind completes the server side of the handshake, reads the kind
// byte and acknowledges it.
func acceptKind(tc *tls.Conn) (byte, error) {
	if err := tc.SetDeadline(time.Now().Add(handshakeTimeout)); err != nil {
		return 0, err
	}
	if err := tc.Handshake(); err != nil {
		return 0, fmt.Errorf("tls handshake: %w", err)
	}
	var b [1]byte
	if _, err := io.ReadFull(tc, b[:]); err != nil {
		return 0, fmt.Errorf("read kind: %w", err)
	}
	if _, err := tc.Write([]byte{ackByte}); err != nil {
		return 0, fmt.Errorf("ack: %w", err)
	}
	return b[0], tc.SetDeadline(time.Time{})
}

// close stops accepting and waits for the handshakes in flight. It closes
// neither the raft nor the HTTP listener: their owners do.
func (m *mux) close() {
	m.ln.Close()
	m.conns.closeAll()
	m.wg.Wait()
}

// dialer opens authenticated connections of one kind to a peer.
type dialer struct {
	dialTCP    func(ctx context.Context, network, addr string) (net.Conn, error) // nil: net.Dialer
	clientTLS  func(serverName string) *tls.Config
	serverName func(addr string) string
	conns      *connSet
}

// dialError marks a failure to connect: the request was surely not sent,
// so it may be retried.
type dialError struct{ err error }

func (e *dialError) Error() string { return e.err.Error() }
func (e *dialError) Unwrap() error { return e.err }

func (d *dialer) dial(ctx context.Context, addr string, kind byte) (*tls.Conn, error) {
	dialTCP := d.dialTCP
	if dialTCP == nil {
		dialTCP = (&net.Dialer{}).DialContext
	}
	raw, err := dialTCP(ctx, "tcp", addr)
	if err != nil {
		return nil, &dialError{err}
	}
	name := d.serverName(addr)
	conf := d.clientTLS(name)
	if conf.ServerName == "" {
		conf = conf.Clone()
		conf.ServerName = name
	}
	tc := tls.Client(d.conns.track(raw), conf)
	if err := dialKind(ctx, tc, kind); err != nil {
		tc.Close()
		return nil, &dialError{fmt.Errorf("%s: %w", addr, err)}
	}
	return tc, nil
}

// dialKind completes the client side: handshake, kind byte, acknowledgement.
func dialKind(ctx context.Context, tc *tls.Conn, kind byte) error {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(handshakeTimeout)
	}
	if err := tc.SetDeadline(deadline); err != nil {
		return err
	}
	if err := tc.HandshakeContext(ctx); err != nil {
		return fmt.Errorf("tls handshake: %w", err)
	}
	if _, err := tc.Write([]byte{kind}); err != nil {
		return fmt.Errorf("write kind: %w", err)
	}
	var b [1]byte
	if _, err := io.ReadFull(tc, b[:]); err != nil {
		return fmt.Errorf("refused by peer: %w", err)
	}
	if b[0] != ackByte {
		return fmt.Errorf("unexpected acknowledgement %q", b[0])
	}
	return tc.SetDeadline(time.Time{})
}

// quietConn reports a connection closed by this node's shutdown as a plain
// end of stream: raft logs any other read error on an accepted connection
// as an error, which would fill every clean shutdown with false alarms.
type quietConn struct{ net.Conn }

func (c quietConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if errors.Is(err, net.ErrClosed) {
		err = io.EOF
	}
	return n, err
}

// streamLayer is raft's view of the mux: the raft connections accepted, and
// dials that announce themselves as raft.
type streamLayer struct {
	*chanListener
	dialer *dialer
}

// Dial implements raft.StreamLayer.
func (s streamLayer) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return s.dialer.dial(ctx, string(address), kindRaft)
}

// chanListener is a net.Listener fed by the mux.
type chanListener struct {
	addr net.Addr
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
}

func newChanListener(addr net.Addr) *chanListener {
	return &chanListener{addr: addr, ch: make(chan net.Conn), done: make(chan struct{})}
}

func (l *chanListener) deliver(c net.Conn) {
	select {
	case l.ch <- c:
	case <-l.done:
		c.Close()
	}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *chanListener) Addr() net.Addr { return l.addr }

// advertiseAddr is the address peers reach this node at; raft takes it as
// the node's own address from the stream layer.
type advertiseAddr string

func (a advertiseAddr) Network() string { return "tcp" }
func (a advertiseAddr) String() string  { return string(a) }

// connSet holds every connection open, accepted or dialed, raft or HTTP, so
// that shutdown closes them all: raft's NetworkTransport does not close the
// connections it accepted, and its goroutines would otherwise wait on them
// until the peer hangs up.
type connSet struct {
	mu     sync.Mutex
	set    map[*trackedConn]struct{}
	closed bool
	// sent and received count the bytes on the wire, TLS included, of
	// every connection the set tracked: what the cluster costs in traffic.
	sent, received atomic.Uint64
}

func newConnSet() *connSet { return &connSet{set: make(map[*trackedConn]struct{})} }

func (s *connSet) track(c net.Conn) net.Conn {
	t := &trackedConn{Conn: c, set: s}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		c.Close()
	} else {
		s.set[t] = struct{}{}
	}
	return t
}

func (s *connSet) closeAll() {
	s.mu.Lock()
	s.closed = true
	conns := s.set
	s.set = nil
	s.mu.Unlock()
	for c := range conns {
		c.Conn.Close()
	}
}

type trackedConn struct {
	net.Conn
	set  *connSet
	once sync.Once
}

func (t *trackedConn) Read(p []byte) (int, error) {
	n, err := t.Conn.Read(p)
	t.set.received.Add(uint64(n))
	return n, err
}

func (t *trackedConn) Write(p []byte) (int, error) {
	n, err := t.Conn.Write(p)
	t.set.sent.Add(uint64(n))
	return n, err
}

func (t *trackedConn) Close() error {
	t.once.Do(func() {
		t.set.mu.Lock()
		delete(t.set.set, t)
		t.set.mu.Unlock()
	})
	return t.Conn.Close()
}
