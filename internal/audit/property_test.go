package audit

import (
	"fmt"
	"reflect"
	"testing"

	"pgregory.net/rapid"

	"outlast/internal/config"
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
