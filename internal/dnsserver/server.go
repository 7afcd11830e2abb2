package dnsserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/miekg/dns"

	"outlast/internal/conncap"
)

// Sentinel errors.
var (
	// ErrStarted is returned by Start when the server is already listening.
	ErrStarted = errors.New("dnsserver: already started")
)

// Options configure a Server.
type Options struct {
	// Logger receives start, stop and write-failure messages; nothing is
	// logged per answered query (default: discard).
	Logger *slog.Logger
	// OnQuery, when set, is called after every response is written with
	// the question type (0 when there was no single question), the rcode,
	// including extended rcodes such as BADVERS (16), and the client's area
	// when the answer depended on it; for a TCP request refused from its
	// header or that does not parse, just before. It runs on the query
	// path, so it must be cheap, allocation-free and safe for concurrent use.
	OnQuery func(Query)
	// TCP caps the TCP connections one client, and all of them, may hold
	// open (default: conncap's, 64 per client and 1024 in all). Over a cap
	// a connection is closed at once; the client retries or uses UDP.
	TCP conncap.Caps
	// RateLimit limits the UDP replies one network receives (default: none).
	RateLimit RateLimit
	// Transfer serves zone transfers to secondaries and signs the replies
	// to queries signed with its TSIG keys (default: none; every TSIG key
	// is unknown). Replace it with SetTransfer. See transfer.go.
	Transfer *Transfer
}

// Server answers DNS queries from the current Snapshot. ServeDNS is safe for
// concurrent use and never blocks on Swap.
type Server struct {
	log     *slog.Logger
	onQuery func(Query)
	tcpCaps conncap.Caps
	limit   RateLimit
	// started is the monotonic origin of the rate limiter's clock.
	started time.Time
	snap    atomic.Pointer[Snapshot]
	xfr     atomic.Pointer[Transfer]

	mu       sync.Mutex // guards tcp, tcpConns, udp and done; only Start, Shutdown and TCPStats take them
	tcp      *dns.Server
	tcpConns *conncap.Listener
	udp      []*net.UDPConn
	done     chan struct{} // closed when every serving goroutine has returned
}

// New returns a Server answering from initial; a nil initial refuses every query.
func New(opts Options, initial *Snapshot) *Server {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{log: log.With("component", "dns"), onQuery: opts.OnQuery, tcpCaps: opts.TCP, limit: opts.RateLimit, started: time.Now()}
	s.Swap(initial)
	s.SetTransfer(opts.Transfer)
	return s
}

// TCPStats are the TCP listener's connection counts: open now, and refused
// over a cap since Start. Zero before Start.
func (s *Server) TCPStats() conncap.Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tcpConns == nil {
		return conncap.Stats{}
	}
	return s.tcpConns.Stats()
}

// Swap makes snap the answer source for every query that starts after it
// returns; queries in flight finish on the snapshot they began with.
func (s *Server) Swap(snap *Snapshot) {
	if snap == nil {
		snap = &Snapshot{}
	}
	s.snap.Store(snap)
}

// bufPool recycles response buffers. sync.Pool's fast path is per-P and
// lock-free, so it keeps the query path free of locks.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// maxPooledBuf keeps the odd 64 KiB TCP answer from pinning memory in the pool.
const maxPooledBuf = 16 << 10

// ServeDNS implements dns.Handler.
func (s *Server) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	if r.Response {
		return // never answer a response: that is how reflection loops start
	}
	remote := w.RemoteAddr()
	udp := remote.Network() != "tcp"
	if !udp && special(r) && s.serveSpecialTCP(w, r) {
		return
	}
	bp := bufPool.Get().(*[]byte)
	out, q := s.snap.Load().respond((*bp)[:0], r, udp, addrOf(remote))
	if _, err := w.Write(out); err != nil {
		s.log.Debug("writing response", "remote", w.RemoteAddr(), "err", err)
	}
	if cap(out) <= maxPooledBuf {
		*bp = out[:0]
		bufPool.Put(bp)
	}
	if s.onQuery != nil {
		s.onQuery(q)
	}
}

