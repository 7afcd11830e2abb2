package node

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"time"

	"outlast/internal/cluster"
	"outlast/internal/model"
	"outlast/internal/state"
)

// observationsPath is the cluster RPC route followers post observations to
// (the cluster package keeps /cluster/v1/ for its own routes). v2: the compact
// batches of wire.go; a node still on v1 gets 404 and says so in its log.
const observationsPath = "/outlast/v2/observations"

// warnEvery spaces out repeated warnings about undelivered observations.
const warnEvery = time.Minute

// queueSend hands a batch to the sender without waiting: if the previous
// batch is still on its way (the leader is slow or unreachable), this one
// is dropped. The leader's views then go stale, which is what they should do.
func (n *Node) queueSend(batch []model.Observation) {
	select {
	case n.outbox <- batch:
	default:
		n.log.Debug("observation batch dropped: the previous one is still being sent", "observations", len(batch))
	}
}

// sendLoop posts batches to the leader.
func (n *Node) sendLoop() {
	var lastWarn time.Time
	for {
		select {
		case <-n.ctx.Done():
			return
		case batch := <-n.outbox:
			body, err := json.Marshal(encodeBatch(n.local.Node.Name, time.Now(), batch))
			if err != nil {
				n.log.Error("cannot encode observations", "err", err)
				continue
			}
			ctx, cancel := context.WithTimeout(n.ctx, time.Second)
			if err := n.cluster.Post(ctx, observationsPath, body); err != nil {
				// While no leader is known this is expected and the node says
				// so as stale; anything lasting is worth a warning now and then.
				level := slog.LevelDebug
				if now := time.Now(); now.Sub(lastWarn) >= warnEvery {
					level, lastWarn = slog.LevelWarn, now
				}
				n.log.Log(n.ctx, level, "observations not delivered to the leader", "err", err, "observations", len(batch))
			}
			cancel()
		}
	}
}

// handleObservations receives a follower's batch on the leader.
func (n *Node) handleObservations(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBatchBytes))
	var b remoteBatch
	if err == nil {
		b, err = decodeBatch(data)
	}
	if err != nil {
		http.Error(w, "bad observation batch: "+err.Error(), http.StatusBadRequest)
		return
	}
	// A node speaks only for itself: the name in its certificate, verified
	// by mutual TLS, wins over whatever the batch claims.
	if peer := cluster.PeerName(r); peer != "" {
		b.From = peer
	}
	select {
	case n.remote <- b:
		w.WriteHeader(http.StatusNoContent)
	case <-r.Context().Done():
	case <-n.ctx.Done():
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
	}
}

// observeRemote feeds a follower's batch to the engine, on the leader's clock.
func (n *Node) observeRemote(d *decider, b remoteBatch) {
	sent := time.Now() // the batch's SentAt, on this node's clock
	for _, w := range b.Observations {
		// One the configuration does not know is kept nowhere, so a
		// peer cannot grow the board.
		if o := w.observation(b.From, sent); n.observe(d, o) {
			n.latest.record(o)
		}
	}
}

// memberLoop makes sure the cluster knows where this node is, so the leader
// counts its views in the right failure domain.
func (n *Node) memberLoop() {
	self := state.Member{Name: n.local.Node.Name, Address: n.local.Cluster.Advertise, Location: n.local.Node.Location}
	tick := time.NewTimer(0)
	defer tick.Stop()
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-tick.C:
		}
		tick.Reset(2 * time.Second)
		if n.machine.Current().Members[self.Name] == self {
			continue
		}
		n.propose(state.Command{Kind: state.SetMember, At: time.Now(), Who: self.Name, Member: &self}, nil)
	}
}
