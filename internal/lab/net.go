package lab

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"outlast/internal/model"
	"outlast/internal/probe"
	"outlast/internal/scheduler"
)

// errCut is what a cut node's dials fail with.
var errCut = errors.New("lab: network unreachable (this node is cut off)")

// nodeNet is one outlast node's network in the lab. Cutting it does what a
// broken link does to an in-process node, without root: its cluster
// connections drop and no new ones get through either way, its probes time
// out, and clients' queries to its nameserver go unanswered (the clients
// ask Reachable).
type nodeNet struct {
	cut   atomic.Bool
	mu    sync.Mutex
	conns map[net.Conn]struct{}
	// name and views, when set, receive every probe result: the lab
	// follows the node's own view of each endpoint from them.
	name  string
	views *ownViews
}

func newNodeNet() *nodeNet { return &nodeNet{conns: map[net.Conn]struct{}{}} }

// setCut cuts the node off (true) or restores its network (false).
func (n *nodeNet) setCut(cut bool) {
	n.cut.Store(cut)
	if !cut {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for c := range n.conns {
		c.Close()
	}
	clear(n.conns)
}

// Reachable reports whether the node can be reached at all.
func (n *nodeNet) Reachable() bool { return !n.cut.Load() }

func (n *nodeNet) track(c net.Conn) net.Conn {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.conns[c] = struct{}{}
	return &trackedConn{Conn: c, net: n}
}

func (n *nodeNet) forget(c net.Conn) {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.conns, c)
}

// dial is the node's cluster dialer.
func (n *nodeNet) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	if n.cut.Load() {
		return nil, errCut
	}
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return n.track(c), nil
}

// listener wraps the node's cluster listener: while cut, connections are
// dropped as they arrive.
func (n *nodeNet) listener(ln net.Listener) net.Listener { return &cutListener{Listener: ln, net: n} }

type cutListener struct {
	net.Listener
	net *nodeNet
}

func (l *cutListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.net.cut.Load() {
			c.Close()
			continue
		}
		return l.net.track(c), nil
	}
}

type trackedConn struct {
	net.Conn
	net  *nodeNet
	once sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() { c.net.forget(c.Conn) })
	return c.Conn.Close()
}

// probe runs the real probe, or, while cut, waits out the check's timeout
// and fails the way a probe into a dead link does.
func (n *nodeNet) probe(ctx context.Context, j scheduler.Job) model.Result {
	r := n.run(ctx, j)
	if n.views != nil {
		n.views.result(n.name, j.Endpoint, r.Up, j.Check.Fall, j.Check.Rise)
	}
	return r
}

func (n *nodeNet) run(ctx context.Context, j scheduler.Job) model.Result {
	if !n.cut.Load() {
		return probe.Run(ctx, j.Target, j.Check)
	}
	start := time.Now()
	t := time.NewTimer(j.Check.Timeout)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
	return model.Result{Latency: time.Since(start), Reason: model.ReasonTimeout, Detail: "lab: this node's network is cut"}
}