// acceptAll decides from the header alone, before anything is unpacked,
// which requests reach ServeDNS: miekg's default rule (a response is
// ignored, a question count other than one is FORMERR, at most one answer,
// one authority and two additional records), so 65,535 announced questions
// full of compression pointers cost no parsing, and nothing large is ever
// unpacked. Beyond it, a NOTIFY gets NOTIMP at once: outlast is no
// secondary, and respond would say the same after parsing it.
func acceptAll(h dns.Header) dns.MsgAcceptAction {
	if h.Bits&flagQR == 0 && int(h.Bits>>11)&0xF == dns.OpcodeNotify {
		return dns.MsgRejectNotImplemented
	}
	return dns.DefaultMsgAcceptFunc(h)
}

// rejectRcode is the rcode a request that acceptAll rejects is answered
// with: NOTIMP, or FORMERR.
func rejectRcode(action dns.MsgAcceptAction) int {
	if action == dns.MsgRejectNotImplemented {
		return dns.RcodeNotImplemented
	}
	return dns.RcodeFormatError
}

// Start listens on addr over UDP and TCP on the same port and serves until
// Shutdown. With port 0 the UDP port is chosen first and TCP binds the same
// port, retrying with a new port a few times if TCP finds it taken.
func (s *Server) Start(addr string) (udp, tcp net.Addr, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tcp != nil {
		return nil, nil, ErrStarted
	}
	conns, ln, err := listenBoth(addr)
	if err != nil {
		return nil, nil, err
	}
	s.udp = conns
	// miekg sets no write deadline (WriteTimeout is unused for TCP), so the
	// listener's connections set their own: see tcp.go.
	capped := conncap.New(ln, s.tcpCaps, conncap.Options{})
	s.tcpConns = capped
	s.tcp = &dns.Server{Listener: &tcpListener{Listener: capped}, Handler: s,
		MsgAcceptFunc: s.acceptTCP, MsgInvalidFunc: s.invalidTCP, MaxTCPQueries: tcpQueriesPerConn,
		TsigProvider: tsigProvider{s},
		ReadTimeout:  2 * time.Second, IdleTimeout: func() time.Duration { return 8 * time.Second }}
	s.done = make(chan struct{})
	var started, stopped sync.WaitGroup
	started.Add(1)
	s.tcp.NotifyStartedFunc = started.Done
	stopped.Go(func() {
		if err := s.tcp.ActivateAndServe(); err != nil {
			s.log.Error("dns server stopped", "err", err)
		}
	})
	for _, conn := range conns {
		stopped.Go(func() { s.serveUDP(conn) })
	}
	go func() { stopped.Wait(); close(s.done) }()
	// Shutdown on a miekg server that has not started yet fails, so wait.
	started.Wait()
	s.log.Info("dns listening", "udp", conns[0].LocalAddr(), "udp_sockets", len(conns), "tcp", ln.Addr())
	return conns[0].LocalAddr(), ln.Addr(), nil
}

// listenBoth binds UDP then TCP on the port UDP got.
func listenBoth(addr string) ([]*net.UDPConn, net.Listener, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, fmt.Errorf("dnsserver: listen address %q: %w", addr, err)
	}
	const tries = 5
	for i := 0; ; i++ {
		conns, err := listenUDP(addr, udpSockets())
		if err != nil {
			return nil, nil, err
		}
		_, got, _ := net.SplitHostPort(conns[0].LocalAddr().String())
		ln, err := net.Listen("tcp", net.JoinHostPort(host, got))
		if err == nil {
			return conns, ln, nil
		}
		closeAll(conns)
		if port != "0" || i == tries-1 || !errors.Is(err, syscall.EADDRINUSE) {
			return nil, nil, fmt.Errorf("dnsserver: listening on tcp %s: %w", net.JoinHostPort(host, got), err)
		}
	}
}

// Shutdown stops both listeners and waits for the serving goroutines to
// return, or for ctx to end.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	tcp, udp, done := s.tcp, s.udp, s.done
	s.tcp, s.udp = nil, nil
	s.mu.Unlock()
	if tcp == nil {
		return nil
	}
	var errs []error
	closeAll(udp)
	if err := tcp.ShutdownContext(ctx); err != nil {
		errs = append(errs, fmt.Errorf("dnsserver: shutdown: %w", err))
	}
	select {
	case <-done:
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("dnsserver: shutdown: %w", ctx.Err()))
	}
	s.log.Info("dns stopped")
	return errors.Join(errs...)
}
