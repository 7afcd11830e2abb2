package cluster

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

const (
	// raftPool is how many idle raft connections are kept per peer.
	raftPool = 3
	// raftIOTimeout bounds raft's reads and writes on a connection.
	raftIOTimeout = 10 * time.Second
	// rpcReadTimeout bounds reading one RPC request, a forwarded command of
	// up to maxBody (16 MiB) included: 4.5 Mbit/s at least, which every
	// link between providers has.
	rpcReadTimeout = 30 * time.Second
	// rpcWriteTimeout bounds answering one: a forwarded proposal waits for
	// its commit as long as its proposer does (10 s for an API write) and a
	// Fetch body is up to maxBody.
	rpcWriteTimeout = 60 * time.Second
	// rpcMaxHeaderBytes bounds a request's headers; members send a few.
	rpcMaxHeaderBytes = 16 << 10
	// peerConnsPerClient caps the connections one address holds on the
	// cluster port. A member holds a few (raft's pool, the RPC clients);
	// labs that run every node on one loopback address hold more from it.
	peerConnsPerClient = 128
)

// netParts is everything a node has on the network: the listener and its
// mux, raft's transport over it, and the cluster RPC server and client.
type netParts struct {
	conns  *connSet // every connection of the port, both ways, for Traffic
	mux    *mux
	trans  *patientTransport
	dialer *dialer
	server *http.Server
	// client keeps connections open: Post and status go through it.
	client *http.Client
	// proposer dials afresh for every proposal. A kept connection can die
	// between two requests (its server just stopped); a POST written onto it
	// then fails with an outcome that looks unknown. On a fresh connection,
	// accepted and acknowledged by the peer, only a real crash mid-request
	// leaves the outcome unknown. Proposals are rare, so the handshake is cheap.
	proposer *http.Client
	wg       sync.WaitGroup
}

// listen binds the port and builds the network parts; serve starts the RPC
// server once raft exists.
func (c *Cluster) listen(opts Options) (raft.Transport, error) {
	ln := opts.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", opts.Bind); err != nil {
			return nil, fmt.Errorf("cluster: listen: %w", err)
		}
	}
	adv, err := advertise(opts.Advertise, ln.Addr())
	if err != nil {
		ln.Close()
		return nil, err
	}
	conns := newConnSet()
	n := &netParts{
		conns:  conns,
		mux:    newMux(ln, opts.ServerTLS, advertiseAddr(adv), conns, c.logger, c.sampled),
		dialer: &dialer{dialTCP: opts.Dial, clientTLS: opts.ClientTLS, serverName: c.serverName, conns: conns},
	}
	n.trans = newPatientTransport(raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream:  streamLayer{chanListener: n.mux.raft, dialer: n.dialer},
		MaxPool: raftPool,
		Timeout: raftIOTimeout,
		Logger:  newRaftLogger(c.logger, c.sampled),
	}))
	dial := func(ctx context.Context, _, addr string) (net.Conn, error) {
		return n.dialer.dial(ctx, addr, kindHTTP)
	}
	protocol := strconv.Itoa(c.protocol)
	n.client = &http.Client{Transport: versioned{protocol: protocol, next: &http.Transport{
		DialTLSContext:      dial,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     30 * time.Second,
	}}}
	n.proposer = &http.Client{Transport: versioned{protocol: protocol,
		next: &http.Transport{DialTLSContext: dial, DisableKeepAlives: true}}}
	c.net = n
	c.logger.Info("cluster: listening", "address", ln.Addr().String(), "advertise", adv)
	return n.trans, nil
}

// advertise returns the address to advertise: the configured one, or the
// bound one if that names a host peers can dial.
func advertise(configured string, bound net.Addr) (string, error) {
	if configured != "" {
		if _, _, err := net.SplitHostPort(configured); err != nil {
			return "", fmt.Errorf("cluster: advertise %q: %w", configured, err)
		}
		return configured, nil
	}
	tcp, ok := bound.(*net.TCPAddr)
	if !ok || tcp.IP == nil || tcp.IP.IsUnspecified() {
		return "", fmt.Errorf("cluster: bound to %s, which peers cannot dial: set Advertise", bound)
	}
	return tcp.String(), nil
}

// serverName names the peer at addr for ClientTLS: its node ID if it is a
// member, else the address's host.
func (c *Cluster) serverName(addr string) string {
	if r := c.rafts.Load(); r != nil {
		for _, s := range r.GetConfiguration().Configuration().Servers {
			if string(s.Address) == addr {
				return string(s.ID)
			}
		}
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return host
}

// serve starts the cluster RPC server.
func (n *netParts) serve(c *Cluster) {
	n.server = &http.Server{
		Handler:           c.rpcHandler(),
		ReadHeaderTimeout: handshakeTimeout,
		ReadTimeout:       rpcReadTimeout,
		WriteTimeout:      rpcWriteTimeout,
		MaxHeaderBytes:    rpcMaxHeaderBytes,
		IdleTimeout:       2 * time.Minute,
		// net/http logs a line per odd request; only members get this far,
		// but a member gone wrong can repeat them at will.
		ErrorLog: log.New(c.sampled.writer(slog.LevelDebug, "cluster: rpc server error", "http"), "", 0),
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		if err := n.server.Serve(n.mux.http); err != nil && !errors.Is(err, http.ErrServerClosed) {
			c.logger.Error("cluster: rpc server stopped", "err", err)
		}
	}()
}

// close stops everything on the network and waits for it. Raft's transport
// is usually closed by raft's shutdown already; closing again is harmless.
func (n *netParts) close() {
	n.trans.stopWaiting()
	n.trans.Close()
	if n.server != nil {
		n.server.Close()
	}
	n.mux.http.Close()
	n.mux.close()
	n.client.CloseIdleConnections()
	n.proposer.CloseIdleConnections()
	n.wg.Wait()
}
