package statuspage

import (
	"slices"
	"strings"

	"outlast/internal/config"
	"outlast/internal/model"
)

// orderView is one line of a geo service's orders: in which order one
// group of clients is given the endpoint locations.
type orderView struct {
	// Area is the area's name, "" for the default order; Clients says
	// whom the line is for in words.
	Area, Clients string
	// Nearest is true for an order measured by distance at load.
	Nearest bool
	// Locations are the ordered locations in words, with "then the rest
	// by priority" when some of the service's locations are not listed.
	Locations string
}

// ordersOf lists a geo service's orders: one per area it orders, then the
// default order, which clients in no area get and so do clients of the
// areas (of areas, the configuration's) the service gives no order. A
// service with another policy has none.
func ordersOf(svc config.Service, areas []config.Area) []orderView {
	if svc.Policy != config.PolicyGeo {
		return nil
	}
	locations := endpointLocations(svc)
	ordered := map[string]bool{}
	var out []orderView
	for _, o := range svc.Geo.Areas {
		ordered[o.Area] = true
		out = append(out, orderView{Area: o.Area, Clients: o.Area, Nearest: o.Nearest, Locations: orderText(o.Order, locations)})
	}
	def := orderView{Clients: clientsNoArea, Locations: orderText(svc.Geo.Default, locations)}
	var others []string
	for _, a := range areas {
		if !ordered[a.Name] {
			others = append(others, a.Name)
		}
	}
	if len(others) > 0 {
		def.Clients += " or in " + strings.Join(others, ", ")
	}
	return append(out, def)
}

// endpointLocations are the service's distinct endpoint locations.
func endpointLocations(svc config.Service) []model.Location {
	var out []model.Location
	for _, e := range svc.Endpoints {
		if !slices.Contains(out, e.Location) {
			out = append(out, e.Location)
		}
	}
	return out
}

// orderText lists order in words; the service's other locations follow
// by priority, as steer answers them.
func orderText(order, locations []model.Location) string {
	if len(order) == 0 {
		return "by priority"
	}
	text := model.Locations(order)
	for _, l := range locations {
		if !slices.Contains(order, l) {
			return text + ", then the rest by priority"
		}
	}
	return text
}
