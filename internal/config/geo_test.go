package config

import (
	"outlast/internal/model"
	"strings"
	"testing"
)

// geoBase is base with two areas and its service steered by area.
var geoBase = strings.Replace(base, "services:\n", `geo:
  areas:
    - {name: europe, continents: [eu], prefixes: [192.0.2.0/25]}
    - {name: us-east, countries: [US], center: [38.9, -77.4]}
services:
`, 1)

func TestGeoLoads(t *testing.T) {
	text := strings.Replace(geoBase, "    ttl: 5s\n", `    ttl: 5s
    policy: geo
    geo:
      areas:
        - {area: europe, order: [gcp/us-central1, aws/us-east-1]}
      default: [aws/us-east-1]
`, 1)
	cfg, err := Parse("c.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Geo.Areas[0].Continents; len(got) != 1 || got[0] != "EU" {
		t.Errorf("continents %v, want [EU] (upper-cased)", got)
	}
	if o := cfg.Services[0].Geo.Areas[0].Order; len(o) != 2 || o[0].String() != "gcp/us-central1" {
		t.Errorf("europe's order %v, want gcp/us-central1 first", o)
	}
}

// TestGeoProblems: each way to get geo steering wrong names the field and what to do.
func TestGeoProblems(t *testing.T) {
	withGeo := func(geo string) string {
		return strings.Replace(geoBase, "    ttl: 5s\n", "    ttl: 5s\n    policy: geo\n"+geo, 1)
	}
	cases := []struct {
		name string
		text string
		want []string
	}{
		{"geo without areas", withGeo(""),
			[]string{`c.yaml:16:5: services[0].geo.areas: policy geo needs each area's order of endpoint locations: at least one of geo.areas, such as {area: europe, nearest: true}`}},
		{"unknown area", withGeo("    geo: {areas: [{area: asia, nearest: true}]}\n"),
			[]string{`c.yaml:19:26: services[0].geo.areas[0].area: "asia" is not an area of geo.areas (europe, us-east)`}},
		{"order and nearest", withGeo("    geo: {areas: [{area: europe, nearest: true, order: [aws/us-east-1]}]}\n"),
			[]string{`c.yaml:19:56: services[0].geo.areas[0].order: is set beside nearest: true; give an order or nearest, not both`}},
		{"neither order nor nearest", withGeo("    geo: {areas: [{area: europe}]}\n"),
			[]string{`c.yaml:19:19: services[0].geo.areas[0].order: is required (the endpoint locations, preferred first), or set nearest: true`}},
		{"location with no endpoint", withGeo("    geo: {areas: [{area: europe, order: [azure/westeurope]}]}\n"),
			[]string{`c.yaml:19:42: services[0].geo.areas[0].order[0]: no endpoint of this service runs in azure/westeurope (its locations: aws/us-east-1, gcp/us-central1)`}},
		{"geo on another policy", strings.Replace(geoBase, "    ttl: 5s\n", "    ttl: 5s\n    geo: {default: [aws/us-east-1]}\n", 1),
			[]string{`c.yaml:18:10: services[0].geo: is set but the policy is failover; set policy: geo to use it`}},
		{"area matching nothing", strings.Replace(geoBase, "{name: europe, continents: [eu], prefixes: [192.0.2.0/25]}", "{name: europe}", 1),
			[]string{`c.yaml:13:7: geo.areas[0]: area "europe" matches no client: give it prefixes, countries or continents`}},
		{"prefix with host bits", strings.Replace(geoBase, "192.0.2.0/25", "192.0.2.1/25", 1),
			[]string{`c.yaml:13:51: geo.areas[0].prefixes[0]: 192.0.2.1/25 has bits set beyond its length; write 192.0.2.0/25`}},
		{"one prefix in two areas", strings.Replace(geoBase, "countries: [US]", "countries: [US], prefixes: [192.0.2.0/25]", 1),
			[]string{`c.yaml:14:51: geo.areas[1].prefixes[0]: 192.0.2.0/25 is already in geo.areas[0]; a prefix belongs to one area`}},
		{"bad country and continent", strings.Replace(geoBase, "countries: [US]", "countries: [USA], continents: [europe]", 1),
			[]string{
				`c.yaml:14:35: geo.areas[1].countries[0]: "USA" is not an ISO 3166-1 alpha-2 country code, such as DE or US`,
				`c.yaml:14:54: geo.areas[1].continents[0]: "EUROPE" is not a continent code; use one of AF, AN, AS, EU, NA, OC, SA`,
			}},
		{"center out of range", strings.Replace(geoBase, "[38.9, -77.4]", "[-77.4, 238.9]", 1),
			[]string{`c.yaml:14:48: geo.areas[1].center: longitude 238.9 is not between -180 and 180`}},
		{"duplicate area", strings.Replace(geoBase, "name: us-east", "name: europe", 1),
			[]string{`c.yaml:14:14: geo.areas[1].name: area "europe" is already defined at geo.areas[0]`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(tc.text))
			if err == nil {
				t.Fatal("no error")
			}
			if got, want := err.Error(), strings.Join(tc.want, "\n"); got != want {
				t.Errorf("problems differ\n got: %s\nwant: %s", got, want)
			}
		})
	}
}

