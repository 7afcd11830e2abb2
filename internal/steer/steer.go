package steer

import (
	"net/netip"
	"slices"
	"time"

	"outlast/internal/config"
	"outlast/internal/model"
)

// Resolved tells what a target hostname resolves to now: its addresses of
// type t and how long they may still be cached. It returns nothing for a
// target it holds no trusted address for. A nil Resolved resolves nothing.
type Resolved func(target string, t model.RecordType) (addrs []netip.Addr, ttl time.Duration)

// Answer computes what svc answers, given each endpoint's health by name
// and, for endpoints named by target hostname, what the targets resolve to.
// A health function that does not know a name should return model.Unknown.
// For a geo service it is the answer of clients in no area (AreaAnswer
// gives the others). The answer shares no memory with svc.
func Answer(svc *config.Service, health func(endpoint string) model.Health, resolved Resolved) model.Answer {
	return answer(svc, "", svc.Geo.Default, health, resolved, Returns{})
}

// AreaAnswer computes what a geo service answers the clients of area,
// whose order of endpoint locations is order.
func AreaAnswer(svc *config.Service, area string, order []model.Location, health func(endpoint string) model.Health, resolved Resolved) model.Answer {
	return answer(svc, area, order, health, resolved, Returns{})
}

func answer(svc *config.Service, area string, order []model.Location, health func(endpoint string) model.Health, resolved Resolved, ret Returns) model.Answer {
	a := model.Answer{
		Name: svc.Name,
		Area: area,
		Type: svc.Type,
		TTL:  uint32(svc.TTL / time.Second),
		Mode: model.ModeHealthy,
	}
	s := &steering{svc: svc, resolved: resolved, ttl: a.TTL, order: order, ret: ret}
	var candidates, usable []*config.Endpoint
	for i := range svc.Endpoints {
		ep := &svc.Endpoints[i]
		if ep.Drained || !s.answerable(ep) {
			continue
		}
		candidates = append(candidates, ep)
		if health(ep.Name).Usable() {
			usable = append(usable, ep)
		}
	}
	switch {
	case svc.Policy == config.PolicyPrimary:
		s.primary(&a, candidates)
	case panicking(svc.PanicThreshold, len(usable), len(candidates)):
		a.Mode = model.ModePanic
		s.fill(&a, candidates, false)
	case len(usable) == 0:
		s.allDown(candidates, &a)
	case !s.fillReturning(&a, usable):
		s.fill(&a, usable, true)
	}
	if a.Mode != model.ModeEmpty && a.AddressCount() == 0 && !a.IsCNAME() {
		// Only flattened targets can leave nothing to answer: none has an
		// address the resolver trusts.
		a.Mode = model.ModeUnresolved
	}
	a.TTL = s.ttl
	return a
}

// Answers computes the answers of every service, in the order given: one
// per service, and for a geo service one per area it orders, after the
// one of clients in no area.
func Answers(services []config.Service, health func(endpoint string) model.Health, resolved Resolved) []model.Answer {
	return AnswersReturning(services, health, resolved, Returns{})
}

// AnswersReturning is Answers for services with return_ramp, whose
// answers give endpoints that came back up a growing share (ret says which
// and when).
func AnswersReturning(services []config.Service, health func(endpoint string) model.Health, resolved Resolved, ret Returns) []model.Answer {
	out := make([]model.Answer, 0, len(services))
	for i := range services {
		out = appendAnswers(out, &services[i], health, resolved, ret)
	}
	return out
}

// appendAnswers appends svc's answers to out.
func appendAnswers(out []model.Answer, svc *config.Service, health func(endpoint string) model.Health, resolved Resolved, ret Returns) []model.Answer {
	out = append(out, answer(svc, "", svc.Geo.Default, health, resolved, ret))
	if svc.Policy == config.PolicyGeo {
		for _, o := range svc.Geo.Areas {
			out = append(out, AreaAnswer(svc, o.Area, o.Order, health, resolved))
		}
	}
	return out
}

// FromMap adapts a map of verdicts to the health function Answer takes;
// names missing from the map are Unknown.
func FromMap(m map[string]model.Health) func(string) model.Health {
	return func(name string) model.Health { return m[name] }
}

// primary answers a policy primary service: the endpoints it is given,
// whatever their health, which are the one primary the cluster agreed on
// (state.Services leaves no other), or nothing before the first election.
// A verdict never moves the name by itself: only a committed change of
// primary does, after its hook.
func (s *steering) primary(a *model.Answer, eps []*config.Endpoint) {
	if len(eps) == 0 {
		a.Mode = model.ModeEmpty
		return
	}
	s.fill(a, eps, false)
}

// panicking reports whether fewer than threshold percent of the candidates
// are usable. With no candidates there is nobody to spread load over, so
// the all-down rules apply instead.
func panicking(threshold, usable, candidates int) bool {
	return threshold > 0 && candidates > 0 && usable*100 < threshold*candidates
}

