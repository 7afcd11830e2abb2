package statuspage

import (
	"fmt"
	"maps"
	"slices"

	"outlast/internal/model"
)

// providerView is one line of the per-provider summary.
type providerView struct {
	Provider string
	// State is "up", "degraded", "down" or "unknown"; Symbol repeats it.
	State, Symbol string
	// Text reads "aws: 1 of 2 regions down".
	Text string
	// DownRegions and PartialRegions name the regions behind the numbers.
	DownRegions, PartialRegions []string
}

// regionHealth counts one region's endpoints by effective health.
type regionHealth struct{ up, down, unknown int }

// state is "down" when every endpoint of the region is down, "partial"
// when some are, "unknown" when none has been judged yet, else "up".
func (r regionHealth) state() string {
	switch total := r.up + r.down + r.unknown; {
	case r.down == total:
		return "down"
	case r.down > 0:
		return "partial"
	case r.unknown == total:
		return "unknown"
	default:
		return "up"
	}
}

// providers summarizes, per provider, how many of its regions are down,
// judged by the effective health of the endpoints located there across
// every service.
func providers(s snapshot) []providerView {
	regions := map[string]map[string]*regionHealth{} // provider → region
	for _, svc := range s.services() {
		for _, e := range svc.Endpoints {
			p, r := e.Location.Provider, e.Location.Region
			if regions[p] == nil {
				regions[p] = map[string]*regionHealth{}
			}
			if regions[p][r] == nil {
				regions[p][r] = &regionHealth{}
			}
			switch s.state.Health(e.Name, s.now) {
			case model.Up:
				regions[p][r].up++
			case model.Down:
				regions[p][r].down++
			default:
				regions[p][r].unknown++
			}
		}
	}
	var out []providerView
	for _, p := range slices.Sorted(maps.Keys(regions)) {
		out = append(out, providerOf(p, regions[p]))
	}
	return out
}

func providerOf(provider string, regions map[string]*regionHealth) providerView {
	pv := providerView{Provider: provider}
	unknown := 0
	for _, r := range slices.Sorted(maps.Keys(regions)) {
		switch regions[r].state() {
		case "down":
			pv.DownRegions = append(pv.DownRegions, r)
		case "partial":
			pv.PartialRegions = append(pv.PartialRegions, r)
		case "unknown":
			unknown++
		}
	}
	total, down := len(regions), len(pv.DownRegions)
	pv.Text = fmt.Sprintf("%s: %d of %d %s down", provider, down, total, plural(total, "region", "regions"))
	if n := len(pv.PartialRegions); n > 0 {
		pv.Text += fmt.Sprintf(", %d partly down", n)
	}
	switch {
	case down == total:
		pv.State, pv.Symbol = "down", symbol(model.Down)
	case down > 0 || len(pv.PartialRegions) > 0:
		pv.State, pv.Symbol = "degraded", "!"
	case unknown == total:
		pv.State, pv.Symbol = "unknown", symbol(model.Unknown)
	default:
		pv.State, pv.Symbol = "up", symbol(model.Up)
	}
	return pv
}

type eventView struct {
	Seq                              uint64
	At, Datetime, Age                string
	Kind, Endpoint, Who, Why, Detail string
}

// events are the latest maxEvents of the history, newest first.
func events(s snapshot) []eventView {
	all := s.state.Events
	out := make([]eventView, 0, min(len(all), maxEvents))
	for i := len(all) - 1; i >= 0 && len(out) < maxEvents; i-- {
		e := all[i]
		out = append(out, eventView{Seq: e.Seq, At: clockTime(s.now, e.At), Datetime: e.At.UTC().Format("2006-01-02T15:04:05Z"),
			Age: ago(s.now, e.At), Kind: e.Kind, Endpoint: e.Endpoint, Who: e.Who, Why: e.Why, Detail: e.Detail})
	}
	return out
}
