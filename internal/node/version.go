package node

import (
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
