package audit

import (
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"outlast/internal/config"
	"outlast/internal/model"
	"outlast/internal/steer"
)

// genDeployment draws a small deployment over three providers of two
// regions each, some places left unknown.
func genDeployment(t *rapid.T) Deployment {
	place := rapid.SampledFrom([]string{"aws/r1", "aws/r2", "gcp/r1", "gcp/r2", "azure/r1", ""})
	d := Deployment{Nodes: nodes(rapid.SliceOfN(place, 1, 5).Draw(t, "nodes")...)}
	d.Zones = []config.Zone{zone(rapid.SliceOfN(place, 1, 3).Draw(t, "ns")...)}
	policy := rapid.SampledFrom([]config.Policy{config.PolicyFailover, config.PolicyWeighted, config.PolicyAll}).Draw(t, "policy")
	n := rapid.IntRange(1, 4).Draw(t, "endpoints")
	var eps []config.Endpoint
	for i := range n {
		where := rapid.SampledFrom([]string{"aws/r1", "aws/r2", "gcp/r1", "gcp/r2", "azure/r1"}).Draw(t, "where")
		e := ep(fmt.Sprintf("e%d@%s", i, where), rapid.IntRange(1, 2).Draw(t, "priority"), uint32(rapid.IntRange(0, 3).Draw(t, "weight")))
		e.Drained = i > 0 && rapid.Bool().Draw(t, "drained")
		eps = append(eps, e)
	}
	d.Services = []config.Service{service(policy, eps...)}
	return d
}

// TestLosingMoreNeverHelps: a pair of failures is at least as bad as either
// of its parts, for every service and for outlast's quorum and vote.
func TestLosingMoreNeverHelps(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		d := genDeployment(t)
		zones := d.nameservers()
		rows := map[string]DomainImpact{}
		for _, f := range failures(d.locations(zones)) {
			row := d.impact(f, d.survive(f), zones)
			rows[f.name] = row
			for _, part := range f.parts {
				p := rows[part.name]
				if (row.Quorum && !p.Quorum) || (row.Decides && !p.Decides) || row.Nameservers > p.Nameservers {
					t.Fatalf("%s keeps more of outlast than %s alone: %+v vs %+v", f.name, part.name, row, p)
				}
				for i := range row.Services {
					if p.Services[i].Impact.Worse(row.Services[i].Impact) || p.Services[i].LostPct > row.Services[i].LostPct {
						t.Fatalf("%s is gentler on %s than %s alone: %+v vs %+v", f.name, row.Services[i].Service, part.name, row.Services[i], p.Services[i])
					}
				}
			}
		}
	})
}

// TestOneBasketIsCritical: when one provider holds every live endpoint of a
// service, the audit fails it, and it is deterministic.
func TestOneBasketIsCritical(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		d := genDeployment(t)
		r := Run(d)
		if again := Run(d); !reflect.DeepEqual(r, again) {
			t.Fatalf("two runs differ")
		}
		providers := map[string]bool{}
		for _, e := range d.Services[0].Endpoints {
			if !e.Drained {
				providers[e.Location.Provider] = true
			}
		}
		if len(providers) == 1 && r.Worst() != Critical {
			t.Fatalf("every endpoint in %v, but the worst finding is %s: %v", providers, r.Worst(), briefs(r.Findings))
		}
	})
}

// genGeoService draws a geo service over the same places as genDeployment,
// each endpoint with an address of its own, and one to three areas whose
// orders are some of the endpoints' locations; sometimes a geo.default.
func genGeoService(t *rapid.T) config.Service {
	places := []string{"aws/r1", "aws/r2", "gcp/r1", "gcp/r2", "azure/r1"}
	n := rapid.IntRange(1, 5).Draw(t, "endpoints")
	var eps []config.Endpoint
	for i := range n {
		where := rapid.SampledFrom(places).Draw(t, "where")
		e := ep(fmt.Sprintf("e%d@%s", i, where), rapid.IntRange(1, 3).Draw(t, "priority"), 1)
		a := netip.AddrFrom4([4]byte{203, 0, 113, byte(i + 1)})
		e.Addresses, e.ProbeAddress = []netip.Addr{a}, a
		e.Drained = i > 0 && rapid.Bool().Draw(t, "drained")
		eps = append(eps, e)
	}
	drawOrder := func(label string) []model.Location {
		var out []model.Location
		for _, l := range rapid.SliceOfNDistinct(rapid.SampledFrom(places), 1, 3, rapid.ID[string]).Draw(t, label) {
			out = append(out, loc(l))
		}
		return out
	}
	var areas []config.AreaOrder
	for i := range rapid.IntRange(1, 3).Draw(t, "areas") {
		areas = append(areas, config.AreaOrder{Area: fmt.Sprintf("area%d", i), Order: drawOrder("order")})
	}
	s := geoService(areas, eps...)
	if rapid.Bool().Draw(t, "default") {
		s.Geo.Default = drawOrder("default")
	}
	return s
}

// TestGeoMovesAgreeWithSteer: for every failure that leaves the service
// something to answer, an area moves exactly when steer's answer for it
// comes from other places after the failure than before, and to where
// steer then answers from.
func TestGeoMovesAgreeWithSteer(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := genGeoService(t)
		var locs []model.Location
		for _, e := range s.Endpoints {
			locs = append(locs, e.Location)
		}
		for _, f := range failures(locs) {
			after := func(name string) model.Health {
				i := slices.IndexFunc(s.Endpoints, func(e config.Endpoint) bool { return e.Name == name })
				if f.hits(s.Endpoints[i].Location) {
					return model.Down
				}
				return model.Up
			}
			if !slices.ContainsFunc(s.Endpoints, func(e config.Endpoint) bool { return !e.Drained && after(e.Name) == model.Up }) {
				continue // down: the all-down rules answer, not the order
			}
			moves := geoMoves(s, f)
			type area struct {
				name  string
				order []model.Location
			}
			all := []area{}
			for _, o := range s.Geo.Areas {
				all = append(all, area{o.Area, o.Order})
			}
			if len(s.Geo.Default) > 0 {
				all = append(all, area{"", s.Geo.Default})
			}
			for _, a := range all {
				from := steerPlaces(s, steer.AreaAnswer(&s, a.name, a.order, func(string) model.Health { return model.Up }, nil))
				to := steerPlaces(s, steer.AreaAnswer(&s, a.name, a.order, after, nil))
				i := slices.IndexFunc(moves, func(m AreaMove) bool { return m.Area == a.name })
				switch {
				case slices.Equal(from, to) && i >= 0:
					t.Fatalf("%s: the audit moves %q (%+v) but steer answers it from %v before and after", f.name, a.name, moves[i], from)
				case !slices.Equal(from, to) && i < 0:
					t.Fatalf("%s: steer moves %q from %v to %v, the audit does not", f.name, a.name, from, to)
				case i >= 0 && (!slices.Equal(moves[i].From, from) || !slices.Equal(moves[i].To, to)):
					t.Fatalf("%s: the audit moves %q %v → %v, steer %v → %v", f.name, a.name, moves[i].From, moves[i].To, from, to)
				}
			}
		}
	})
}

// steerPlaces are the locations of the endpoints an answer holds, in the
// service's order of endpoints.
func steerPlaces(s config.Service, a model.Answer) []model.Location {
	var out []model.Location
	for _, e := range s.Endpoints {
		if slices.Contains(a.Addrs, e.Addresses[0]) && !slices.Contains(out, e.Location) {
			out = append(out, e.Location)
		}
	}
	return out
}
