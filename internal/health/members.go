package health

import "slices"

// Vantages returns the engine's vantage points sorted by name. The set is
// fixed for the engine's life; to change it, build a new engine with
// Rebuild (or New followed by Restore).
func (e *Engine) Vantages() []Vantage { return slices.Clone(e.vantages) }

// Rebuild builds a new engine for a changed set of vantage points or
// endpoints (a node joined or left, the configuration changed) and carries
// over what e knows: the verdict of every endpoint both engines judge, and
// the view of every (vantage, endpoint) pair both know. Carrying the views
// matters: without them the first domain to report after the change would be
// the only fresh voter and would decide alone. A carried view keeps its
// rise/fall count; if the endpoint's Fall or Rise changed, its next result is
// judged against the new one. Pairs that are new start unknown and abstain
// until they are observed. e itself is left as it was.
func (e *Engine) Rebuild(opts Options, endpoints []EndpointSpec, vantages []Vantage) (*Engine, error) {
	next, err := New(opts, endpoints, vantages)
	if err != nil {
		return nil, err
	}
	for i := range next.endpoints {
		ep := &next.endpoints[i]
		pi, ok := e.endpointIdx[ep.spec.Name]
		if !ok {
			continue
		}
		prev := &e.endpoints[pi]
		ep.health, ep.since = prev.health, prev.since
		for vi, v := range next.vantages {
			if pvi, ok := e.vantageIdx[v.Name]; ok {
				ep.views[vi] = prev.views[pvi]
			}
		}
	}
	return next, nil
}
