package audit

import (
	"fmt"
	"slices"
	"strings"

	"outlast/internal/config"
	"outlast/internal/model"
)

// AreaMove is where the clients of one area of a geo service go when a
// failure takes the place they were answered from. Steering is steer's
// rule: the live endpoints of the first location of the area's order that
// has one, else the live endpoints of the lowest priority, as failover.
type AreaMove struct {
	// Area is the area's name; empty for clients in no area, when the
	// service has a geo.default order.
	Area string `json:"area"`
	// From and To are the locations the area's clients are answered from
	// before and after the failure: one location of the order, or, past
	// its end, those of the lowest priority left.
	From []model.Location `json:"from"`
	To   []model.Location `json:"to"`
	// Exhausted: the failure leaves no live endpoint in any location of
	// the area's order, which had one before, so its clients go by
	// priority to whatever is left, maybe across an ocean.
	Exhausted bool `json:"exhausted,omitempty"`
}

// AreaName names the area for people: clients in no area have no name.
func (m AreaMove) AreaName() string {
	if m.Area == "" {
		return "clients in no area"
	}
	return m.Area
}

// String writes the move as "europe: aws/eu-west-1 → gcp/europe-west1",
// with " (past its order, by priority)" when the order ran out.
func (m AreaMove) String() string {
	s := m.AreaName() + ": " + model.Locations(m.From) + " → " + model.Locations(m.To)
	if m.Exhausted {
		s += " (past its order, by priority)"
	}
	return s
}

// geoMoves lists, for a geo service, the areas whose clients f moves,
// in the order of the service's geo.areas, clients in no area last (only
// when geo.default gives them an order: without one they go by priority,
// which the cell's impact already tells).
func geoMoves(s config.Service, f *failure) []AreaMove {
	if s.Policy != config.PolicyGeo {
		return nil
	}
	var live, kept []config.Endpoint
	for _, e := range s.Endpoints {
		if e.Drained {
			continue
		}
		live = append(live, e)
		if !f.hits(e.Location) {
			kept = append(kept, e)
		}
	}
	var out []AreaMove
	for _, o := range s.Geo.Areas {
		out = appendMove(out, o.Area, o.Order, live, kept)
	}
	if len(s.Geo.Default) > 0 {
		out = appendMove(out, "", s.Geo.Default, live, kept)
	}
	return out
}

// appendMove adds the area's move when the failure changes where its
// clients are answered from.
func appendMove(out []AreaMove, area string, order []model.Location, live, kept []config.Endpoint) []AreaMove {
	from, wasPast := sentTo(order, live)
	to, isPast := sentTo(order, kept)
	if slices.Equal(from, to) {
		return out
	}
	return append(out, AreaMove{Area: area, From: from, To: to, Exhausted: isPast && !wasPast})
}

// sentTo is where an order sends clients while the endpoints up are up:
// the first location of the order with one of them, else the locations of
// the lowest priority among them (past is then true).
func sentTo(order []model.Location, up []config.Endpoint) (where []model.Location, past bool) {
	for _, l := range order {
		if slices.ContainsFunc(up, func(e config.Endpoint) bool { return e.Location == l }) {
			return []model.Location{l}, false
		}
	}
	for _, e := range topTier(up) {
		if !slices.Contains(where, e.Location) {
			where = append(where, e.Location)
		}
	}
	return where, true
}

// geoSingleFindings reports the areas one failure moves: each move
// (info), an order run out (warning), and several areas moved at once by
// one provider (warning).
func geoSingleFindings(f *failure, s config.Service, cell ServiceImpact) []Finding {
	var out []Finding
	var together []AreaMove
	for _, m := range cell.Moves {
		if m.Exhausted {
			out = append(out, exhaustedFinding(f, Warning, s.Name, m))
		} else {
			out = append(out, Finding{Severity: Info, Check: CheckGeoAreaMoved, Scope: f.scope, Domain: f.name, Subject: s.Name,
				Summary: fmt.Sprintf("losing %s: %s's %s move from %s to %s, next in their order", f.name, s.Name, clientsOf(m), model.Locations(m.From), model.Locations(m.To)),
				Why:     "This is geo steering working: the area's clients go to the next location of its order within the TTL plus the time to detect.",
				Fix:     "Nothing, if " + model.Locations(m.To) + " can carry the area's load as well as its own.",
			})
		}
		if m.Area != "" {
			together = append(together, m)
		}
	}
	if f.kind == KindProvider && len(together) > 1 {
		out = append(out, sharedFirstFinding(f, s.Name, together))
	}
	return out
}

// geoPairFindings reports the orders a pair of failures runs out that
// neither failure alone does; the other moves are in the matrix.
func geoPairFindings(f *failure, s config.Service, cell, a, b ServiceImpact) []Finding {
	var out []Finding
	for _, m := range cell.Moves {
		if m.Exhausted && !exhausted(a, m.Area) && !exhausted(b, m.Area) {
			out = append(out, exhaustedFinding(f, Info, s.Name, m))
		}
	}
	return out
}

// exhausted reports whether the cell's failure runs out area's order.
func exhausted(cell ServiceImpact, area string) bool {
	return slices.ContainsFunc(cell.Moves, func(m AreaMove) bool { return m.Area == area && m.Exhausted })
}

func exhaustedFinding(f *failure, sev Severity, service string, m AreaMove) Finding {
	what := "its geo.areas order"
	if m.Area == "" {
		what = "its geo.default order"
	}
	return Finding{Severity: sev, Check: CheckGeoOrderExhausted, Scope: f.scope, Domain: f.name, Subject: service,
		Summary: fmt.Sprintf("losing %s leaves no location of the order of %s's %s: they go from %s to %s, by priority",
			f.name, service, clientsOf(m), model.Locations(m.From), model.Locations(m.To)),
		Why: "Past the end of its order an area's clients are sent wherever the lowest priority is, however far: " +
			"what geo steering was meant to spare them.",
		Fix: "Add to " + what + " a location outside " + f.name + " near the area (another provider is best), or set nearest: true.",
	}
}

func sharedFirstFinding(f *failure, service string, moved []AreaMove) Finding {
	var areas []string
	for _, m := range moved {
		areas = append(areas, m.Area+" ("+model.Locations(m.From)+")")
	}
	return Finding{Severity: Warning, Check: CheckGeoSharedFirst, Scope: f.scope, Domain: f.name, Subject: service,
		Summary: fmt.Sprintf("losing %s moves %d areas of %s at once: %s", f.name, len(moved), service, strings.Join(areas, ", ")),
		Why: "The areas' first choices share one provider, so one provider's outage moves all their clients together " +
			"onto the next locations, which must carry them all at once.",
		Fix: "Put the first location of each area's order in a different provider, or size the next locations for all these areas together.",
	}
}

// clientsOf names an area's clients in a sentence.
func clientsOf(m AreaMove) string {
	if m.Area == "" {
		return "clients in no area"
	}
	return m.Area + " clients"
}

// places writes locations as "aws/us-east-1, gcp/us-central1".
