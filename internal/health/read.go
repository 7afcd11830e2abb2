package health

import (
	"fmt"
	"time"

	"outlast/internal/model"
)

// Verdict returns one endpoint's current verdict. Health and Since are as
// decided by the last Evaluate; the vote counts and evidence describe the
// views as seen at now, so they may already point to a change the next
// Evaluate will make.
func (e *Engine) Verdict(endpoint string, now time.Time) (model.Verdict, bool) {
	i, ok := e.endpointIdx[endpoint]
	if !ok {
		return model.Verdict{}, false
	}
	return e.verdict(&e.endpoints[i], now), true
}

// Verdicts returns every endpoint's current verdict, sorted by endpoint
// name, as Verdict describes.
func (e *Engine) Verdicts(now time.Time) []model.Verdict {
	out := make([]model.Verdict, len(e.endpoints))
	for i := range e.endpoints {
		out[i] = e.verdict(&e.endpoints[i], now)
	}
	return out
}

// Current returns an endpoint's Health as of the last Evaluate, Unknown for
// a name the engine does not know. It does not allocate, so steering can
// call it per endpoint.
func (e *Engine) Current(endpoint string) model.Health {
	if i, ok := e.endpointIdx[endpoint]; ok {
		return e.endpoints[i].health
	}
	return model.Unknown
}

// Health returns every endpoint's Health as of the last Evaluate.
func (e *Engine) Health() map[string]model.Health {
	out := make(map[string]model.Health, len(e.endpoints))
	for i := range e.endpoints {
		out[e.endpoints[i].spec.Name] = e.endpoints[i].health
	}
	return out
}

// Restore sets an endpoint's verdict without any vote, so that a node that
// takes over deciding (a new Raft leader) starts from the agreed verdict
// instead of Unknown and does not announce changes that already happened.
// The views are untouched. A restored verdict holds until fresh votes say
// otherwise; note that in a fresh engine the first domain to report is the
// only one voting until the others report too, so when a previous engine is
// at hand, Rebuild (which carries the views) is the safer way to change the
// vantage set.
func (e *Engine) Restore(endpoint string, h model.Health, since time.Time) error {
	i, ok := e.endpointIdx[endpoint]
	if !ok {
		return fmt.Errorf("health: restore verdict of %q: %w", endpoint, ErrUnknownEndpoint)
	}
	e.endpoints[i].health, e.endpoints[i].since = h, since
	return nil
}

// verdict builds the full verdict of one endpoint at now, with one piece of
// evidence per vantage point in name order.
func (e *Engine) verdict(ep *endpoint, now time.Time) model.Verdict {
	t := e.domains.tally(ep, now)
	v := model.Verdict{
		Endpoint:  ep.spec.Name,
		Health:    ep.health,
		Since:     ep.since,
		UpVotes:   t.Up,
		DownVotes: t.Down,
		Voters:    e.domains.count(),
		Evidence:  make([]model.Evidence, len(ep.views)),
	}
	for i := range ep.views {
		vw := &ep.views[i]
		v.Evidence[i] = model.Evidence{
			Vantage:  e.vantages[i].Name,
			Location: e.vantages[i].Location,
			State:    vw.State,
			Last:     vw.last,
			At:       vw.at,
			Fresh:    vw.fresh(now, ep.window),
		}
	}
	return v
}
