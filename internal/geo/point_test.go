package geo

import (
	"errors"
	"math"
	"testing"
)

// TestDistanceKnownPairs: great-circle distances as published, within 1%.
func TestDistanceKnownPairs(t *testing.T) {
	var (
		london    = Point{51.5074, -0.1278}
		newYork   = Point{40.7128, -74.0060}
		paris     = Point{48.8566, 2.3522}
		tokyo     = Point{35.6762, 139.6503}
		sydney    = Point{-33.8688, 151.2093}
		losAngels = Point{34.0522, -118.2437}
	)
	for _, tc := range []struct {
		name string
		a, b Point
		km   float64
	}{
		{"London-New York", london, newYork, 5570},
		{"London-Paris", london, paris, 344},
		{"Tokyo-Sydney", tokyo, sydney, 7826},
		{"New York-Los Angeles", newYork, losAngels, 3936},
		{"pole to pole", Point{90, 0}, Point{-90, 0}, math.Pi * EarthRadiusKm},
		{"across the date line", Point{0, 179.5}, Point{0, -179.5}, 111.2},
	} {
		if got := Distance(tc.a, tc.b); math.Abs(got-tc.km) > tc.km/100 {
			t.Errorf("%s: Distance = %.1f km; want %.1f ± 1%%", tc.name, got, tc.km)
		}
	}
}

func TestPointValidate(t *testing.T) {
	for _, tc := range []struct {
		p  Point
		ok bool
	}{
		{Point{0, 0}, true}, {Point{90, 180}, true}, {Point{-90, -180}, true},
		{Point{90.01, 0}, false}, {Point{0, -180.01}, false}, {Point{math.NaN(), 0}, false}, {Point{0, math.Inf(1)}, false},
	} {
		err := tc.p.Validate()
		if (err == nil) != tc.ok || err != nil && !errors.Is(err, ErrInvalidPoint) {
			t.Errorf("%v.Validate() = %v; want ok=%v", tc.p, err, tc.ok)
		}
	}
}
