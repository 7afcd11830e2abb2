package cluster

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// checkedMachine is a logMachine that, as a Checker, refuses "newer"
// commands before they are proposed, as the state machine refuses a
// command of a protocol version it does not speak.
type checkedMachine struct{ *logMachine }

func (m checkedMachine) Check(cmd []byte) error {
	if bytes.HasPrefix(cmd, []byte("newer")) {
		return &refusal{cmd: string(cmd)}
	}
	return nil
}

// TestClusterVersionIsTheLowestVoter: every member reports its protocol
// version in its Status, the cluster version is the lowest over the
// voters, and it is unknown while a voter does not answer.
func TestClusterVersionIsTheLowestVoter(t *testing.T) {
	protocols := map[string]int{"n1": 2, "n2": 2, "n3": 0} // n3 predates versions: 1
	nodes := newTCPCluster(t, newTestCA(t, "cluster"), 3, func(n *tcpNode) { n.protocol = protocols[n.id] })
	leader := leaderOf(t, nodes)
	for _, n := range nodes {
		st, err := leader.c.PeerStatus(testCtx(t), n.addr)
		if err != nil {
			t.Fatal(err)
		}
		if want := max(protocols[n.id], 1); st.Version() != want {
			t.Errorf("%s reports protocol %d, want %d", n.id, st.Version(), want)
		}
	}
	for _, n := range nodes {
		if v, err := n.c.ClusterVersion(testCtx(t)); err != nil || v != 1 {
			t.Errorf("cluster version seen from %s: %d (%v), want 1 while n3 speaks 1", n.id, v, err)
		}
	}
	nodes[2].c.Shutdown()
	if v, err := nodes[0].c.ClusterVersion(testCtx(t)); !errors.Is(err, ErrVersionUnknown) {
		t.Errorf("cluster version with n3 down: %d (%v), want ErrVersionUnknown", v, err)
	}
	nodes[2].protocol = 2
	startTCP(t, nodes[2], nil, nil)
	waitFor(t, "cluster version 2 once n3 speaks 2", func() (bool, string) {
		v, err := nodes[0].c.ClusterVersion(testCtx(t))
		return v == 2, errString(err)
	})
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestLeaderChecksBeforeProposing: a command the leader's Machine does not
// understand is refused before it reaches the log, forwarded or not.
func TestLeaderChecksBeforeProposing(t *testing.T) {
	nodes := newTCPCluster(t, newTestCA(t, "cluster"), 3, func(n *tcpNode) { n.checked = true })
	leader := leaderOf(t, nodes)
	f := followerOf(nodes, leader)
	for _, n := range []*tcpNode{leader, f} {
		err := n.c.Apply(testCtx(t), []byte("newer kind"))
		if !errors.Is(err, ErrRejected) || RejectionCode(err) != "bad_command" {
			t.Fatalf("a command the leader does not understand, proposed on %s: %v, want ErrRejected", n.id, err)
		}
	}
	if err := f.c.Apply(testCtx(t), []byte("fine")); err != nil {
		t.Fatal(err)
	}
	waitSame(t, 1, tcpMachines(nodes)...)
	for _, m := range tcpMachines(nodes) {
		if got := m.state(); bytes.Contains([]byte(got), []byte("newer")) {
			t.Fatalf("a refused command reached the log: %s", got)
		}
	}
}

// TestRPCCarriesTheProtocol: requests and replies of the cluster RPC name
// the version their sender speaks.
func TestRPCCarriesTheProtocol(t *testing.T) {
	nodes := newTCPCluster(t, newTestCA(t, "cluster"), 1, func(n *tcpNode) { n.protocol = 2 })
	leaderOf(t, nodes)
	var got string
	h := nodes[0].c.rpcHandler()
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	req, _ := http.NewRequest(http.MethodGet, pathStatus, nil)
	h.ServeHTTP(rec, req)
	if got = rec.header.Get(ProtocolHeader); got != "2" {
		t.Errorf("reply's %s = %q, want 2", ProtocolHeader, got)
	}
	// The node's own clients, with their transport's next hop replaced by
	// one that records what it is sent.
	for name, client := range map[string]*http.Client{"client": nodes[0].c.net.client, "proposer": nodes[0].c.net.proposer} {
		tr, ok := client.Transport.(versioned)
		if !ok {
			t.Fatalf("the cluster RPC %s's transport is a %T, not versioned", name, client.Transport)
		}
		seen := make(chan string, 1)
		tr.next = roundTripFunc(func(r *http.Request) (*http.Response, error) {
			seen <- r.Header.Get(ProtocolHeader)
			return nil, errors.New("not sent")
		})
		_, _ = (&http.Client{Transport: tr}).Get("https://127.0.0.1:1/cluster/v1/status")
		if got := <-seen; got != "2" {
			t.Errorf("%s: request's %s = %q, want 2", name, ProtocolHeader, got)
		}
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// stoppingMachine is a logMachine that stops applying at a "newer"
// command, as the state machine halts at an entry it does not understand.
type stoppingMachine struct {
	*logMachine
	stopped atomic.Pointer[refusal]
}

func (m *stoppingMachine) Apply(index uint64, cmd []byte) error {
	if r := m.stopped.Load(); r != nil {
		return r
	}
	if bytes.HasPrefix(cmd, []byte("newer")) {
		r := &refusal{cmd: string(cmd)}
		m.stopped.Store(r)
		return r
	}
	return m.logMachine.Apply(index, cmd)
}

func (m *stoppingMachine) Stopped() error {
	if r := m.stopped.Load(); r != nil {
		return r
	}
	return nil
}

// TestStatusReportsVersionAndStop: Status gives the cluster version the
// node decided, and why its Machine stopped applying.
func TestStatusReportsVersionAndStop(t *testing.T) {
	m := &stoppingMachine{logMachine: &logMachine{}}
	addr, trans := raft.NewInmemTransport("")
	c, err := New(Options{NodeID: "solo", Transport: trans, Machine: m, Protocol: 2, Logger: testLogger(t, "solo"),
		Bootstrap: []Peer{{ID: "solo", Address: string(addr)}},
		Timing:    Timing{HeartbeatTimeout: 50 * time.Millisecond, ElectionTimeout: 50 * time.Millisecond, LeaderLeaseTimeout: 50 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Shutdown() })
	waitFor(t, "cluster version 2 in Status", func() (bool, string) {
		st := c.Status()
		return st.ClusterVersion == 2 && c.KnownVersion() == 2, fmt.Sprint(st.ClusterVersion)
	})
	if err := c.Apply(testCtx(t), []byte("newer entry")); !errors.Is(err, ErrRejected) {
		t.Fatalf("apply: %v", err)
	}
	if st := c.Status(); !strings.Contains(st.ApplyStopped, "newer entry") {
		t.Errorf("ApplyStopped = %q, want the Machine's reason", st.ApplyStopped)
	}
}
