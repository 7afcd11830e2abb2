package node

import (
	"fmt"

	"outlast/internal/cluster"
	"outlast/internal/wire"
)

// withVersions adds to the API's view of the cluster what this node knows
// of protocol versions: the one it speaks, the cluster version it last
// decided (commands introduced later wait for it), and why its state
// machine stopped applying the log, if it did.
func withVersions(out wire.ClusterInfo, cs cluster.Status) wire.ClusterInfo {
	out.Protocol, out.ClusterVersion, out.ApplyStopped = cs.Version(), cs.ClusterVersion, cs.ApplyStopped
	return out
}

// readyReasons is why the node is not ready (readiness), and why it
// stopped applying the log, if it did: such a node answers from a state
// the cluster has left behind until it is upgraded.
func (n *Node) readyReasons() []string {
	st := n.cluster.Status()
	return append(n.readinessOf(st), stoppedReasons(st)...)
}

// stoppedReasons is the sentence readiness gives a node whose state
// machine stopped at a log entry of a newer protocol version; none while
// it applies.
func stoppedReasons(st cluster.Status) []string {
	if st.ApplyStopped == "" {
		return nil
	}
	return []string{fmt.Sprintf("stopped applying the cluster's log (%s): answering from the last state applied; upgrade this node to the build the other members run",
		st.ApplyStopped)}
}
