package steer

import (
	"net/netip"
	"slices"
	"time"

	"outlast/internal/config"
	"outlast/internal/model"
)

// Answer computes what svc answers, given each endpoint's health by name.
// A health function that does not know a name should return model.Unknown.
// The answer shares no memory with svc.
func Answer(svc *config.Service, health func(endpoint string) model.Health) model.Answer {
	a := model.Answer{
		Name: svc.Name,
		Type: svc.Type,
		TTL:  uint32(svc.TTL / time.Second),
		Mode: model.ModeHealthy,
	}
	var candidates, usable []*config.Endpoint
	for i := range svc.Endpoints {
		ep := &svc.Endpoints[i]
		if ep.Drained {
			continue
		}
		candidates = append(candidates, ep)
		if health(ep.Name).Usable() {
			usable = append(usable, ep)
		}
	}
	switch {
	case panicking(svc.PanicThreshold, len(usable), len(candidates)):
		a.Mode, a.Addrs = model.ModePanic, addrs(candidates, svc.MaxAnswers)
	case len(usable) == 0:
		allDown(svc, candidates, &a)
	case svc.Policy == config.PolicyAll:
		a.Addrs = addrs(usable, svc.MaxAnswers)
	case svc.Policy == config.PolicyWeighted:
		a.Pools = pools(usable, svc.MaxAnswers)
	default: // failover, the documented default policy
		a.Addrs = addrs(lowestPriority(usable), svc.MaxAnswers)
	}
	return a
}

// Answers computes the answer of every service, in the order given.
func Answers(services []config.Service, health func(endpoint string) model.Health) []model.Answer {
	out := make([]model.Answer, len(services))
	for i := range services {
		out[i] = Answer(&services[i], health)
	}
	return out
}

// FromMap adapts a map of verdicts to the health function Answer takes;
// names missing from the map are Unknown.
func FromMap(m map[string]model.Health) func(string) model.Health {
	return func(name string) model.Health { return m[name] }
}

// panicking reports whether fewer than threshold percent of the candidates
// are usable. With no candidates there is nobody to spread load over, so
// the all-down rules apply instead.
func panicking(threshold, usable, candidates int) bool {
	return threshold > 0 && candidates > 0 && usable*100 < threshold*candidates
}

// allDown fills a for a service none of whose candidates is usable.
func allDown(svc *config.Service, candidates []*config.Endpoint, a *model.Answer) {
	switch svc.WhenAllDown {
	case config.AllDownEmpty:
		a.Mode = model.ModeEmpty
	case config.AllDownFallback:
		a.Mode, a.Addrs = model.ModeFallback, capped(dedup(nil, svc.Fallback), svc.MaxAnswers)
	default: // serve-all, the documented default
		if len(candidates) == 0 {
			// Every endpoint is drained: still answer rather than go dark.
			for i := range svc.Endpoints {
				candidates = append(candidates, &svc.Endpoints[i])
			}
		}
		a.Mode, a.Addrs = model.ModeServeAll, addrs(candidates, svc.MaxAnswers)
	}
}

// lowestPriority returns the endpoints that share the lowest priority number.
func lowestPriority(eps []*config.Endpoint) []*config.Endpoint {
	best := eps[0].Priority
	for _, ep := range eps[1:] {
		best = min(best, ep.Priority)
	}
	var out []*config.Endpoint
	for _, ep := range eps {
		if ep.Priority == best {
			out = append(out, ep)
		}
	}
	return out
}

// pools returns one weighted pool per usable endpoint with a weight. A
// weight of 0 means "no traffic while others are up"; when only such
// endpoints are left they share the traffic evenly.
func pools(usable []*config.Endpoint, max int) []model.WeightedPool {
	var out []model.WeightedPool
	for _, ep := range usable {
		if w := weight(ep); w > 0 {
			out = append(out, model.WeightedPool{Endpoint: ep.Name, Weight: w, Addrs: capped(dedup(nil, ep.Addresses), max)})
		}
	}
	if len(out) > 0 {
		return out
	}
	for _, ep := range usable {
		out = append(out, model.WeightedPool{Endpoint: ep.Name, Weight: 1, Addrs: capped(dedup(nil, ep.Addresses), max)})
	}
	return out
}

func weight(ep *config.Endpoint) uint32 {
	if ep.Weight == nil {
		return 1 // config.Load sets it; this keeps a hand-built config safe
	}
	return *ep.Weight
}

// addrs gathers the endpoints' addresses in order, each once, capped at max.
func addrs(eps []*config.Endpoint, max int) []netip.Addr {
	var out []netip.Addr
	for _, ep := range eps {
		out = dedup(out, ep.Addresses)
	}
	return capped(out, max)
}

// dedup appends to dst the addresses of src not already in it. Answers
// hold a handful of addresses, so a linear scan beats a map.
func dedup(dst, src []netip.Addr) []netip.Addr {
	for _, a := range src {
		if !slices.Contains(dst, a) {
			dst = append(dst, a)
		}
	}
	return dst
}

// capped cuts list to max entries; max <= 0 means no cap.
func capped(list []netip.Addr, max int) []netip.Addr {
	if max > 0 && len(list) > max {
		return list[:max:max]
	}
	return list
}
