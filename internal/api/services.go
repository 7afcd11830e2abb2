package api

import (
	"cmp"
	"net/http"
	"slices"
	"strings"
	"time"

	"outlast/internal/config"
	"outlast/internal/model"
	"outlast/internal/state"
	"outlast/internal/wire"
)

// serviceView is what building one service's answer reads, taken once per
// request so that every service describes the same moment.
type serviceView struct {
	st         *state.State
	cfg        *config.Config
	self       wire.NodeInfo
	now        time.Time
	merged     map[string]map[string]wire.Evidence // endpoint, then vantage
	staleAfter int
}

func (h *Handler) view(r *http.Request) serviceView {
	v := serviceView{st: h.agreed(), cfg: h.b.Config(), self: h.b.Info(), now: h.b.Now(), staleAfter: 3}
	if v.cfg != nil && v.cfg.Health.StaleAfter > 0 {
		v.staleAfter = v.cfg.Health.StaleAfter
	}
	v.merged = merge(v.st, h.b.Observations(r.Context()))
	return v
}

func (v serviceView) services() []config.Service {
	if v.cfg == nil {
		return nil
	}
	return v.cfg.Services
}

func (h *Handler) services(w http.ResponseWriter, r *http.Request) {
	v := h.view(r)
	out := struct {
		Services []wire.Service `json:"services"`
	}{Services: []wire.Service{}}
	for _, svc := range v.services() {
		out.Services = append(out.Services, v.service(svc))
	}
	writeJSON(w, http.StatusOK, out)
}

// service answers one service by name, with or without the trailing dot.
func (h *Handler) service(w http.ResponseWriter, r *http.Request) {
	name := strings.ToLower(strings.TrimSuffix(r.PathValue("name"), ".")) + "."
	v := h.view(r)
	for _, svc := range v.services() {
		if svc.Name == name {
			writeJSON(w, http.StatusOK, v.service(svc))
			return
		}
	}
	writeError(w, http.StatusNotFound, wire.CodeUnknownService, "no service "+name+" in the configuration")
}

func (v serviceView) service(svc config.Service) wire.Service {
	out := wire.Service{Name: svc.Name, Type: svc.Type, TTL: int64(svc.TTL / time.Second), Policy: svc.Policy,
		WhenAllDown: svc.WhenAllDown, Endpoints: make([]wire.Endpoint, 0, len(svc.Endpoints))}
	window := svc.Check.Interval * time.Duration(v.staleAfter)
	for _, e := range svc.Endpoints {
		out.Endpoints = append(out.Endpoints, v.endpoint(e, window))
	}
	return out
}

func (v serviceView) endpoint(e config.Endpoint, window time.Duration) wire.Endpoint {
	verdict, _ := v.st.Verdicts.Get(e.Name)
	out := wire.Endpoint{Name: e.Name, Location: e.Location, Addresses: e.Addresses, Priority: e.Priority,
		Drained: e.Drained, Health: v.st.Health(e.Name, v.now).String(), Verdict: verdict.Health.String(),
		Since: verdict.Since, Votes: wire.Votes{Up: verdict.UpVotes, Down: verdict.DownVotes, Voters: verdict.Voters},
		Evidence: []wire.Evidence{}}
	if e.Weight != nil {
		out.Weight = *e.Weight
	}
	if o, ok := v.st.Overrides[e.Name]; ok && o.Active(v.now) {
		ov := overrideOf(o, v.now)
		out.Override = &ov
	}
	for _, ev := range v.merged[e.Name] {
		ev.AgeS = seconds(v.now.Sub(ev.At))
		ev.Fresh = window <= 0 || v.now.Sub(ev.At) <= window
		if ev.Location == (model.Location{}) {
			ev.Location = v.locationOf(ev.Vantage)
		}
		out.Evidence = append(out.Evidence, ev)
	}
	slices.SortFunc(out.Evidence, func(a, b wire.Evidence) int { return cmp.Compare(a.Vantage, b.Vantage) })
	return out
}

// locationOf finds a vantage point's location among the members, or this node.
func (v serviceView) locationOf(vantage string) model.Location {
	if m, ok := v.st.Members[vantage]; ok {
		return m.Location
	}
	if vantage == v.self.Name {
		return v.self.Location
	}
	return model.Location{}
}

// merge joins the verdicts' evidence with the live observations, keyed by
// endpoint then vantage; the newer wins. Verdicts are written only when
// they change, so their evidence may be old while observations are
// current; observations in turn lack the vantages this node cannot reach.
func merge(st *state.State, obs map[string]map[string]model.Observation) map[string]map[string]wire.Evidence {
	out := map[string]map[string]wire.Evidence{}
	put := func(endpoint string, e wire.Evidence) {
		if out[endpoint] == nil {
			out[endpoint] = map[string]wire.Evidence{}
		}
		if cur, ok := out[endpoint][e.Vantage]; ok && !e.At.After(cur.At) {
			return
		}
		out[endpoint][e.Vantage] = e
	}
	for _, v := range st.Verdicts.All() {
		for _, e := range v.Evidence {
			put(v.Endpoint, evidenceOf(e.Vantage, e.Location, e.State, e.Last, e.At))
		}
	}
	for vantage, byEndpoint := range obs {
		for endpoint, o := range byEndpoint {
			judged, loc := model.Unknown, model.Location{}
			if cur, ok := out[endpoint][vantage]; ok {
				judged, loc = parseHealth(cur.State), cur.Location // the last judgement still stands
			}
			put(endpoint, evidenceOf(vantage, loc, judged, o.Result, o.At))
		}
	}
	return out
}

func evidenceOf(vantage string, loc model.Location, judged model.Health, r model.Result, at time.Time) wire.Evidence {
	return wire.Evidence{Vantage: vantage, Location: loc, State: judged.String(), Up: r.Up, Reason: r.Reason,
		Detail: r.Detail, Warning: r.Warning, LatencyMS: float64(r.Latency.Microseconds()) / 1000, At: at}
}

func parseHealth(s string) model.Health {
	switch s {
	case "up":
		return model.Up
	case "down":
		return model.Down
	}
	return model.Unknown
}

func seconds(d time.Duration) float64 { return d.Round(time.Millisecond).Seconds() }
