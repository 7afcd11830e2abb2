package config

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"outlast/internal/model"
)

// continents are the codes a MaxMind database gives continents.
var continents = []string{"AF", "AN", "AS", "EU", "NA", "OC", "SA"}

// geoDefaults makes area names, countries and continents canonical.
func geoDefaults(g *Geo) {
	for i := range g.Areas {
		a := &g.Areas[i]
		a.Name = strings.TrimSpace(a.Name)
		for j := range a.Countries {
			a.Countries[j] = strings.ToUpper(strings.TrimSpace(a.Countries[j]))
		}
		for j := range a.Continents {
			a.Continents[j] = strings.ToUpper(strings.TrimSpace(a.Continents[j]))
		}
	}
}

// geo checks geo.areas and geo.coordinates.
func (v *validator) geo(g *Geo) {
	names := map[string]int{}
	prefixes := map[netip.Prefix]string{}
	for i := range g.Areas {
		a := &g.Areas[i]
		path := fmt.Sprintf("geo.areas[%d]", i)
		if a.Name == "" {
			v.add(path+".name", "is required: services[].geo names the area by it")
		} else if prev, dup := names[a.Name]; dup {
			v.add(path+".name", "area %q is already defined at geo.areas[%d]", a.Name, prev)
		}
		names[a.Name] = i
		if len(a.Prefixes) == 0 && len(a.Countries) == 0 && len(a.Continents) == 0 {
			v.add(path, "area %q matches no client: give it prefixes, countries or continents", a.Name)
		}
		for j, p := range a.Prefixes {
			pp := fmt.Sprintf("%s.prefixes[%d]", path, j)
			switch {
			case p != p.Masked():
				v.add(pp, "%s has bits set beyond its length; write %s", p, p.Masked())
			case prefixes[p] != "":
				v.add(pp, "%s is already in %s; a prefix belongs to one area", p, prefixes[p])
			default:
				prefixes[p] = path
			}
		}
		for j, c := range a.Countries {
			if len(c) != 2 || strings.Trim(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
				v.add(fmt.Sprintf("%s.countries[%d]", path, j), "%q is not an ISO 3166-1 alpha-2 country code, such as DE or US", c)
			}
		}
		for j, c := range a.Continents {
			if !slices.Contains(continents, c) {
				v.add(fmt.Sprintf("%s.continents[%d]", path, j), "%q is not a continent code; use one of %s", c, strings.Join(continents, ", "))
			}
		}
		if a.Center != nil {
			v.point(path+".center", a.Center)
		}
	}
	seen := map[model.Location]int{}
	for i, c := range g.Coordinates {
		path := fmt.Sprintf("geo.coordinates[%d]", i)
		if c.Location == (model.Location{}) {
			v.add(path+".location", "is required: the provider/region these coordinates place")
		} else if prev, dup := seen[c.Location]; dup {
			v.add(path+".location", "%s is already placed at geo.coordinates[%d]", c.Location, prev)
		}
		seen[c.Location] = i
		v.point(path+".at", c.At)
	}
}

// point checks a [latitude, longitude] pair.
func (v *validator) point(path string, p []float64) {
	switch {
	case len(p) != 2:
		v.add(path, "must be [latitude, longitude], such as [50.1, 8.7]")
	case p[0] < -90 || p[0] > 90:
		v.add(path, "latitude %g is not between -90 and 90", p[0])
	case p[1] < -180 || p[1] > 180:
		v.add(path, "longitude %g is not between -180 and 180", p[1])
	}
}

// serviceGeo checks services[].geo against the service's policy, its
// endpoints' locations and geo.areas.
func (v *validator) serviceGeo(path string, s *Service, g *Geo) {
	sg := &s.Geo
	if s.Policy != PolicyGeo {
		if len(sg.Areas) > 0 || len(sg.Default) > 0 {
			v.add(path+".geo", "is set but the policy is %s; set policy: geo to use it", s.Policy)
		}
		return
	}
	if len(sg.Areas) == 0 {
		v.add(path+".geo.areas", "policy geo needs each area's order of endpoint locations: at least one of geo.areas, such as {area: europe, nearest: true}")
	}
	here := endpointLocations(s)
	seen := map[string]int{}
	for i, o := range sg.Areas {
		p := fmt.Sprintf("%s.geo.areas[%d]", path, i)
		if !slices.ContainsFunc(g.Areas, func(a Area) bool { return a.Name == o.Area }) {
			v.add(p+".area", "%q is not an area of geo.areas (%s)", o.Area, areaNames(g.Areas))
		} else if prev, dup := seen[o.Area]; dup {
			v.add(p+".area", "area %q already has an order at %s.geo.areas[%d]", o.Area, path, prev)
		}
		seen[o.Area] = i
		switch {
		case o.Nearest && len(o.Order) > 0:
			v.add(p+".order", "is set beside nearest: true; give an order or nearest, not both")
		case !o.Nearest && len(o.Order) == 0:
			v.add(p+".order", "is required (the endpoint locations, preferred first), or set nearest: true")
		}
		v.locations(p+".order", o.Order, here)
	}
	v.locations(path+".geo.default", sg.Default, here)
}

// locations checks that every location of an order is where some endpoint
// of the service runs, each once.
func (v *validator) locations(path string, order []model.Location, here []model.Location) {
	for i, l := range order {
		switch {
		case !slices.Contains(here, l):
			v.add(fmt.Sprintf("%s[%d]", path, i), "no endpoint of this service runs in %s (its locations: %s)", l, model.Locations(here))
		case slices.Index(order, l) < i:
			v.add(fmt.Sprintf("%s[%d]", path, i), "%s is listed twice", l)
		}
	}
}

// endpointLocations lists the service's endpoint locations, each once, in order.
func endpointLocations(s *Service) []model.Location {
	var out []model.Location
	for _, e := range s.Endpoints {
		if !slices.Contains(out, e.Location) {
			out = append(out, e.Location)
		}
	}
	return out
}

func areaNames(areas []Area) string {
	if len(areas) == 0 {
		return "none are defined"
	}
	names := make([]string, len(areas))
	for i, a := range areas {
		names[i] = a.Name
	}
	return strings.Join(names, ", ")
}
