package audit

import (
	"slices"
	"strings"
	"testing"

	"outlast/internal/config"
	"outlast/internal/model"
)

// geoService is api.example.com. with policy geo and the areas' orders given.
func geoService(areas []config.AreaOrder, eps ...config.Endpoint) config.Service {
	s := service(config.PolicyGeo, eps...)
	s.Geo.Areas = areas
	return s
}

// order is one area's order of locations, "provider/region" each.
func order(area string, locs ...string) config.AreaOrder {
	o := config.AreaOrder{Area: area}
	for _, l := range locs {
		o.Order = append(o.Order, loc(l))
	}
	return o
}

// twoAreas are the endpoints of the shape: two regions of aws,
// one of gcp, each area nearest to one of aws's.
var twoAreas = []config.Endpoint{
	ep("use1@aws/us-east-1", 1, 1), ep("euw1@aws/eu-west-1", 1, 1), ep("usc1@gcp/us-central1", 2, 1),
}

// geoMovesOf renders the moves of every cell of the report as
// "domain: area: from → to", "(past its order)" when it ran out.
func geoMovesOf(r *Report) []string {
	var out []string
	for _, row := range r.Domains {
		for _, cell := range row.Services {
			for _, m := range cell.Moves {
				line := row.Domain + ": " + m.AreaName() + ": " + model.Locations(m.From) + " → " + model.Locations(m.To)
				if m.Exhausted {
					line += " (past its order)"
				}
				out = append(out, line)
			}
		}
	}
	return out
}

// geoBriefs are the briefs of the geo findings alone.
func geoBriefs(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		if strings.HasPrefix(string(f.Check), "geo-") {
			out = append(out, brief(f))
		}
	}
	return out
}

