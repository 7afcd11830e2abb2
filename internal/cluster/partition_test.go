package cluster

import (
	"context"
	"fmt"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"
)

// partition cuts nodes off from one another in a TCP cluster on loopback:
// a dial that crosses the cut is refused and connections open across it
// are closed, as a broken link between providers would leave them.
type partition struct {
	mu    sync.Mutex
	cut   map[string]bool // node addresses cut off
	conns map[net.Conn][2]string
}

func newPartition() *partition {
	return &partition{cut: map[string]bool{}, conns: map[net.Conn][2]string{}}
}

// dialFrom is node from's Options.Dial.
func (p *partition) dialFrom(from *tcpNode) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		p.mu.Lock()
		blocked := p.cut[from.addr] || p.cut[addr]
		p.mu.Unlock()
		if blocked {
			return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ECONNREFUSED}
		}
		conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.cut[from.addr] || p.cut[addr] {
			// isolate ran while this dial was under way: the connection
			// would cross the cut unseen by it.
			conn.Close()
			return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ECONNREFUSED}
		}
		p.conns[conn] = [2]string{from.addr, addr}
		return conn, nil
	}
}

// isolate cuts n off from every other node.
func (p *partition) isolate(n *tcpNode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut[n.addr] = true
	for c, ends := range p.conns {
		if ends[0] == n.addr || ends[1] == n.addr {
			c.Close()
			delete(p.conns, c)
		}
	}
}

func (p *partition) heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.cut)
}

// newPartitionedCluster starts size nodes that bootstrap together and dial
// through p.
func newPartitionedCluster(t *testing.T, p *partition, size int) []*tcpNode {
	return newTCPCluster(t, newTestCA(t, "cluster"), size, func(n *tcpNode) { n.dial = p.dialFrom(n) })
}

// TestTCPFollowerCatchesUpAtOnceAfterAPartition: a follower cut off long
// enough for hashicorp/raft's replication backoff to reach its ten-second
// ceiling must still get the entries it missed, and new ones, within a
// couple of seconds of the link coming back: until then it answers from
// state older than the rest of the cluster's.
func TestTCPFollowerCatchesUpAtOnceAfterAPartition(t *testing.T) {
	if testing.Short() {
		t.Skip("holds a partition for half a minute")
	}
	const cutFor = 22 * time.Second
	p := newPartition()
	nodes := newPartitionedCluster(t, p, 3)
	leader := leaderOf(t, nodes)
	applyN(t, leader.c, "before", 2)
	waitSame(t, 2, tcpMachines(nodes)...)

	cut := followerOf(nodes, leader)
	p.isolate(cut)
	t.Logf("%s cut off for %s; %s leads", cut.id, cutFor, leader.id)
	end := time.Now().Add(cutFor)
	applied := 2
	for time.Now().Before(end) {
		applyN(t, leader.c, fmt.Sprintf("during-%d", applied), 1)
		applied++
		time.Sleep(time.Second)
	}
	if got := cut.m.len(); got != 2 {
		t.Fatalf("the cut-off follower applied %d entries, want the 2 from before the cut", got)
	}

	p.heal()
	healed := time.Now()
	applyN(t, leader.c, "after", 1)
	applied++
	for cut.m.len() < applied {
		if time.Since(healed) > 20*time.Second {
			t.Fatalf("%d s after the link came back %s has applied %d of %d entries", 20, cut.id, cut.m.len(), applied)
		}
		time.Sleep(20 * time.Millisecond)
	}
	took := time.Since(healed)
	t.Logf("%s caught up with %d entries %v after the link came back", cut.id, applied-2, took.Round(time.Millisecond))
	if took > 3*time.Second {
		t.Errorf("%s caught up %v after the link came back, want within 3 s (heartbeats resume at once)", cut.id, took.Round(time.Millisecond))
	}
}

// TestTCPShutdownWhileAFollowerIsUnreachable: raft's shutdown waits for its
// replication calls, and a call to an unreachable follower now waits for
// the follower; the shutdown must end those waits rather than hang.
func TestTCPShutdownWhileAFollowerIsUnreachable(t *testing.T) {
	p := newPartition()
	nodes := newPartitionedCluster(t, p, 3)
	leader := leaderOf(t, nodes)
	p.isolate(followerOf(nodes, leader))
	applyN(t, leader.c, "while-cut", 2) // replication to the cut follower now waits
	time.Sleep(time.Second)
	stopped := make(chan error, 1)
	start := time.Now()
	go func() { stopped <- leader.c.Shutdown() }()
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatalf("shutdown: %v", err)
		}
		t.Logf("the leader shut down in %v with a follower unreachable", time.Since(start).Round(time.Millisecond))
	case <-time.After(10 * time.Second):
		t.Fatal("the leader's shutdown still hangs after 10 s, waiting for an unreachable follower")
	}
}
