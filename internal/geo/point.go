package geo

import (
	"fmt"
	"math"
)

// EarthRadiusKm is the radius of the sphere Distance measures on: the
// mean Earth radius, good to about 0.5% against the ellipsoid, which is far
// finer than the choice between two regions needs.
const EarthRadiusKm = 6371.0

// Point is a place on the globe in decimal degrees: Lat north positive,
// Lon east positive.
type Point struct {
	Lat float64 `json:"lat" yaml:"lat"`
	Lon float64 `json:"lon" yaml:"lon"`
}

// Validate says what is wrong with a point: a latitude outside [-90, 90]
// or a longitude outside [-180, 180] (NaN included).
func (p Point) Validate() error {
	if !(p.Lat >= -90 && p.Lat <= 90) {
		return fmt.Errorf("%w: latitude %v is outside [-90, 90] (degrees, north positive)", ErrInvalidPoint, p.Lat)
	}
	if !(p.Lon >= -180 && p.Lon <= 180) {
		return fmt.Errorf("%w: longitude %v is outside [-180, 180] (degrees, east positive)", ErrInvalidPoint, p.Lon)
	}
	return nil
}

func (p Point) String() string { return fmt.Sprintf("(%.4f, %.4f)", p.Lat, p.Lon) }

// Distance is the great-circle distance between a and b in kilometres, by
// the haversine formula on a sphere of EarthRadiusKm. It is symmetric
// exactly (not just to rounding), so a sort by it is the same from either
// end.
func Distance(a, b Point) float64 {
	lat1, lat2 := radians(a.Lat), radians(b.Lat)
	sinLat := math.Sin((lat2 - lat1) / 2)
	sinLon := math.Sin(radians(b.Lon-a.Lon) / 2)
	h := sinLat*sinLat + math.Cos(lat1)*math.Cos(lat2)*sinLon*sinLon
	// Rounding can push h a hair above 1 for antipodal points.
	return 2 * EarthRadiusKm * math.Asin(math.Sqrt(min(h, 1)))
}

func radians(deg float64) float64 { return deg * math.Pi / 180 }
