package config

import (
	"fmt"

	"outlast/internal/geo"
	"outlast/internal/model"
)

// fillNearest turns every `nearest: true` order into the list of the
// service's endpoint locations by distance from the area's center, once
// per configuration: the answers, the API and the status page then read
// one order, and no query ever measures a distance. It reports what keeps
// an order from being computed: an area without a center, or a location
// with no coordinates.
func fillNearest(c *Config, v *validator) {
	coords := coordinates(c.Geo.Coordinates)
	for i := range c.Services {
		s := &c.Services[i]
		for j := range s.Geo.Areas {
			o := &s.Geo.Areas[j]
			if !o.Nearest {
				continue
			}
			path := fmt.Sprintf("services[%d].geo.areas[%d].nearest", i, j)
			from, ok := areaCenter(c.Geo.Areas, o.Area)
			if !ok {
				v.add(path, "area %q has no center to measure from: give geo.areas[].center, or continents", o.Area)
				continue
			}
			order, err := geo.Nearest(from, endpointLocations(s), coords)
			if err != nil {
				v.add(path, "%v", err)
				continue
			}
			o.Order = order
		}
	}
}

// coordinates places a location from geo.coordinates, else the built-in table.
func coordinates(given []LocationPoint) func(model.Location) (geo.Point, bool) {
	overrides := make(map[model.Location]geo.Point, len(given))
	for _, c := range given {
		if len(c.At) == 2 {
			overrides[c.Location] = geo.Point{Lat: c.At[0], Lon: c.At[1]}
		}
	}
	return geo.Coordinates(overrides)
}

// areaCenter is the area's center, else its first continent's.
func areaCenter(areas []Area, name string) (geo.Point, bool) {
	for _, a := range areas {
		if a.Name != name {
			continue
		}
		if len(a.Center) == 2 {
			return geo.Point{Lat: a.Center[0], Lon: a.Center[1]}, true
		}
		if len(a.Continents) > 0 {
			return geo.ContinentCenter(a.Continents[0])
		}
	}
	return geo.Point{}, false
}