// TestGeoNearestFilled: nearest: true becomes the service's endpoint
// locations by distance from the area's center, at load; a center from the
// area's continent serves when none is given.
func TestGeoNearestFilled(t *testing.T) {
	text := strings.Replace(geoBase, "    ttl: 5s\n", `    ttl: 5s
    policy: geo
    geo:
      areas:
        - {area: europe, nearest: true}
        - {area: us-east, nearest: true}
`, 1)
	text = strings.Replace(text, "location: gcp/us-central1", "location: gcp/europe-west1", 2)
	cfg, err := Parse("c.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	orders := map[string]string{}
	for _, o := range cfg.Services[0].Geo.Areas {
		orders[o.Area] = model.Locations(o.Order)
	}
	if orders["europe"] != "gcp/europe-west1, aws/us-east-1" || orders["us-east"] != "aws/us-east-1, gcp/europe-west1" {
		t.Errorf("nearest orders %v; want Europe's region first for europe (its continent's center), Virginia first for us-east", orders)
	}
}

// TestGeoNearestProblems: nearest needs a center and every location placed.
func TestGeoNearestProblems(t *testing.T) {
	nearest := strings.Replace(geoBase, "    ttl: 5s\n", "    ttl: 5s\n    policy: geo\n    geo: {areas: [{area: europe, nearest: true}]}\n", 1)
	unplaced := strings.Replace(nearest, "location: gcp/us-central1", "location: hetzner/fsn1", 2)
	if _, err := Parse("c.yaml", []byte(unplaced)); err == nil || !strings.Contains(err.Error(), "services[0].geo.areas[0].nearest") ||
		!strings.Contains(err.Error(), "hetzner/fsn1") || !strings.Contains(err.Error(), "geo.coordinates") {
		t.Errorf("a location without coordinates: %v; want an error naming hetzner/fsn1 and geo.coordinates", err)
	}
	placed := strings.Replace(unplaced, "geo:\n  areas:", "geo:\n  coordinates: [{location: hetzner/fsn1, at: [50.47, 12.37]}]\n  areas:", 1)
	if _, err := Parse("c.yaml", []byte(placed)); err != nil {
		t.Errorf("with geo.coordinates for hetzner/fsn1: %v", err)
	}
	centerless := strings.Replace(nearest, "{name: europe, continents: [eu], prefixes: [192.0.2.0/25]}", "{name: europe, prefixes: [192.0.2.0/25]}", 1)
	if _, err := Parse("c.yaml", []byte(centerless)); err == nil || !strings.Contains(err.Error(), `area "europe" has no center`) {
		t.Errorf("an area without center or continents: %v; want an error asking for a center", err)
	}
}
