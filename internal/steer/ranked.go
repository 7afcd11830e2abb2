package steer

import (
	"net/netip"
	"slices"

	"outlast/internal/config"
	"outlast/internal/model"
)

// Choice is one endpoint a request may be forwarded to: its addresses
// and its share of the traffic within its tier.
type Choice struct {
	Endpoint *config.Endpoint
	Weight   uint32
	Addrs    []netip.Addr
}

// Ranked lists the endpoints a proxied request to svc may go to, in tiers
// of preference, for clients ordered by order (a geo area's order; the
// service's default order for everyone else). Tier 0 holds the endpoints
// the DNS answer is built from, so the proxy and DNS send clients to the
// same place; the later tiers hold the other usable endpoints in the order
// the policy would turn to them were those before down, for retries and
// for endpoints the proxy ejected on its own: failover by priority, geo by
// location in order, then by priority. Weighted and all services have one
// tier. Panic and serve-all put every candidate in tier 0 as DNS answers
// them; a service that fails closed or answers fallback addresses when all
// are down has no tier, and the proxy has nowhere to send the request.
//
// Endpoints named by a target hostname are forwarded to the addresses
// resolved gives, whatever the service's answer style: a request goes to
// an address. A target without addresses is no candidate.
func Ranked(svc *config.Service, order []model.Location, health func(endpoint string) model.Health, resolved Resolved) [][]Choice {
	s := &steering{svc: svc, resolved: resolved, order: order}
	var candidates, usable []*config.Endpoint
	for i := range svc.Endpoints {
		ep := &svc.Endpoints[i]
		if ep.Drained || len(s.proxyAddrs(ep)) == 0 {
			continue
		}
		candidates = append(candidates, ep)
		if health(ep.Name).Usable() {
			usable = append(usable, ep)
		}
	}
	switch {
	case svc.Policy == config.PolicyPrimary || panicking(svc.PanicThreshold, len(usable), len(candidates)):
		// A primary service's one endpoint whatever its health: a retry
		// must never reach a server that is not the primary.
		return s.tiers(candidates)
	case len(usable) > 0:
		return s.byPolicy(usable)
	case svc.WhenAllDown == config.AllDownEmpty || svc.WhenAllDown == config.AllDownFallback:
		return nil
	case len(candidates) == 0:
		// Every endpoint is drained: serve-all still answers them.
		for i := range svc.Endpoints {
			if ep := &svc.Endpoints[i]; len(s.proxyAddrs(ep)) > 0 {
				candidates = append(candidates, ep)
			}
		}
	}
	return s.tiers(candidates)
}

// byPolicy ranks the usable endpoints by the service's policy.
func (s *steering) byPolicy(usable []*config.Endpoint) [][]Choice {
	switch s.svc.Policy {
	case config.PolicyWeighted:
		return [][]Choice{s.choices(usable, true)}
	case config.PolicyAll:
		return s.tiers(usable)
	}
	var out [][]Choice
	rest := usable
	if s.svc.Policy == config.PolicyGeo {
		for _, loc := range s.order {
			var here []*config.Endpoint
			here, rest = split(rest, func(ep *config.Endpoint) bool { return ep.Location == loc })
			out = append(out, s.byPriority(here)...)
		}
	}
	return append(out, s.byPriority(rest)...)
}

// byPriority makes one tier per priority number, lowest first.
func (s *steering) byPriority(eps []*config.Endpoint) [][]Choice {
	var out [][]Choice
	for len(eps) > 0 {
		best := lowestPriority(eps)
		out = append(out, s.choices(best, false))
		_, eps = split(eps, func(ep *config.Endpoint) bool { return slices.Contains(best, ep) })
	}
	return out
}

// tiers puts eps in one tier of equal weights, or none when eps is empty.
func (s *steering) tiers(eps []*config.Endpoint) [][]Choice {
	if len(eps) == 0 {
		return nil
	}
	return [][]Choice{s.choices(eps, false)}
}

// choices pairs each endpoint with its addresses and, when weighted, its
// configured weight (else 1, an equal share as DNS gives).
func (s *steering) choices(eps []*config.Endpoint, weighted bool) []Choice {
	out := make([]Choice, 0, len(eps))
	for _, ep := range eps {
		w := uint32(1)
		if weighted {
			w = weight(ep)
		}
		out = append(out, Choice{Endpoint: ep, Weight: w, Addrs: s.proxyAddrs(ep)})
	}
	return out
}

// proxyAddrs are the addresses a request to ep goes to.
func (s *steering) proxyAddrs(ep *config.Endpoint) []netip.Addr {
	if !ep.HasTarget() {
		return ep.Addresses
	}
	addrs, _ := s.lookup(ep.Target)
	return addrs
}

// split returns the endpoints for which in is true and the others, each in
// their order.
func split(eps []*config.Endpoint, in func(*config.Endpoint) bool) (yes, no []*config.Endpoint) {
	for _, ep := range eps {
		if in(ep) {
			yes = append(yes, ep)
		} else {
			no = append(no, ep)
		}
	}
	return yes, no
}
