package api

import (
	"cmp"
	"net/http"
	"slices"
	"time"

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
	out := wire.Status{Node: info, Now: now, Config: h.configInfo(st), Cluster: CompleteCluster(h.b.ClusterInfo(), st, info, now)}
	out.Resolution = h.b.Resolution()
	out.AreaQueries = h.b.AreaQueries()
	out.Reasons = h.b.Readiness()
	out.Ready = len(out.Reasons) == 0
	writeJSON(w, http.StatusOK, out)
}

// CompleteCluster completes a Backend's view of Raft with what the state
// and the node know: the members' locations, which one answered, and
// vantage points the Raft configuration does not list (a node on its own
// has none). The API's status and the status page show the same members.
func CompleteCluster(c wire.ClusterInfo, st *state.State, info wire.NodeInfo, now time.Time) wire.ClusterInfo {
	c.Stale = info.Stale
	if c.AppliedIndex == 0 {
		c.AppliedIndex = st.Index // a node on its own, without Raft
	}
	if !c.LastContact.IsZero() {
		c.LastContactAgeS = seconds(now.Sub(c.LastContact))
	}
	members := make([]wire.MemberInfo, 0, len(c.Members)+len(st.Members))
	seen := map[string]bool{}
	for _, m := range c.Members {
		seen[m.Name] = true
		m.Location, m.Self = st.Members[m.Name].Location, m.Name == info.Name
		m.Leader = m.Leader || m.Name == c.Leader
		members = append(members, m)
	}
	for name, m := range st.Members {
		if !seen[name] {
			members = append(members, wire.MemberInfo{Name: name, Address: m.Address, Location: m.Location, Self: name == info.Name})
		}
	}
	slices.SortFunc(members, func(a, b wire.MemberInfo) int { return cmp.Compare(a.Name, b.Name) })
	c.Members = members
	return c
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
	out := wire.Answer{Name: a.Name, Area: a.Area, Type: a.Type, TTL: a.TTL, Mode: a.Mode, Addresses: a.Addrs, Target: a.Target}
	for _, p := range a.Pools {
		out.Pools = append(out.Pools, wire.Pool{Endpoint: p.Endpoint, Weight: p.Weight, Target: p.Target, Addresses: p.Addrs})
	}
	return out
}
