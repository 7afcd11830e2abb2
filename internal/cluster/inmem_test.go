package cluster

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// fastTiming keeps in-memory tests quick; still loose enough for -race on
// a busy machine (a spurious election only slows a test down).
var fastTiming = Timing{
	HeartbeatTimeout:   200 * time.Millisecond,
	ElectionTimeout:    200 * time.Millisecond,
	LeaderLeaseTimeout: 100 * time.Millisecond,
	CommitTimeout:      10 * time.Millisecond,
}

// memNode is one node of a cluster over raft's in-memory transport.
type memNode struct {
	id    string
	addr  raft.ServerAddress
	dir   string // "" keeps raft's state in memory
	c     *Cluster
	m     *logMachine
	trans *raft.InmemTransport
	up    bool
}

func (n *memNode) cluster() *Cluster { return n.c }

type memCluster struct {
	t     *testing.T
	nodes []*memNode
	peers []Peer
	tune  func(*raft.Config)
}

// newMemCluster starts size nodes that bootstrap together.
func newMemCluster(t *testing.T, size int, disk bool, tune func(*raft.Config)) *memCluster {
	mc := &memCluster{t: t, tune: tune}
	for i := range size {
		n := &memNode{id: fmt.Sprintf("n%d", i+1)}
		n.addr, n.trans = raft.NewInmemTransport("")
		if disk {
			n.dir = filepath.Join(t.TempDir(), n.id)
		}
		mc.nodes = append(mc.nodes, n)
		mc.peers = append(mc.peers, Peer{ID: n.id, Address: string(n.addr)})
	}
	t.Cleanup(func() {
		for _, n := range mc.nodes {
			if n.up {
				mc.stop(n)
			}
		}
	})
	for _, n := range mc.nodes {
		mc.start(n)
	}
	return mc
}

// start runs a node with a fresh machine, as a restarted process would.
func (mc *memCluster) start(n *memNode) {
	mc.t.Helper()
	if n.trans == nil {
		_, n.trans = raft.NewInmemTransport(n.addr)
	}
	for _, o := range mc.nodes {
		if o != n && o.up {
			n.trans.Connect(o.addr, o.trans)
			o.trans.Connect(n.addr, n.trans)
		}
	}
	n.m = &logMachine{}
	c, err := New(Options{
		NodeID:    n.id,
		DataDir:   n.dir,
		Bootstrap: mc.peers,
		Transport: n.trans,
		Machine:   n.m,
		Logger:    testLogger(mc.t, n.id),
		Timing:    fastTiming,
		tune:      mc.tune,
	})
	if err != nil {
		mc.t.Fatalf("start %s: %v", n.id, err)
	}
	n.c, n.up = c, true
}

// stop shuts a node down; raft closes its transport with it.
func (mc *memCluster) stop(n *memNode) {
	mc.t.Helper()
	if err := n.c.Shutdown(); err != nil {
		mc.t.Errorf("shutdown %s: %v", n.id, err)
	}
	n.up, n.trans = false, nil
}

func (mc *memCluster) live() []*memNode {
	var out []*memNode
	for _, n := range mc.nodes {
		if n.up {
			out = append(out, n)
		}
	}
	return out
}

func machines(nodes []*memNode) []*logMachine {
	var out []*logMachine
	for _, n := range nodes {
		out = append(out, n.m)
	}
	return out
}

// partition cuts far off from every other node, both ways, like
// hashicorp/raft's testing.go Partition.
func (mc *memCluster) partition(far *memNode) {
	far.trans.DisconnectAll()
	for _, n := range mc.live() {
		if n != far {
			n.trans.Disconnect(far.addr)
		}
	}
}

// heal connects every live node to every other again.
func (mc *memCluster) heal() {
	for _, a := range mc.live() {
		for _, b := range mc.live() {
			if a != b {
				a.trans.Connect(b.addr, b.trans)
			}
		}
	}
}

// applyN proposes n commands through c, each of which must succeed.
func applyN(t *testing.T, c *Cluster, prefix string, n int) {
	t.Helper()
	for i := range n {
		if err := c.Apply(testCtx(t), fmt.Appendf(nil, "%s-%d", prefix, i)); err != nil {
			t.Fatalf("apply %s-%d on %s: %v", prefix, i, c.id, err)
		}
	}
}

func TestInmemElectAndReplicate(t *testing.T) {
	for _, size := range []int{3, 5} {
		t.Run(fmt.Sprintf("%d nodes", size), func(t *testing.T) {
			mc := newMemCluster(t, size, false, nil)
			leader := leaderOf(t, mc.nodes)
			applyN(t, leader.c, "cmd", 10)
			waitSame(t, 10, machines(mc.nodes)...)

			err := leader.c.Apply(testCtx(t), []byte("bad config"))
			if !errors.Is(err, ErrRejected) || RejectionCode(err) != "bad_command" {
				t.Fatalf("apply of a refused command: got %v, want ErrRejected with the machine's code bad_command (RejectionCode %q)", err, RejectionCode(err))
			}
			applyN(t, leader.c, "after", 1)
			waitSame(t, 11, machines(mc.nodes)...)

			s := leader.c.Status()
			if s.State != "Leader" || s.LeaderID != leader.id || len(s.Members) != size || s.AppliedIndex < 12 {
				t.Errorf("leader status: got %+v, want state Leader, leader %s, %d members, applied >= 12", s, leader.id, size)
			}
		})
	}
}

func TestInmemFollowerCannotForwardWithoutRPC(t *testing.T) {
	mc := newMemCluster(t, 3, false, nil)
	leader := leaderOf(t, mc.nodes)
	for _, n := range mc.nodes {
		if n == leader {
			continue
		}
		if err := n.c.Apply(testCtx(t), []byte("x")); !errors.Is(err, ErrNoRPC) {
			t.Errorf("apply on follower %s without RPC: got %v, want ErrNoRPC", n.id, err)
		}
	}
}

