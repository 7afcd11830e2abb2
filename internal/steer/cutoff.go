package steer

import "outlast/internal/model"

// CutOff is the health a node cut off from its cluster steers by: the agreed
// health, except that an endpoint its own fresh probes judge Down is Down.
//
// A cut-off node cannot learn new verdicts, so it keeps answering the last
// agreed state (static stability). That state may be older than a failure
// the node can see with its own eyes; answering an address both the agreed
// state and the node's own probes had reasons to doubt helps nobody. The
// rule only ever removes: an endpoint the agreed state calls Down stays
// Down whatever this node sees, because one node's view must never undo
// the quorum (a node whose own network is broken sees everything up or
// everything down). Only Down from own probes counts; Unknown (no fresh
// probe) changes nothing. The all-down rules then apply as usual, so when
// the node's own probes see every endpoint down it answers what the
// service's when_all_down says, as any node would.
func CutOff(agreed, own func(endpoint string) model.Health) func(endpoint string) model.Health {
	return func(name string) model.Health {
		if own(name) == model.Down {
			return model.Down
		}
		return agreed(name)
	}
}