func TestGeoMoves(t *testing.T) {
	spread := Deployment{Nodes: nodes(wellSpread...), Zones: []config.Zone{zone(wellSpread...)}}
	with := func(s ...config.Service) Deployment {
		d := spread
		d.Services = s
		return d
	}
	cases := []struct {
		name     string
		d        Deployment
		moves    []string
		findings []string
	}{
		{
			name: "two areas, each nearest one aws region, gcp next",
			d: with(geoService([]config.AreaOrder{
				order("us-east", "aws/us-east-1", "gcp/us-central1", "aws/eu-west-1"),
				order("europe", "aws/eu-west-1", "gcp/us-central1", "aws/us-east-1"),
			}, twoAreas...)),
			moves: []string{
				// aws takes both areas' first choice: both move to gcp.
				"aws: us-east: aws/us-east-1 → gcp/us-central1",
				"aws: europe: aws/eu-west-1 → gcp/us-central1",
				// gcp was nobody's first choice: nobody moves.
				// One region takes one area's first choice; the other stays.
				"aws/eu-west-1: europe: aws/eu-west-1 → gcp/us-central1",
				"aws/us-east-1: us-east: aws/us-east-1 → gcp/us-central1",
				// Pairs: what is left of the order. Losing us-east-1's node
				// with another leaves no quorum: nobody moves, failover-stuck
				// says why.
				"aws/eu-west-1 + azure: europe: aws/eu-west-1 → gcp/us-central1",
				"aws/eu-west-1 + gcp: europe: aws/eu-west-1 → aws/us-east-1",
			},
			findings: []string{
				"warning geo-shared-first N-1 aws api.example.com.",
				"info geo-area-moved N-1 aws api.example.com.",
				"info geo-area-moved N-1 aws api.example.com.",
				"info geo-area-moved N-1 aws/eu-west-1 api.example.com.",
				"info geo-area-moved N-1 aws/us-east-1 api.example.com.",
			},
		},
		{
			name: "an area whose order is one region runs out of it",
			d: with(geoService([]config.AreaOrder{
				order("us-east", "aws/us-east-1", "gcp/us-central1"),
				order("europe", "aws/eu-west-1"),
			}, twoAreas...)),
			moves: []string{
				"aws: us-east: aws/us-east-1 → gcp/us-central1",
				"aws: europe: aws/eu-west-1 → gcp/us-central1 (past its order)",
				// By priority, the rest is aws/us-east-1's priority 1.
				"aws/eu-west-1: europe: aws/eu-west-1 → aws/us-east-1 (past its order)",
				"aws/us-east-1: us-east: aws/us-east-1 → gcp/us-central1",
				"aws/eu-west-1 + azure: europe: aws/eu-west-1 → aws/us-east-1 (past its order)",
				"aws/eu-west-1 + gcp: europe: aws/eu-west-1 → aws/us-east-1 (past its order)",
			},
			findings: []string{
				"warning geo-order-exhausted N-1 aws api.example.com.",
				"warning geo-order-exhausted N-1 aws/eu-west-1 api.example.com.",
				"warning geo-shared-first N-1 aws api.example.com.",
				// The pairs run europe's order out no more than
				// aws/eu-west-1 alone: no N-2 finding.
				"info geo-area-moved N-1 aws api.example.com.",
				"info geo-area-moved N-1 aws/us-east-1 api.example.com.",
			},
		},
		{
			name: "first choices in two providers: one provider moves one area",
			d: with(geoService([]config.AreaOrder{
				order("us-east", "gcp/us-central1", "aws/us-east-1"),
				order("europe", "aws/eu-west-1", "gcp/us-central1"),
			}, twoAreas...)),
			moves: []string{
				"aws: europe: aws/eu-west-1 → gcp/us-central1",
				"gcp: us-east: gcp/us-central1 → aws/us-east-1",
				"aws/eu-west-1: europe: aws/eu-west-1 → gcp/us-central1",
				"aws/eu-west-1 + azure: europe: aws/eu-west-1 → gcp/us-central1",
				"aws/eu-west-1 + gcp: us-east: gcp/us-central1 → aws/us-east-1",
				"aws/eu-west-1 + gcp: europe: aws/eu-west-1 → aws/us-east-1 (past its order)",
			},
			findings: []string{
				// Neither aws/eu-west-1 nor gcp alone runs europe's order out.
				"info geo-order-exhausted N-2 aws/eu-west-1 + gcp api.example.com.",
				"info geo-area-moved N-1 aws api.example.com.",
				"info geo-area-moved N-1 gcp api.example.com.",
				"info geo-area-moved N-1 aws/eu-west-1 api.example.com.",
			},
		},
		{
			name: "clients in no area follow geo.default",
			d: with(func() config.Service {
				s := geoService([]config.AreaOrder{order("europe", "aws/eu-west-1", "gcp/us-central1")}, twoAreas...)
				s.Geo.Default = []model.Location{loc("aws/us-east-1"), loc("aws/eu-west-1")}
				return s
			}()),
			moves: []string{
				"aws: europe: aws/eu-west-1 → gcp/us-central1",
				"aws: clients in no area: aws/us-east-1 → gcp/us-central1 (past its order)",
				"aws/eu-west-1: europe: aws/eu-west-1 → gcp/us-central1",
				"aws/us-east-1: clients in no area: aws/us-east-1 → aws/eu-west-1",
				"aws/eu-west-1 + azure: europe: aws/eu-west-1 → gcp/us-central1",
				"aws/eu-west-1 + gcp: europe: aws/eu-west-1 → aws/us-east-1 (past its order)",
			},
			findings: []string{
				// Clients in no area are no area: they do not count towards
				// geo-shared-first.
				"warning geo-order-exhausted N-1 aws api.example.com.",
				"info geo-order-exhausted N-2 aws/eu-west-1 + gcp api.example.com.",
				"info geo-area-moved N-1 aws api.example.com.",
				"info geo-area-moved N-1 aws/eu-west-1 api.example.com.",
				"info geo-area-moved N-1 aws/us-east-1 api.example.com.",
			},
		},
		{
			name: "a drained endpoint is no place to move to",
			d: with(geoService([]config.AreaOrder{order("europe", "aws/eu-west-1", "aws/us-east-1", "gcp/us-central1")},
				twoAreas[0], twoAreas[1], drained(twoAreas[2]), ep("usc1b@gcp/us-central1", 3, 1))),
			moves: []string{
				"aws: europe: aws/eu-west-1 → gcp/us-central1",
				"aws/eu-west-1: europe: aws/eu-west-1 → aws/us-east-1",
				"aws/eu-west-1 + azure: europe: aws/eu-west-1 → aws/us-east-1",
				"aws/eu-west-1 + gcp: europe: aws/eu-west-1 → aws/us-east-1",
			},
			findings: []string{
				"info geo-area-moved N-1 aws api.example.com.",
				"info geo-area-moved N-1 aws/eu-west-1 api.example.com.",
			},
		},
		{
			// Two nodes in aws: losing it leaves no quorum, so its row
			// moves nobody (failover-stuck says why); its regions do.
			name: "without quorum nobody moves",
			d: Deployment{Nodes: nodes("aws/us-east-1", "aws/eu-west-1", "gcp/us-central1"), Zones: []config.Zone{zone(wellSpread...)},
				Services: []config.Service{geoService([]config.AreaOrder{
					order("us-east", "aws/us-east-1", "gcp/us-central1"),
					order("europe", "aws/eu-west-1", "gcp/us-central1"),
				}, twoAreas...)}},
			moves: []string{
				"aws/eu-west-1: europe: aws/eu-west-1 → gcp/us-central1",
				"aws/us-east-1: us-east: aws/us-east-1 → gcp/us-central1",
				"aws/eu-west-1 + azure: europe: aws/eu-west-1 → gcp/us-central1",
				"aws/us-east-1 + azure: us-east: aws/us-east-1 → gcp/us-central1",
			},
			findings: []string{
				"info geo-area-moved N-1 aws/eu-west-1 api.example.com.",
				"info geo-area-moved N-1 aws/us-east-1 api.example.com.",
			},
		},
		{
			name: "non-geo services are unaffected",
			d:    with(failover(twoAreas...), service(config.PolicyWeighted, twoAreas...), service(config.PolicyAll, twoAreas...)),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := Run(tc.d)
			if got := geoMovesOf(r); !slices.Equal(got, tc.moves) {
				t.Errorf("moves differ\n got:\n\t%s\nwant:\n\t%s", strings.Join(got, "\n\t"), strings.Join(tc.moves, "\n\t"))
			}
			if got := geoBriefs(r.Findings); !slices.Equal(got, tc.findings) {
				t.Errorf("geo findings differ\n got:\n\t%s\nwant:\n\t%s", strings.Join(got, "\n\t"), strings.Join(tc.findings, "\n\t"))
			}
		})
	}
}

