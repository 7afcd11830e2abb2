package lab

import (
	"time"

	"outlast/internal/lab/measure"
	"outlast/internal/model"
)

// record is what a timeline keeps besides the clients, the answers and the
// verdicts: the Raft leaders it saw take over, and every node's own view
// of every endpoint, from which measure finds the outvoted nodes.
type record struct {
	atStart  map[string]string // agreed verdicts at the start, by endpoint
	leader   string            // the leader last seen; only the poll goroutine touches it
	leaders  []measure.LeaderChange
	views    []measure.ViewEvent // guarded by timeline.mu
	unfollow func()
}

// startRecord notes the agreed verdicts and the leader at the start and
// begins following the nodes' own views.
func (tl *timeline) startRecord() {
	tl.atStart = map[string]string{}
	if n := tl.lab.anyUp(); n != nil {
		for name, v := range n.node.State().Verdicts.All() {
			if v.Health != model.Unknown {
				tl.atStart[name] = v.Health.String()
			}
		}
	}
	tl.leader, _ = tl.lab.currentLeader()
	tl.unfollow = tl.lab.views.follow(func(at time.Time, vantage, endpoint string, h model.Health) {
		tl.mu.Lock()
		defer tl.mu.Unlock()
		tl.views = append(tl.views, measure.ViewEvent{
			At: max(0, at.Sub(tl.start).Seconds()), Vantage: vantage, Endpoint: endpoint, Health: h.String(),
		})
	})
}

func (tl *timeline) stopRecord() {
	if tl.unfollow != nil {
		tl.unfollow()
		tl.unfollow = nil
	}
}

// watchLeader records a leader change when a node other than the last
// leader seen now leads. Called by the poll loop, so a change is seen within
// pollEvery; a time without any leader is no change of its own.
func (tl *timeline) watchLeader() {
	name, term := tl.lab.currentLeader()
	if name == "" || name == tl.leader {
		return
	}
	tl.mu.Lock()
	defer tl.mu.Unlock()
	tl.leaders = append(tl.leaders, measure.LeaderChange{T: tl.since(), From: tl.leader, To: name, Term: term})
	tl.leader = name
}

// currentLeader is the running, reachable node that leads at the highest
// term: a leader cut off from the others may not have stepped down yet,
// while the others already elected a new one.
func (l *Lab) currentLeader() (string, uint64) {
	var name string
	var term uint64
	for _, n := range l.Nodes {
		if !n.Up() || !n.node.Raft().IsLeader() {
			continue
		}
		if t := n.node.Raft().Status().Term; name == "" || t > term {
			name, term = n.Name, t
		}
	}
	return name, term
}
