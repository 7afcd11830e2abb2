package api

import (
	"cmp"
	"net/http"
	"slices"

	"outlast/internal/model"
	"outlast/internal/state"
	"outlast/internal/wire"
)

// agreed returns the backend's state, or an empty one before it has any.
func (h *Handler) agreed() *state.State {
	if st := h.b.State(); st != nil {
		return st
	}
	return state.New()
}

func (h *Handler) status(w http.ResponseWriter, _ *http.Request) {
	st, info, now := h.agreed(), h.b.Info(), h.b.Now()
	cs := h.b.Cluster()
	out := wire.Status{Node: info, Now: now, Config: h.configInfo(st)}
	out.Cluster = wire.ClusterInfo{
		State: cs.State, Leader: cs.LeaderID, LeaderAddress: cs.LeaderAddress, Term: cs.Term,
		AppliedIndex: cs.AppliedIndex, CommitIndex: cs.CommitIndex, LastContact: cs.LastContact,
		Stale: info.Stale, Members: []wire.MemberInfo{},
	}
	if out.Cluster.AppliedIndex == 0 {
		out.Cluster.AppliedIndex = st.Index // a node on its own, without Raft
	}
	if !cs.LastContact.IsZero() {
		out.Cluster.LastContactAgeS = seconds(now.Sub(cs.LastContact))
	}
	seen := map[string]bool{}
	for _, m := range cs.Members {
		seen[m.ID] = true
		out.Cluster.Members = append(out.Cluster.Members, wire.MemberInfo{Name: m.ID, Address: m.Address,
			Location: st.Members[m.ID].Location, Suffrage: m.Suffrage,
			Leader: m.Leader || m.ID == cs.LeaderID, Self: m.ID == info.Name})
	}
	// Vantage points the state knows but Raft does not list: a node on its
	// own has no Raft configuration at all.
	for name, m := range st.Members {
		if !seen[name] {
			out.Cluster.Members = append(out.Cluster.Members, wire.MemberInfo{Name: name, Address: m.Address,
				Location: m.Location, Self: name == info.Name})
		}
	}
	slices.SortFunc(out.Cluster.Members, func(a, b wire.MemberInfo) int { return cmp.Compare(a.Name, b.Name) })
	writeJSON(w, http.StatusOK, out)
}

func (h *Handler) configInfo(st *state.State) wire.ConfigInfo {
	if c := st.Config; c != nil {
		return wire.ConfigInfo{Version: c.Version, Hash: c.Hash, AppliedAt: c.At, AppliedBy: c.Who}
	}
	if c := h.b.Config(); c != nil {
		return wire.ConfigInfo{Hash: c.Hash}
	}
	return wire.ConfigInfo{}
}

func (h *Handler) answers(w http.ResponseWriter, _ *http.Request) {
	answers := h.b.Answers()
	out := struct {
		Answers []wire.Answer `json:"answers"`
	}{Answers: make([]wire.Answer, 0, len(answers))}
	for _, a := range answers {
		out.Answers = append(out.Answers, answerOf(a))
	}
	writeJSON(w, http.StatusOK, out)
}

func answerOf(a model.Answer) wire.Answer {
	out := wire.Answer{Name: a.Name, Type: a.Type, TTL: a.TTL, Mode: a.Mode, Addresses: a.Addrs}
	for _, p := range a.Pools {
		out.Pools = append(out.Pools, wire.Pool{Endpoint: p.Endpoint, Weight: p.Weight, Addresses: p.Addrs})
	}
	return out
}
