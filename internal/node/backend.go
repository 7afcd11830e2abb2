package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
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
func (n *Node) Config() *config.Config { return n.effectiveConfig(n.machine.Current()) }

// Answers is what this node's DNS server answers now.
func (n *Node) Answers() []model.Answer {
	if a := n.answers.Load(); a != nil {
		return *a
	}
	return nil
}

// Cluster is this node's view of the Raft cluster.
func (n *Node) Cluster() cluster.Status { return n.cluster.Status() }

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

// Propose commits a command through the leader. A refusal that came back
// over the wire as text is matched to state's sentinel errors again, so the
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
	if !errors.Is(err, cluster.ErrRejected) {
		return err
	}
	for _, sentinel := range []error{state.ErrVersionConflict, state.ErrUnknownEndpoint, state.ErrInvalid, state.ErrUnknownCommand} {
		if !errors.Is(err, sentinel) && strings.Contains(err.Error(), sentinel.Error()) {
			return fmt.Errorf("%w: %w", sentinel, err)
		}
	}
	return err
}

// awaitApplied waits briefly until this node applied the log up to index:
// a proposal forwarded from a follower is committed by the leader first, and
// an operator who reads right after a write, here, should see it.
func (n *Node) awaitApplied(ctx context.Context, index uint64) {
	deadline := time.Now().Add(time.Second)
	for n.machine.Current().Index < index && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
}

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
