package steer

import (
	"outlast/internal/config"
	"outlast/internal/model"
)

// CutOff computes the answers of a node cut off from its cluster: from the
// agreed health, less every endpoint its own fresh probes judge Down.
//
// A cut-off node cannot learn new verdicts, so it keeps answering the last
// agreed state (static stability). That state may be older than a failure
// the node can see with its own eyes; answering an address both the agreed
// state and the node's own probes had reasons to doubt helps nobody. The
// rule only ever removes: an endpoint the agreed state calls Down stays
// Down whatever this node sees, because one node's view must never undo
// the quorum. Only Down from own probes counts; Unknown (no fresh probe)
// changes nothing.
//
// When the node's own probes see every candidate of a service down, the
// service is answered from the agreed health alone: a node that sees
// everything dead is far more likely to have lost its own network than to
// be right against the quorum (the false alarm of DESIGN.md), and turning
// that blindness into the all-down answer would spread traffic to
// endpoints the cluster did not choose.
func CutOff(services []config.Service, agreed, own func(endpoint string) model.Health, resolved Resolved) []model.Answer {
	out := make([]model.Answer, 0, len(services))
	for i := range services {
		svc := &services[i]
		out = appendAnswers(out, svc, CutOffHealth(svc, agreed, own), resolved, Returns{})
	}
	return out
}

// CutOffHealth is the health a cut-off node steers svc by, by the rules
// of CutOff: the agreed health less what its own probes see down, unless
// that leaves no candidate usable. The proxy ranks by it too, so it sends
// requests where the node's DNS answers send clients.
func CutOffHealth(svc *config.Service, agreed, own func(endpoint string) model.Health) func(endpoint string) model.Health {
	both := func(name string) model.Health {
		if own(name) == model.Down {
			return model.Down
		}
		return agreed(name)
	}
	if !anyUsable(svc, both) {
		return agreed
	}
	return both
}

// anyUsable reports whether some candidate (not drained) endpoint of svc is usable.
func anyUsable(svc *config.Service, health func(string) model.Health) bool {
	for i := range svc.Endpoints {
		if ep := &svc.Endpoints[i]; !ep.Drained && health(ep.Name).Usable() {
			return true
		}
	}
	return false
}
