package steer

import (
	"testing"

	"outlast/internal/config"
	"outlast/internal/model"
)

// at places ep in location loc.
func at(e config.Endpoint, loc string) config.Endpoint {
	l, err := model.ParseLocation(loc)
	if err != nil {
		panic(err)
	}
	e.Location = l
	return e
}

func locs(ss ...string) []model.Location {
	out := make([]model.Location, len(ss))
	for i, s := range ss {
		out[i] = at(config.Endpoint{}, s).Location
	}
	return out
}

// TestGeoAnswers: each area gets the healthy endpoints of the first
// location of its order that has one; then the others by priority; clients
// in no area get the default order, or failover by priority without one.
func TestGeoAnswers(t *testing.T) {
	svc := service(config.PolicyGeo,
		at(ep("use1", "192.0.2.1"), "aws/us-east-1"),
		at(ep("use1b", "192.0.2.2"), "aws/us-east-1"),
		at(ep("euw1 @2", "198.51.100.1"), "aws/eu-west-1"),
		at(ep("usw2 @3", "203.0.113.1"), "aws/us-west-2"),
	)
	svc.Geo = config.ServiceGeo{Areas: []config.AreaOrder{
		{Area: "europe", Order: locs("aws/eu-west-1", "aws/us-east-1")},
		{Area: "us-west", Order: locs("aws/us-west-2", "aws/us-east-1")},
	}}
	tests := []struct {
		name   string
		health string
		want   map[string][]string // area → addresses
	}{
		{"all up: each area its first location", "", map[string][]string{
			"": {"192.0.2.1", "192.0.2.2"}, "europe": {"198.51.100.1"}, "us-west": {"203.0.113.1"}}},
		{"europe's region down: its next in order", "euw1=down", map[string][]string{
			"": {"192.0.2.1", "192.0.2.2"}, "europe": {"192.0.2.1", "192.0.2.2"}, "us-west": {"203.0.113.1"}}},
		{"one of two endpoints down in the first location", "use1=down", map[string][]string{
			"": {"192.0.2.2"}, "europe": {"198.51.100.1"}, "us-west": {"203.0.113.1"}}},
		{"every location in the order down: the rest by priority", "use1=down use1b=down usw2=down", map[string][]string{
			"": {"198.51.100.1"}, "europe": {"198.51.100.1"}, "us-west": {"198.51.100.1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			answers := Answers([]config.Service{svc}, health(tt.health), nil)
			if len(answers) != 3 {
				t.Fatalf("%d answers, want the default and one per ordered area", len(answers))
			}
			for _, a := range answers {
				want := tt.want[a.Area]
				if a.Mode != model.ModeHealthy || !answersEqual(a, model.Answer{Name: a.Name, Area: a.Area, Type: a.Type, TTL: a.TTL, Mode: a.Mode, Addrs: addrList(want...)}) {
					t.Errorf("area %q: %+v, want %v", a.Area, a, want)
				}
			}
		})
	}
}

// TestGeoDefaultOrder: services[].geo.default orders the answer of
// clients in no area.
func TestGeoDefaultOrder(t *testing.T) {
	svc := service(config.PolicyGeo,
		at(ep("use1", "192.0.2.1"), "aws/us-east-1"),
		at(ep("euw1 @2", "198.51.100.1"), "aws/eu-west-1"),
	)
	svc.Geo = config.ServiceGeo{Default: locs("aws/eu-west-1"), Areas: []config.AreaOrder{{Area: "us", Order: locs("aws/us-east-1")}}}
	a := Answer(&svc, health(""), nil)
	if a.Area != "" || len(a.Addrs) != 1 || a.Addrs[0].String() != "198.51.100.1" {
		t.Errorf("default answer %+v, want eu-west-1's address, the first of geo.default", a)
	}
}
