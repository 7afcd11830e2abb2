package cluster

import (
	"time"

	"github.com/hashicorp/raft"
)

// Status is one node's view of the cluster.
type Status struct {
	// ID and Address are this node's.
	ID      string `json:"id"`
	Address string `json:"address"`
	// Protocol is the protocol version this node speaks (Options.Protocol);
	// absent (0) from a node that predates versions, which speaks 1: read
	// it with Version.
	Protocol int `json:"protocol,omitempty"`
	// State is this node's raft state: Leader, Follower, Candidate or Shutdown.
	State string `json:"state"`
	// LeaderID and LeaderAddress name the leader this node knows of; empty
	// while it knows none.
	LeaderID      string `json:"leader_id"`
	LeaderAddress string `json:"leader_address"`
	// Term is the current raft term; it grows with every election.
	Term uint64 `json:"term"`
	// LastIndex is the last log entry this node holds, CommitIndex the last
	// it knows committed, AppliedIndex the last its Machine applied. A
	// follower learns of commits only with entries it could store, so one
	// that cannot persist shows no lag against itself: compare with the
	// leader's CommitIndex (PeerStatus), or read PersistError.
	LastIndex    uint64 `json:"last_index"`
	CommitIndex  uint64 `json:"commit_index"`
	AppliedIndex uint64 `json:"applied_index"`
	// PersistError is the latest error writing raft's log, stable or
	// snapshot store on disk (a full disk: "log store: ... no space left on
	// device"), and PersistFailingSince when that store's writes began to
	// fail. Both are zero while every store's last write succeeded; one
	// successful write clears its store's failure. A node that cannot
	// write its log takes no new entries and so applies none, while it
	// still hears the leader's heartbeats, which need no disk.
	PersistError        string    `json:"persist_error,omitempty"`
	PersistFailingSince time.Time `json:"persist_failing_since,omitzero"`
	// PersistStore names the store of PersistError: "log" or "stable" (the
	// node takes no new entries, so applies none: not ready), or
	// "snapshot" (it still applies, but its log is not compacted and a
	// snapshot from the leader cannot catch it up: degraded; it stays
	// until a snapshot succeeds, raft's next or one asked by Snapshot).
	// A failing log or stable store is reported before a failing snapshot
	// store, whichever began first. Empty while healthy.
	PersistStore string `json:"persist_store,omitempty"`
	// LastContact is when this follower last heard from a leader: how stale
	// its state may be. Zero on the leader and before any contact.
	LastContact time.Time `json:"last_contact"`
	// ClusterVersion is the lowest protocol version of the voters as this
	// node last saw it (every few seconds); 0 while unknown, when a voter
	// does not answer. ApplyStopped is why this node's Machine stopped
	// applying the log (an entry of a newer protocol version): upgrade it.
	ClusterVersion int    `json:"cluster_version,omitempty"`
	ApplyStopped   string `json:"apply_stopped,omitempty"`
	// Members is the latest cluster configuration (possibly not committed yet).
	Members []Member `json:"members"`
}

// Member is one server in the cluster configuration.
type Member struct {
	ID      string `json:"id"`
	Address string `json:"address"`
	// Suffrage is Voter, Nonvoter or Staging.
	Suffrage string `json:"suffrage"`
	Leader   bool   `json:"leader"`
}

// Status returns this node's view of the cluster.
func (c *Cluster) Status() Status {
	leaderAddr, leaderID := c.raft.LeaderWithID()
	state := c.raft.State()
	s := Status{
		ID:            c.id,
		Address:       c.addr,
		Protocol:      c.protocol,
		State:         state.String(),
		LeaderID:      string(leaderID),
		LeaderAddress: string(leaderAddr),
		Term:          c.raft.CurrentTerm(),
		LastIndex:     c.raft.LastIndex(),
		CommitIndex:   c.raft.CommitIndex(),
		AppliedIndex:  c.raft.AppliedIndex(),
	}
	if state != raft.Leader {
		s.LastContact = c.raft.LastContact()
	}
	s.ClusterVersion = int(c.version.Load())
	if err := c.machineStopped(); err != nil {
		s.ApplyStopped = err.Error()
	}
	f := c.persist.state()
	s.PersistError, s.PersistFailingSince, s.PersistStore = f.err, f.since, f.store
	for _, m := range c.raft.GetConfiguration().Configuration().Servers {
		s.Members = append(s.Members, Member{
			ID:       string(m.ID),
			Address:  string(m.Address),
			Suffrage: m.Suffrage.String(),
			Leader:   m.ID == leaderID,
		})
	}
	return s
}

// Traffic is the bytes this node sent to and received from other nodes
// through the cluster port, TLS included: Raft, forwarded writes and
// observations. Zero for a cluster with a custom Transport (one in memory).
func (c *Cluster) Traffic() (sent, received uint64) {
	if c.net == nil {
		return 0, 0
	}
	return c.net.conns.sent.Load(), c.net.conns.received.Load()
}

// Refused is how many connections the cluster port refused: handshakes that
// failed (no certificate from the cluster CA, not TLS at all, too slow),
// unknown connection kinds, and connections over the per-address or total
// cap (closed at accept). Every one is counted here, while the log gets
// only the first from each host and then a summary every 10 s. Zero for a
// cluster with a custom Transport.
func (c *Cluster) Refused() uint64 {
	if c.net == nil {
		return 0
	}
	return c.net.mux.refused.Load()
}