func TestInmemLeaderLoss(t *testing.T) {
	mc := newMemCluster(t, 5, false, nil)
	want := 0
	// Lose two leaders in a row: 3 of 5 nodes still make a quorum.
	for round := range 2 {
		leader := leaderOf(t, mc.live())
		applyN(t, leader.c, fmt.Sprintf("round%d", round), 5)
		want += 5
		waitSame(t, want, machines(mc.live())...)
		mc.stop(leader)

		next := leaderOf(t, mc.live())
		if next == leader {
			t.Fatalf("round %d: the stopped leader %s still leads", round, leader.id)
		}
		select {
		case v := <-next.c.LeaderCh():
			if !v {
				t.Fatalf("LeaderCh of new leader %s: got false, want true", next.id)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("LeaderCh of new leader %s: nothing delivered", next.id)
		}
	}
	leader := leaderOf(t, mc.live())
	applyN(t, leader.c, "final", 5)
	waitSame(t, want+5, machines(mc.live())...)
}

func TestInmemPartitionedFollowerCatchesUp(t *testing.T) {
	mc := newMemCluster(t, 3, false, nil)
	leader := leaderOf(t, mc.nodes)
	applyN(t, leader.c, "before", 3)
	waitSame(t, 3, machines(mc.nodes)...)

	var far *memNode
	for _, n := range mc.nodes {
		if n != leader {
			far = n
			break
		}
	}
	mc.partition(far)
	// The majority keeps committing without the far node.
	applyN(t, leader.c, "during", 10)
	var near []*logMachine
	for _, n := range mc.nodes {
		if n != far {
			near = append(near, n.m)
		}
	}
	waitSame(t, 13, near...)
	if got := far.m.len(); got != 3 {
		t.Fatalf("partitioned node %s holds %d commands, want the 3 from before the partition", far.id, got)
	}

	mc.heal()
	waitSame(t, 13, machines(mc.nodes)...)
	applyN(t, leaderOf(t, mc.nodes).c, "after", 2)
	waitSame(t, 15, machines(mc.nodes)...)
}

func TestInmemSnapshotRestore(t *testing.T) {
	tune := func(c *raft.Config) {
		// Snapshots only when the test asks, and keep just 2 entries behind
		// one, so a node that was away must be sent the snapshot.
		c.SnapshotThreshold = 1 << 30
		c.SnapshotInterval = time.Hour
		c.TrailingLogs = 2
	}
	mc := newMemCluster(t, 3, true, tune)
	leader := leaderOf(t, mc.nodes)
	applyN(t, leader.c, "a", 10)
	waitSame(t, 10, machines(mc.nodes)...)

	var f *memNode
	for _, n := range mc.nodes {
		if n != leader {
			f = n
			break
		}
	}
	// Restart from its own snapshot.
	if err := f.c.Snapshot(); err != nil {
		t.Fatal(err)
	}
	mc.stop(f)
	mc.start(f)
	waitSame(t, 10, machines(mc.nodes)...)
	if got := f.m.restoreCount(); got != 1 {
		t.Fatalf("%s restarted after a snapshot: restored %d times, want 1", f.id, got)
	}

	// Away while the leader compacts its log: it must get the snapshot.
	mc.stop(f)
	leader = leaderOf(t, mc.live())
	applyN(t, leader.c, "b", 10)
	if err := leader.c.Snapshot(); err != nil {
		t.Fatal(err)
	}
	mc.start(f)
	waitSame(t, 20, machines(mc.nodes)...)
	if got := f.m.restoreCount(); got != 2 {
		t.Fatalf("%s behind a compacted log: restored %d times, want 2 (its own snapshot, then the leader's)", f.id, got)
	}
}

func TestInmemRestartWithDataDirIsIdempotent(t *testing.T) {
	mc := newMemCluster(t, 3, true, nil)
	leader := leaderOf(t, mc.nodes)
	applyN(t, leader.c, "a", 5)
	waitSame(t, 5, machines(mc.nodes)...)
	term := leader.c.Status().Term
	want := leader.m.state()

	for _, n := range mc.nodes {
		mc.stop(n)
	}
	// Same Options, Bootstrap included: the stored state wins.
	for _, n := range mc.nodes {
		mc.start(n)
	}
	leader = leaderOf(t, mc.nodes)
	waitSame(t, 5, machines(mc.nodes)...)
	if got := leader.m.state(); got != want {
		t.Fatalf("state after restart: got %s, want %s", got, want)
	}
	if got := leader.c.Status().Term; got <= term {
		t.Errorf("term after restart: got %d, want more than %d", got, term)
	}
	applyN(t, leader.c, "b", 1)
	waitSame(t, 6, machines(mc.nodes)...)
}

func TestInmemNoQuorumMeansNoLeader(t *testing.T) {
	mc := newMemCluster(t, 3, false, nil)
	leader := leaderOf(t, mc.nodes)
	var last *memNode
	for _, n := range mc.nodes {
		if n != leader && last == nil {
			last = n
		} else {
			mc.stop(n)
		}
	}
	waitFor(t, last.id+" knowing no leader", func() (bool, string) {
		id := leaderID(last.c)
		return id == "", "leader " + id
	})
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	err := last.c.Apply(ctx, []byte("x"))
	if !errors.Is(err, ErrNoLeader) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("apply without quorum: got %v, want ErrNoLeader and the context's error", err)
	}
	if s := last.c.Status(); s.LastContact.IsZero() || s.State == "Leader" {
		t.Errorf("status without quorum: got %+v, want a past last contact and no leadership", s)
	}
}
