package geo

import (
	"fmt"
	"slices"
	"strings"

	"outlast/internal/model"
)

// Nearest orders locs by great-circle distance from from, nearest first;
// locations at the same distance keep their input order, so a list that
// names two locations of one city gets a stable answer. coords places each
// location (usually Coordinates(overrides)). It returns an error naming
// every location coords cannot place. It is meant to run once per
// configuration and area, never per query.
func Nearest(from Point, locs []model.Location, coords func(model.Location) (Point, bool)) ([]model.Location, error) {
	type placed struct {
		loc model.Location
		km  float64
	}
	order := make([]placed, 0, len(locs))
	var missing []string
	for _, l := range locs {
		p, ok := coords(l)
		if !ok {
			missing = append(missing, l.String())
			continue
		}
		order = append(order, placed{l, Distance(from, p)})
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w for %s: add them under geo.coordinates as lat and lon (a global location has no single place; give it one, or list the order explicitly)",
			ErrNoCoordinates, strings.Join(missing, ", "))
	}
	slices.SortStableFunc(order, func(a, b placed) int {
		switch {
		case a.km < b.km:
			return -1
		case a.km > b.km:
			return 1
		}
		return 0
	})
	out := make([]model.Location, len(order))
	for i, p := range order {
		out[i] = p.loc
	}
	return out, nil
}
