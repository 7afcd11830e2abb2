package node

import (
	"fmt"
	"time"

	"outlast/internal/cluster"
)

// stalledAfter is how long the answer loop may go without a turn (it turns
// at least every recheckEvery) before /healthz/live says the node is stuck.
const stalledAfter = 10 * recheckEvery

// persistFailure is the cluster's report that this node cannot write its
// Raft log: it stops applying the cluster's decisions until writes succeed.
type persistFailure struct {
	Err   string
	Since time.Time
}

// readinessFacts is what decides whether a node is ready: fit to be sent
// queries by a load balancer, or listed by a provider's NS monitoring.
type readinessFacts struct {
	Now        time.Time
	Alone      bool          // a cluster of one is never cut off
	Stale      bool          // no leader contact for longer than StaleAfter
	StaleAfter time.Duration // cluster.stale_after
	// LastContact is the last time a leader was heard from (zero: never).
	LastContact time.Time
	Started     time.Time
	Applied     uint64 // the last Raft index applied; 0 before any agreement
	Persist     *persistFailure
	Holding     bool // answering SERVFAIL while catching up after a start
}

// notReady returns why a node is not ready, one sentence per reason; none
// means ready. A node that is not ready still answers DNS, from the last
// state it agreed to (static stability): readiness tells the tools in front
// of it that its answers may be behind the cluster's.
func notReady(f readinessFacts) []string {
	var reasons []string
	if f.Holding {
		reasons = append(reasons, fmt.Sprintf(
			"catching up with the cluster since it started %s ago: answering SERVFAIL so resolvers ask another nameserver", since(f.Now, f.Started)))
	}
	if f.Persist != nil {
		reasons = append(reasons, fmt.Sprintf(
			"cannot write the Raft log for %s (%s): this node no longer applies the cluster's decisions; free space in cluster.data_dir",
			since(f.Now, f.Persist.Since), f.Persist.Err))
	}
	switch {
	case f.Alone || !f.Stale:
	case f.Applied == 0:
		reasons = append(reasons, fmt.Sprintf(
			"has not joined the cluster in %s: answering from its own file and its own probes", since(f.Now, f.Started)))
	case f.LastContact.IsZero():
		reasons = append(reasons, "no leader known: answering from the last agreed state, less what its own probes see down")
	default:
		reasons = append(reasons, fmt.Sprintf(
			"cut off from the cluster: no leader heard for %s (cluster.stale_after is %s); answering from the last agreed state, less what its own probes see down",
			since(f.Now, f.LastContact), f.StaleAfter))
	}
	return reasons
}

func since(now, t time.Time) string { return now.Sub(t).Round(time.Millisecond).String() }

// cutOff reports whether this node answers without the cluster's current
// decisions: it heard no leader within cluster.stale_after, or it cannot
// write the log the decisions arrive through. Such a node steers by
// steer.CutOff.
func (n *Node) cutOff() bool { return n.stale.Load() || n.persist.Load() != nil }

// readinessOf gathers the facts and says why the node is not ready, if it
// is not (readyReasons adds a halted state machine).
func (n *Node) readinessOf(st cluster.Status) []string {
	return notReady(readinessFacts{
		Now: time.Now(), Alone: n.local.Cluster.Listen == "", Stale: n.stale.Load(),
		StaleAfter: n.local.Cluster.StaleAfter, LastContact: st.LastContact, Started: n.started,
		Applied: st.AppliedIndex, Persist: persistOf(st), Holding: n.holding.Load(),
	})
}

// stalled reports whether the answer loop has stopped turning: the node
// would keep answering DNS from a snapshot nothing updates any more.
func (n *Node) stalled() bool { return stalledAt(n.beat.Load(), time.Now()) }

// stalledAt is stalled for a loop whose last turn was at beat (Unix
// nanoseconds; 0 before the first) seen at now.
func stalledAt(beat int64, now time.Time) bool {
	return beat != 0 && now.Sub(time.Unix(0, beat)) > stalledAfter
}
