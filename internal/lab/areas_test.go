package lab

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"outlast/internal/config"
	"outlast/internal/model"
)

// TestGeoServiceOrders loads the lab's geo.example.test and its areas as
// a node does and wants the orders the docs promise: europe's as given,
// us-east's nearest first from the built-in coordinates, so that when
// us-east-1 fails the US-east devices go to gcp/us-central1.
func TestGeoServiceOrders(t *testing.T) {
	l := &Lab{port: 8080}
	for i, spec := range regionSpecs {
		l.Regions = append(l.Regions, &Region{Endpoint: spec.endpoint, Addr: fmt.Sprintf("%s:8080", endpointIP(i))})
	}
	text := geoAreasText() + `zones:
  - apex: example.test
    ns: [{name: ns1.example.test, addresses: [127.77.0.1]}]
services:
` + l.geoServiceText()
	cfg, err := config.Parse("geo.yaml", []byte("node: {name: n, location: aws/us-east-1}\n"+text))
	if err != nil {
		t.Fatalf("the lab's geo configuration does not load: %v\n%s", err, text)
	}
	want := map[string][]string{
		"europe":  {"aws/eu-west-1", "aws/us-east-1", "gcp/us-central1", "aws/us-west-2"},
		"us-east": {"aws/us-east-1", "gcp/us-central1", "aws/us-west-2", "aws/eu-west-1"},
	}
	svc := cfg.Services[0]
	if len(svc.Geo.Areas) != len(want) {
		t.Fatalf("want orders for %d areas, got %+v", len(want), svc.Geo.Areas)
	}
	for _, a := range svc.Geo.Areas {
		got := make([]string, len(a.Order))
		for i, loc := range a.Order {
			got[i] = loc.String()
		}
		if !slices.Equal(got, want[a.Area]) {
			t.Errorf("area %s: order %v, want %v", a.Area, got, want[a.Area])
		}
		first := areaNamed(a.Area).first
		if loc, _ := model.ParseLocation(want[a.Area][0]); l.regionAt(loc) != first {
			t.Errorf("area %s: its first region is %s, the lab waits for %s", a.Area, l.regionAt(loc), first)
		}
	}
}

// regionAt names the region at a location.
func (l *Lab) regionAt(loc model.Location) string {
	for _, spec := range regionSpecs {
		if spec.location == loc.String() {
			return spec.endpoint
		}
	}
	return ""
}

func TestDevicesInAreas(t *testing.T) {
	got := devicesIn([]string{"europe", "us-east"}, 201, time.Time{})
	if len(got) != 2 || got[0].devices != 101 || got[1].devices != 100 ||
		got[0].source.String() != "127.77.10.1" || got[1].source.String() != "127.77.11.1" {
		t.Errorf("want 101 devices from 127.77.10.1 and 100 from 127.77.11.1, got %+v", got)
	}
	if got := devicesIn(nil, 200, time.Time{}); len(got) != 0 {
		t.Errorf("no areas: want no area devices, got %+v", got)
	}
}
