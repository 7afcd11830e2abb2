package geo

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"outlast/internal/model"
)

func TestNearest(t *testing.T) {
	locs := parseLocations(t, []string{"aws/us-east-1", "aws/eu-west-1", "gcp/us-central1", "azure/westeurope", "aws/us-west-2"})
	for _, tc := range []struct {
		name string
		from Point
		want []string
	}{
		{"from Paris", Point{48.86, 2.35}, []string{"azure/westeurope", "aws/eu-west-1", "aws/us-east-1", "gcp/us-central1", "aws/us-west-2"}},
		{"from New York", Point{40.71, -74.01}, []string{"aws/us-east-1", "gcp/us-central1", "aws/us-west-2", "aws/eu-west-1", "azure/westeurope"}},
		{"from Seattle", Point{47.61, -122.33}, []string{"aws/us-west-2", "gcp/us-central1", "aws/us-east-1", "aws/eu-west-1", "azure/westeurope"}},
	} {
		got, err := Nearest(tc.from, locs, Builtin)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !slices.Equal(strs(got), tc.want) {
			t.Errorf("%s: Nearest = %v; want %v", tc.name, got, tc.want)
		}
	}
}

// TestNearestTiesKeepInputOrder: two locations at one point (Google and
// Cloudflare in Ashburn share its point) keep the order given.
func TestNearestTiesKeepInputOrder(t *testing.T) {
	for _, order := range [][]string{{"gcp/us-east4", "cloudflare/iad"}, {"cloudflare/iad", "gcp/us-east4"}} {
		got, err := Nearest(Point{0, 0}, parseLocations(t, order), Builtin)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(strs(got), order) {
			t.Errorf("Nearest(%v) = %v; want the input order for a tie", order, got)
		}
	}
}

func TestNearestNamesMissingCoordinates(t *testing.T) {
	locs := parseLocations(t, []string{"aws/us-east-1", "fastly/global", "acme/dc-1"})
	_, err := Nearest(Point{0, 0}, locs, Builtin)
	if !errors.Is(err, ErrNoCoordinates) {
		t.Fatalf("Nearest = %v; want ErrNoCoordinates", err)
	}
	for _, want := range []string{"fastly/global", "acme/dc-1", "geo.coordinates"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	if strings.Contains(err.Error(), "us-east-1") {
		t.Errorf("error %q names a location that has coordinates", err)
	}
}

func strs(locs []model.Location) []string {
	out := make([]string, len(locs))
	for i, l := range locs {
		out[i] = l.String()
	}
	return out
}
