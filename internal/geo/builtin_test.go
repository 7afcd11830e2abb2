package geo

import (
	"testing"

	"outlast/internal/model"
)

func TestBuiltinPointsAreValid(t *testing.T) {
	for provider, regions := range builtin {
		for region, p := range regions {
			if err := p.Validate(); err != nil || p == (Point{}) {
				t.Errorf("%s/%s: %v %v", provider, region, p, err)
			}
		}
	}
	for code, p := range continents {
		if err := p.Validate(); err != nil {
			t.Errorf("continent %s: %v", code, err)
		}
	}
}

func TestBuiltinCoversTheBigProviders(t *testing.T) {
	for _, provider := range []string{"aws", "gcp", "azure"} {
		if n := len(builtin[provider]); n < 25 {
			t.Errorf("%s has %d built-in regions; want the commonly used ones (at least 25)", provider, n)
		}
	}
}

// TestBuiltinPlacesKnownRegions: a few regions within 150 km of their
// metro, and global locations nowhere.
func TestBuiltinPlacesKnownRegions(t *testing.T) {
	for _, tc := range []struct {
		loc  string
		near Point
	}{
		{"aws/us-east-1", Point{38.9, -77.4}},
		{"aws/eu-west-1", Point{53.35, -6.26}},    // Dublin
		{"gcp/us-central1", Point{41.26, -95.86}}, // Council Bluffs, Iowa
		{"gcp/europe-west1", Point{50.45, 3.82}},  // St. Ghislain, Belgium
		{"azure/eastus", Point{37.37, -79.82}},    // Virginia
		{"azure/westeurope", Point{52.37, 4.90}},  // Netherlands
		{"AWS/US-West-2", Point{45.84, -119.70}},  // any case
		{"cloudflare/fra", Point{50.11, 8.68}},    // Frankfurt PoP
		{"fastly/lhr", Point{51.51, -0.13}},       // London PoP
	} {
		l := loc(t, tc.loc)
		p, ok := Builtin(l)
		if !ok || Distance(p, tc.near) > 150 {
			t.Errorf("Builtin(%s) = %v, %v; want within 150 km of %v", tc.loc, p, ok, tc.near)
		}
	}
	for _, s := range []string{"fastly/global", "cloudflare/global", "aws/us-nowhere-9", "acme/us-east-1"} {
		if p, ok := Builtin(loc(t, s)); ok {
			t.Errorf("Builtin(%s) = %v; want no point", s, p)
		}
	}
}

func TestContinentCenter(t *testing.T) {
	for _, code := range []string{"AF", "AN", "AS", "EU", "NA", "OC", "SA", "eu"} {
		if _, ok := ContinentCenter(code); !ok {
			t.Errorf("ContinentCenter(%q) has no point", code)
		}
	}
	if eu, _ := ContinentCenter("EU"); Distance(eu, Point{50.11, 8.68}) > 500 {
		t.Errorf("EU's center %v is more than 500 km from Frankfurt", eu)
	}
	if p, ok := ContinentCenter("XX"); ok {
		t.Errorf("ContinentCenter(XX) = %v; want none", p)
	}
}

func TestCoordinatesOverridesFirst(t *testing.T) {
	mine := Point{1, 2}
	overrides := map[model.Location]Point{
		loc(t, "aws/us-east-1"):           mine,
		loc(t, "fastly/global"):           {3, 4},
		{Provider: "Home", Region: "Lab"}: {5, 6},
	}
	coords := Coordinates(overrides)
	delete(overrides, loc(t, "aws/us-east-1")) // the lookup kept its own copy
	for _, tc := range []struct {
		loc  model.Location
		want Point
	}{
		{loc(t, "aws/us-east-1"), mine},
		{loc(t, "fastly/global"), Point{3, 4}},
		{loc(t, "home/lab"), Point{5, 6}},
		{loc(t, "gcp/us-central1"), Point{41.26, -95.86}},
	} {
		if got, ok := coords(tc.loc); !ok || got != tc.want {
			t.Errorf("coords(%s) = %v, %v; want %v", tc.loc, got, ok, tc.want)
		}
	}
	if _, ok := coords(loc(t, "cloudflare/global")); ok {
		t.Error("coords(cloudflare/global) has a point; want none without an override")
	}
}

func loc(t *testing.T, s string) model.Location {
	t.Helper()
	l, err := model.ParseLocation(s)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
