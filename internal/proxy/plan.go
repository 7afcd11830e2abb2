package proxy

import (
	"fmt"
	"net/netip"
	"slices"
	"time"

	"outlast/internal/balance"
	"outlast/internal/outlier"
)

// Target is one endpoint a request may go to.
type Target struct {
	Name string
	// Domain is the endpoint's failure domain (its location): a retry goes
	// to another one when it can.
	Domain string
	Weight uint32
	// UpSince is when the agreed state saw it come back up, for slow
	// start; zero when it has not been down since the node started.
	UpSince time.Time
	Addrs   []netip.Addr
}

// Plan is where each service's requests may go, by service name.
type Plan map[string]ServicePlan

// ServicePlan is where one service's requests may go.
type ServicePlan struct {
	// Endpoints names every endpoint of the service, ranked or not: the
	// proxy judges them all, and a plan with the same names keeps its
	// judgements.
	Endpoints []string
	// Areas holds, per client area ("" for clients in no area, and the
	// only entry of a service that is not geo), the targets in tiers of
	// preference (steer.Ranked).
	Areas map[string][][]Target
}

// servicePlan is one service's plan as the proxy uses it: a picker per
// tier per area, and the outlier detector over all its endpoints, which
// outlives plans with the same endpoints so a new verdict elsewhere does
// not forgive an ejection.
type servicePlan struct {
	areas    map[string][]tier
	detector *outlier.Detector
	names    []string // the detector's endpoints, sorted
}

type tier struct {
	picker *balance.Picker
	addrs  [][]netip.Addr // per candidate of picker
}

// plans is the whole plan, immutable once built.
type plans struct {
	services map[string]*servicePlan
}

// build turns p into plans, keeping the detectors of old whose services
// have the same endpoints.
func build(p Plan, old *plans, slow balance.SlowStart, cfg outlier.Config) (*plans, error) {
	out := &plans{services: make(map[string]*servicePlan, len(p))}
	for service, in := range p {
		sp := &servicePlan{areas: make(map[string][]tier, len(in.Areas)), names: namesOf(in)}
		for area, tiers := range in.Areas {
			for _, ts := range tiers {
				t, err := newTier(ts, slow)
				if err != nil {
					return nil, fmt.Errorf("proxy: service %s: %w", service, err)
				}
				sp.areas[area] = append(sp.areas[area], t)
			}
		}
		if prev := old.service(service); prev != nil && slices.Equal(prev.names, sp.names) {
			sp.detector = prev.detector
		} else {
			d, err := outlier.New(cfg, sp.names)
			if err != nil {
				return nil, fmt.Errorf("proxy: service %s: %w", service, err)
			}
			sp.detector = d
		}
		out.services[service] = sp
	}
	return out, nil
}

func (ps *plans) service(name string) *servicePlan {
	if ps == nil {
		return nil
	}
	return ps.services[name]
}

func newTier(ts []Target, slow balance.SlowStart) (tier, error) {
	cands := make([]balance.Candidate, len(ts))
	addrs := make([][]netip.Addr, len(ts))
	for i, t := range ts {
		cands[i] = balance.Candidate{Name: t.Name, Domain: t.Domain, Weight: t.Weight, UpSince: t.UpSince}
		addrs[i] = slices.Clone(t.Addrs)
	}
	p, err := balance.New(cands, slow)
	return tier{picker: p, addrs: addrs}, err
}

// namesOf lists every endpoint of the service and any named in its
// tiers, once, sorted.
func namesOf(in ServicePlan) []string {
	names := slices.Clone(in.Endpoints)
	for _, tiers := range in.Areas {
		for _, ts := range tiers {
			for _, t := range ts {
				names = append(names, t.Name)
			}
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// tiersFor returns the tiers for clients of area, or of clients in no
// area when the service does not order that one.
func (sp *servicePlan) tiersFor(area string) []tier {
	if ts, ok := sp.areas[area]; ok {
		return ts
	}
	return sp.areas[""]
}
