package cluster

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"outlast/internal/config"
	"outlast/internal/model"
	"outlast/internal/state"
)

// TestOutlastStateReplicates runs outlast's own state machine on three
// nodes: configuration changes, verdicts and overrides committed on the
// leader reach every node, which all hold byte-identical state; a node
// restarted with its data directory comes back to the same state.
func TestOutlastStateReplicates(t *testing.T) {
	dir := t.TempDir()
	ids := []string{"n1", "n2", "n3"}
	addrs := make([]raft.ServerAddress, len(ids))
	trans := make([]*raft.InmemTransport, len(ids))
	var peers []Peer
	for i, id := range ids {
		addrs[i], trans[i] = raft.NewInmemTransport("")
		peers = append(peers, Peer{ID: id, Address: string(addrs[i])})
	}
	connect := func(i int) {
		for j := range ids {
			if j != i && trans[j] != nil {
				trans[i].Connect(addrs[j], trans[j])
				trans[j].Connect(addrs[i], trans[i])
			}
		}
	}
	machines := make([]*state.Machine, len(ids))
	nodes := make([]*stateNode, len(ids))
	start := func(i int) {
		if trans[i] == nil {
			_, trans[i] = raft.NewInmemTransport(addrs[i])
		}
		connect(i)
		machines[i] = state.NewMachine(nil)
		c, err := New(Options{NodeID: ids[i], DataDir: fmt.Sprintf("%s/%s", dir, ids[i]), Bootstrap: peers,
			Transport: trans[i], Machine: machines[i], Logger: testLogger(t, ids[i]), Timing: fastTiming})
		if err != nil {
			t.Fatal(err)
		}
		nodes[i] = &stateNode{c: c}
	}
	for i := range ids {
		start(i)
	}
	t.Cleanup(func() {
		for _, n := range nodes {
			_ = n.c.Shutdown()
		}
	})

	leader := leaderOf(t, nodes)
	at := time.Date(2021, 12, 7, 15, 30, 0, 0, time.UTC)
	propose(t, leader.c, state.Command{Kind: state.SetConfig, At: at, Who: "ops", Config: sharedWith("use1", "usc1"), ConfigHash: "v1"})
	propose(t, leader.c, state.Command{Kind: state.SetVerdicts, At: at.Add(time.Second), Who: "n1",
		Verdicts: []model.Verdict{{Endpoint: "use1", Health: model.Down, Since: at, DownVotes: 2, Voters: 3}}})
	propose(t, leader.c, state.Command{Kind: state.SetOverride, At: at.Add(2 * time.Second), Who: "alice", Why: "maintenance",
		Override: &state.Override{Endpoint: "usc1", Kind: state.Drain}})
	propose(t, leader.c, state.Command{Kind: state.SetConfig, At: at.Add(3 * time.Second), Who: "ops", Config: sharedWith("use1", "usc1", "euw1"), ConfigHash: "v2"})
	waitIdentical(t, machines, "v2")

	// A follower stops; the others go on; it restarts from its data
	// directory with an empty machine and catches up to the same bytes.
	f := 0
	if nodes[0] == leader {
		f = 1
	}
	_ = nodes[f].c.Shutdown()
	trans[f] = nil
	leader = leaderOf(t, []*stateNode{nodes[(f+1)%3], nodes[(f+2)%3]})
	propose(t, leader.c, state.Command{Kind: state.ClearOverride, At: at.Add(4 * time.Second), Who: "bob", Endpoint: "usc1"})
	start(f)
	waitIdentical(t, machines, "v2")
	if got := machines[f].Current(); len(got.Overrides) != 0 || got.Config.Version != 2 {
		t.Errorf("restarted node: overrides %v, config version %d; want none and 2", got.Overrides, got.Config.Version)
	}
}

type stateNode struct{ c *Cluster }

func (n *stateNode) cluster() *Cluster { return n.c }

func sharedWith(endpoints ...string) *config.Shared {
	svc := config.Service{Name: "api.example.test.", Type: model.TypeA}
	for i, name := range endpoints {
		svc.Endpoints = append(svc.Endpoints, config.Endpoint{Name: name,
			Addresses: []netip.Addr{netip.AddrFrom4([4]byte{192, 0, 2, byte(i + 1)})}})
	}
	return &config.Shared{Services: []config.Service{svc}}
}

func propose(t *testing.T, c *Cluster, cmd state.Command) {
	t.Helper()
	data, err := state.Encode(cmd)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Apply(testCtx(t), data); err != nil {
		t.Fatalf("apply %s: %v", cmd.Kind, err)
	}
}

// waitIdentical waits until every machine holds the same state at config hash.
func waitIdentical(t *testing.T, machines []*state.Machine, hash string) {
	waitFor(t, "every node's state byte-identical at config "+hash, func() (bool, string) {
		var first []byte
		var seen []string
		for _, m := range machines {
			cur := m.Current()
			snap, _ := json.Marshal(cur) // what a snapshot of cur holds
			if cur.Config == nil || cur.Config.Hash != hash {
				return false, fmt.Sprintf("config %+v", cur.Config)
			}
			seen = append(seen, fmt.Sprintf("index %d", cur.Index))
			if first == nil {
				first = snap
			} else if !bytes.Equal(first, snap) {
				return false, fmt.Sprint("states differ: ", seen)
			}
		}
		return true, ""
	})
}
