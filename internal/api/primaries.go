package api

import (
	"maps"
	"net/http"
	"slices"
	"strings"

	"outlast/internal/config"
	"outlast/internal/primary"
	"outlast/internal/state"
	"outlast/internal/wire"
)

// primaryOf is svc's record as the API shows it.
func primaryOf(st *state.State, svc *config.Service) wire.Primary {
	rec := st.Primaries[svc.Name]
	out := wire.Primary{Service: svc.Name, Mode: string(svc.Primary.Mode), Primary: rec.Primary, Epoch: rec.PrimaryEpoch, LastEpoch: rec.Epoch,
		Since: rec.Since, Pending: rec.Pending, Demoted: rec.Demoted, Fencing: rec.Fencing, Held: rec.Held,
		Claimants: rec.Claimants}
	for _, name := range slices.Sorted(maps.Keys(rec.Hooks)) {
		out.Hooks = append(out.Hooks, rec.Hooks[name])
	}
	for _, r := range svc.Primary.Rules {
		out.Rules = append(out.Rules, r.Name+": answered among "+strings.Join(r.AnsweredAmong, ", "))
	}
	for _, g := range svc.Primary.Gates {
		gs := st.Gates[g]
		out.Gates = append(out.Gates, wire.GateStatus{Name: g, On: st.GateOn(g), Who: gs.Who, Why: gs.Why, At: gs.At})
	}
	return out
}

func (h *Handler) primaries(w http.ResponseWriter, _ *http.Request) {
	st := h.agreed()
	out := struct {
		Primaries []wire.Primary `json:"primaries"`
	}{Primaries: []wire.Primary{}}
	if st.Config != nil {
		for i := range st.Config.Shared.Services {
			if svc := &st.Config.Shared.Services[i]; svc.Policy == config.PolicyPrimary {
				out.Primaries = append(out.Primaries, primaryOf(st, svc))
			}
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// setPrimary starts an operator's promotion of the endpoint asked for, at
// the next epoch of its service. Its on_promote runs as for any promotion;
// the answer is the record with the promotion pending (202).
func (h *Handler) setPrimary(w http.ResponseWriter, r *http.Request) {
	var req wire.PrimaryRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	if strings.TrimSpace(req.Reason) == "" {
		writeError(w, http.StatusBadRequest, wire.CodeBadRequest, "reason is required: say why, it is recorded with the change")
		return
	}
	st := h.agreed()
	svc := serviceOfEndpoint(st, req.Endpoint)
	if svc == nil {
		writeError(w, http.StatusNotFound, wire.CodeUnknownEndpoint, "no service of policy primary has an endpoint "+req.Endpoint)
		return
	}
	who, now := callerOf(r.Context()).name, h.b.Now()
	c := primary.Command{Kind: primary.Promote, Candidate: req.Endpoint, Epoch: st.Primaries[svc.Name].Epoch + 1,
		Reason: req.Reason, Who: who, At: now, BreakGlass: req.BreakGlass}
	cmd := state.Command{Kind: state.ChangePrimary, At: now, Who: who, Why: req.Reason,
		Primary: &state.PrimaryChange{Service: svc.Name, Change: c}}
	if !h.propose(w, r, cmd) {
		return
	}
	h.log.Info("primary set", "service", svc.Name, "endpoint", req.Endpoint, "who", who, "why", req.Reason, "break_glass", req.BreakGlass)
	writeJSON(w, http.StatusAccepted, primaryOf(h.agreed(), svc))
}

func (h *Handler) setGate(w http.ResponseWriter, r *http.Request) {
	var req wire.GateRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	name, who, now := r.PathValue("name"), callerOf(r.Context()).name, h.b.Now()
	cmd := state.Command{Kind: state.SetGate, At: now, Who: who, Why: req.Reason, Gate: &state.GateChange{Name: name, On: req.On}}
	if !h.propose(w, r, cmd) {
		return
	}
	h.log.Info("gate set", "gate", name, "on", req.On, "who", who, "why", req.Reason)
	writeJSON(w, http.StatusOK, wire.GateStatus{Name: name, On: req.On, Who: who, Why: req.Reason, At: now})
}

// serviceOfEndpoint finds the policy primary service the endpoint belongs to.
func serviceOfEndpoint(st *state.State, endpoint string) *config.Service {
	if st.Config == nil {
		return nil
	}
	for i := range st.Config.Shared.Services {
		svc := &st.Config.Shared.Services[i]
		if svc.Policy == config.PolicyPrimary && slices.ContainsFunc(svc.Endpoints, func(e config.Endpoint) bool { return e.Name == endpoint }) {
			return svc
		}
	}
	return nil
}