// TestGeoLeavesOtherFindingsAlone: a geo service is audited as before
// besides its moves: the same findings as the same endpoints under
// policy all, plus the geo ones.
func TestGeoLeavesOtherFindingsAlone(t *testing.T) {
	d := Deployment{Nodes: nodes(wellSpread...), Zones: []config.Zone{zone(wellSpread...)},
		Services: []config.Service{service(config.PolicyAll, twoAreas...)}}
	plain := briefs(Run(d).Findings)
	d.Services = []config.Service{geoService([]config.AreaOrder{order("europe", "aws/eu-west-1")}, twoAreas...)}
	var rest []string
	for _, b := range briefs(Run(d).Findings) {
		if !strings.Contains(b, " geo-") {
			rest = append(rest, b)
		}
	}
	if !slices.Equal(rest, plain) {
		t.Errorf("geo changed the other findings\n got:\n\t%s\nwant:\n\t%s", strings.Join(rest, "\n\t"), strings.Join(plain, "\n\t"))
	}
}

// TestGeoFindingsSayWhere: a person reads where the clients go.
func TestGeoFindingsSayWhere(t *testing.T) {
	d := Deployment{Nodes: nodes(wellSpread...), Zones: []config.Zone{zone(wellSpread...)},
		Services: []config.Service{geoService([]config.AreaOrder{
			order("us-east", "aws/us-east-1", "gcp/us-central1"),
			order("europe", "aws/eu-west-1"),
		}, twoAreas...)}}
	var got []string
	for _, f := range Run(d).Findings {
		if f.Scope == ScopeSingle && f.Domain == "aws" && strings.HasPrefix(string(f.Check), "geo-") {
			got = append(got, f.Summary)
		}
	}
	want := []string{
		"losing aws leaves no location of the order of api.example.com.'s europe clients: they go from aws/eu-west-1 to gcp/us-central1, by priority",
		"losing aws moves 2 areas of api.example.com. at once: us-east (aws/us-east-1), europe (aws/eu-west-1)",
		"losing aws: api.example.com.'s us-east clients move from aws/us-east-1 to gcp/us-central1, next in their order",
	}
	if !slices.Equal(got, want) {
		t.Errorf("summaries\n got:\n\t%s\nwant:\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}