// steering is one service's answer being computed.
type steering struct {
	svc      *config.Service
	resolved Resolved
	// ttl is the answer's TTL: the service's, lowered to what is left of
	// the upstream TTL of every flattened target answered.
	ttl uint32
	// order is a geo answer's order of endpoint locations.
	order []model.Location
	// ret says when endpoints came back up, for return_ramp.
	ret Returns
}

// cname reports whether the service answers CNAMEs to its targets.
func (s *steering) cname() bool { return s.svc.Answer == config.AnswerCNAME }

// answerable reports whether ep has something to answer: addresses, a
// target to CNAME to, or a flattened target with addresses.
func (s *steering) answerable(ep *config.Endpoint) bool {
	if !ep.HasTarget() || s.cname() {
		return true
	}
	addrs, _ := s.lookup(ep.Target)
	return len(addrs) > 0
}

func (s *steering) lookup(target string) ([]netip.Addr, time.Duration) {
	if s.resolved == nil {
		return nil, 0
	}
	return s.resolved(target, s.svc.Type)
}

// addrsOf returns what ep answers in a flattened answer, lowering the TTL
// for a target's addresses.
func (s *steering) addrsOf(ep *config.Endpoint) []netip.Addr {
	if !ep.HasTarget() {
		return ep.Addresses
	}
	addrs, ttl := s.lookup(ep.Target)
	if len(addrs) > 0 {
		s.ttl = min(s.ttl, max(1, uint32(ttl/time.Second)))
	}
	return addrs
}

// fill answers eps. byPolicy applies the service's policy (healthy
// endpoints); otherwise every endpoint of eps is answered (panic,
// serve-all), or, for a CNAME, the one of the lowest priority.
func (s *steering) fill(a *model.Answer, eps []*config.Endpoint, byPolicy bool) {
	policy := s.svc.Policy
	if byPolicy && policy == config.PolicyGeo {
		eps = s.firstInOrder(eps)
	}
	switch {
	case byPolicy && policy == config.PolicyWeighted:
		a.Pools = s.pools(eps)
	case s.cname():
		a.Target = lowestPriority(eps)[0].Target
	case byPolicy && (policy == config.PolicyFailover || policy == config.PolicyGeo):
		a.Addrs = s.addrs(lowestPriority(eps))
	default:
		a.Addrs = s.addrs(eps)
	}
}

// allDown fills a for a service none of whose candidates is usable.
func (s *steering) allDown(candidates []*config.Endpoint, a *model.Answer) {
	svc := s.svc
	switch svc.WhenAllDown {
	case config.AllDownEmpty:
		a.Mode = model.ModeEmpty
	case config.AllDownFallback:
		a.Mode, a.Addrs = model.ModeFallback, capped(dedup(nil, svc.Fallback), svc.MaxAnswers)
	default: // serve-all, the documented default
		if len(candidates) == 0 {
			// Every endpoint is drained: still answer rather than go dark.
			for i := range svc.Endpoints {
				if ep := &svc.Endpoints[i]; s.answerable(ep) {
					candidates = append(candidates, ep)
				}
			}
		}
		a.Mode = model.ModeServeAll
		if len(candidates) > 0 {
			s.fill(a, candidates, false)
		}
	}
}

// firstInOrder returns the usable endpoints of the first location of the
// geo order that has any, else all of them (the caller then takes the
// lowest priority, as failover does).
func (s *steering) firstInOrder(usable []*config.Endpoint) []*config.Endpoint {
	for _, loc := range s.order {
		var here []*config.Endpoint
		for _, ep := range usable {
			if ep.Location == loc {
				here = append(here, ep)
			}
		}
		if len(here) > 0 {
			return here
		}
	}
	return usable
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
func (s *steering) pools(usable []*config.Endpoint) []model.WeightedPool {
	var out []model.WeightedPool
	for _, ep := range usable {
		if w := weight(ep); w > 0 {
			out = append(out, s.pool(ep, w))
		}
	}
	if len(out) > 0 {
		return out
	}
	for _, ep := range usable {
		out = append(out, s.pool(ep, 1))
	}
	return out
}

func (s *steering) pool(ep *config.Endpoint, w uint32) model.WeightedPool {
	p := model.WeightedPool{Endpoint: ep.Name, Weight: w}
	if s.cname() {
		p.Target = ep.Target
	} else {
		p.Addrs = capped(dedup(nil, s.addrsOf(ep)), s.svc.MaxAnswers)
	}
	return p
}

func weight(ep *config.Endpoint) uint32 {
	if ep.Weight == nil {
		return 1 // config.Load sets it; this keeps a hand-built config safe
	}
	return *ep.Weight
}

// addrs gathers the endpoints' addresses in order, each once, capped at max_answers.
func (s *steering) addrs(eps []*config.Endpoint) []netip.Addr {
	var out []netip.Addr
	for _, ep := range eps {
		out = dedup(out, s.addrsOf(ep))
	}
	return capped(out, s.svc.MaxAnswers)
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
