package node

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"outlast/internal/api"
	"outlast/internal/cluster"
	"outlast/internal/config"
	"outlast/internal/model"
	"outlast/internal/state"
	"outlast/internal/wire"
)

// allObservationsPath serves the leader's latest probe results of every
// node to the others, over the cluster RPC.
const allObservationsPath = "/outlast/v1/latest"

// The Node is the API's and the status page's Backend.
var _ api.Backend = (*Node)(nil)

// Config is the configuration this node runs.
func (n *Node) Config() *config.Config { return state.EffectiveConfig(n.local, n.machine.Current()) }

// Answers is what this node's DNS server answers now.
func (n *Node) Answers() []model.Answer {
	if a := n.answers.Load(); a != nil {
		return *a
	}
	return nil
}

// ClusterInfo is this node's view of the Raft cluster.
func (n *Node) ClusterInfo() wire.ClusterInfo {
	cs := n.cluster.Status()
	return withVersions(clusterInfoOf(cs), cs)
}

// clusterInfoOf converts Raft's view for the API, which links no Raft.
func clusterInfoOf(cs cluster.Status) wire.ClusterInfo {
	out := wire.ClusterInfo{State: cs.State, Leader: cs.LeaderID, LeaderAddress: cs.LeaderAddress, Term: cs.Term,
		AppliedIndex: cs.AppliedIndex, CommitIndex: cs.CommitIndex, LastContact: cs.LastContact,
		PersistError: cs.PersistError, PersistStore: cs.PersistStore, PersistFailingSince: cs.PersistFailingSince,
		Members: make([]wire.MemberInfo, 0, len(cs.Members))}
	for _, m := range cs.Members {
		out.Members = append(out.Members, wire.MemberInfo{Name: m.ID, Address: m.Address, Suffrage: m.Suffrage, Leader: m.Leader})
	}
	return out
}

// Resolution is what this node's resolver holds for each target hostname.
func (n *Node) Resolution() []wire.Resolution { return n.targets.report() }

// AreaQueries count the geo queries this node answered, by client area.
func (n *Node) AreaQueries() []wire.AreaQueries {
	counts := n.metrics.AreaQueries()
	out := make([]wire.AreaQueries, 0, len(counts))
	for area, q := range counts {
		out = append(out, wire.AreaQueries{Area: area, Queries: q})
	}
	slices.SortFunc(out, func(a, b wire.AreaQueries) int { return strings.Compare(a.Area, b.Area) })
	return out
}

// Zones are the zones this node serves, as its answer loop last published
// them (zonestatus.go); none before it answers.
func (n *Node) Zones() []wire.ZoneStatus {
	if p := n.zones.published.Load(); p != nil {
		return *p
	}
	return nil
}

// Readiness says why this node is not ready, one sentence per reason.
func (n *Node) Readiness() []string { return n.readyReasons() }

// Info describes this node.
func (n *Node) Info() wire.NodeInfo {
	return wire.NodeInfo{Name: n.local.Node.Name, Location: n.local.Node.Location, Version: n.opts.Version,
		Started: n.started, Stale: n.stale.Load()}
}

// Now is the node's clock.
func (n *Node) Now() time.Time { return time.Now() }

// Observations are the latest probe results of every node this one can
// learn of: the leader has them all (followers send theirs), a follower
// asks the leader and falls back to its own when it cannot.
func (n *Node) Observations(ctx context.Context) map[string]map[string]model.Observation {
	all := n.latest.snapshot()
	if n.cluster.IsLeader() {
		return all
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if data, err := n.cluster.Fetch(ctx, allObservationsPath); err == nil {
		var fromLeader map[string]map[string]model.Observation
		if json.Unmarshal(data, &fromLeader) == nil {
			mergeNewer(fromLeader, all) // this node's own results are the freshest of its own
			return fromLeader
		}
	}
	return all
}

// Propose commits a command through the leader. A refusal of the state
// machine, here or forwarded from a follower, comes back with its code
// (cluster.RejectionCode) and becomes state's sentinel error again, so the
// API can tell a conflict from a typo.
func (n *Node) Propose(ctx context.Context, cmd state.Command) error {
	data, err := state.Encode(cmd)
	if err != nil {
		return err
	}
	index, err := n.cluster.Commit(ctx, data)
	if err == nil {
		n.awaitApplied(ctx, index)
		return nil
	}
	return refusalOf(err)
}

// refusalOf makes a cluster's rejection wrap the state machine's sentinel
// error that its code names; other errors are returned as they are.
func refusalOf(err error) error {
	sentinel := state.ErrorOfCode(cluster.RejectionCode(err))
	if sentinel == nil || errors.Is(err, sentinel) {
		return err // not a rejection, or on the leader, where it wraps the sentinel already
	}
	return &refused{sentinel: sentinel, err: err}
}

// refused is a forwarded rejection that is its sentinel error too; its
// text is the cluster's, which already holds the state machine's.
type refused struct{ sentinel, err error }

func (r *refused) Error() string   { return r.err.Error() }
func (r *refused) Unwrap() []error { return []error{r.sentinel, r.err} }

// serveLatest answers allObservationsPath on the leader.
func (n *Node) serveLatest(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(n.latest.snapshot())
}

// latestBoard keeps the latest observation per vantage and endpoint.
type latestBoard struct {
	mu sync.Mutex
	m  map[string]map[string]model.Observation
}

func (b *latestBoard) record(o model.Observation) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil {
		b.m = map[string]map[string]model.Observation{}
	}
	byEndpoint := b.m[o.Vantage]
	if byEndpoint == nil {
		byEndpoint = map[string]model.Observation{}
		b.m[o.Vantage] = byEndpoint
	}
	if prev, ok := byEndpoint[o.Endpoint]; !ok || !o.At.Before(prev.At) {
		byEndpoint[o.Endpoint] = o
	}
}

func (b *latestBoard) snapshot() map[string]map[string]model.Observation {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make(map[string]map[string]model.Observation, len(b.m))
	for v, byEndpoint := range b.m {
		cp := make(map[string]model.Observation, len(byEndpoint))
		for e, o := range byEndpoint {
			cp[e] = o
		}
		out[v] = cp
	}
	return out
}

// mergeNewer copies into dst every observation of src that is newer.
func mergeNewer(dst, src map[string]map[string]model.Observation) {
	for v, byEndpoint := range src {
		if dst[v] == nil {
			dst[v] = map[string]model.Observation{}
		}
		for e, o := range byEndpoint {
			if prev, ok := dst[v][e]; !ok || o.At.After(prev.At) {
				dst[v][e] = o
			}
		}
	}
}
