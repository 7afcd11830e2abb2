package auditreport

import "outlast/internal/audit"

// geoService is one geo service's moves: the failures that send an area's
// clients elsewhere, in the report's order of failures.
type geoService struct {
	Service string
	Rows    []geoRow
}

type geoRow struct {
	Domain string
	Scope  audit.Scope
	Moves  []geoMove
}

// geoMove is one area's move as a line, Past when its order ran out.
type geoMove struct {
	Area string
	Text string
	Past bool
}

// geoServices gathers the moves of every service that has some, in the
// report's order of services.
func geoServices(r *audit.Report) []geoService {
	var out []geoService
	for _, name := range r.Services {
		g := geoService{Service: name}
		for _, d := range r.Domains {
			si := find(d.Services, name)
			if si == nil || len(si.Moves) == 0 {
				continue
			}
			row := geoRow{Domain: d.Domain, Scope: d.Scope}
			for _, m := range si.Moves {
				row.Moves = append(row.Moves, geoMove{Area: m.AreaName(), Text: m.String(), Past: m.Exhausted})
			}
			g.Rows = append(g.Rows, row)
		}
		if len(g.Rows) > 0 {
			out = append(out, g)
		}
	}
	return out
}
