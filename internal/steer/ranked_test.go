package steer

import (
	"maps"
	"net/netip"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"outlast/internal/config"
	"outlast/internal/model"
)

// tierNames reads tiers as endpoint names, "name:weight" when weighted.
func tierNames(tiers [][]Choice) [][]string {
	var out [][]string
	for _, tier := range tiers {
		var names []string
		for _, c := range tier {
			names = append(names, c.Endpoint.Name)
		}
		out = append(out, names)
	}
	return out
}

func TestRanked(t *testing.T) {
	eu, us := model.Location{Provider: "aws", Region: "eu-west-1"}, model.Location{Provider: "aws", Region: "us-east-1"}
	at := func(e config.Endpoint, loc model.Location) config.Endpoint { e.Location = loc; return e }
	failover := service(config.PolicyFailover,
		ep("a", "192.0.2.1"), ep("b", "192.0.2.2"), ep("c @2", "192.0.2.3"), ep("d @3", "192.0.2.4"))
	geo := service(config.PolicyGeo,
		at(ep("us1", "192.0.2.1"), us), at(ep("eu1 @2", "192.0.2.2"), eu), at(ep("eu2", "192.0.2.3"), eu), ep("other", "192.0.2.4"))
	empty := three(config.PolicyFailover)
	empty.WhenAllDown = config.AllDownEmpty
	panics := three(config.PolicyFailover)
	panics.PanicThreshold = 50
	drained := service(config.PolicyFailover, ep("a", "192.0.2.1"), ep("b @2", "192.0.2.2"))
	drained.Endpoints[0].Drained = true
	allDrained := service(config.PolicyFailover, ep("a", "192.0.2.1"), ep("b @2", "192.0.2.2"))
	allDrained.Endpoints[0].Drained, allDrained.Endpoints[1].Drained = true, true
	for _, c := range []struct {
		name   string
		svc    config.Service
		order  []model.Location
		health string
		want   [][]string
	}{
		{"failover: one tier per priority", failover, nil, "", [][]string{{"a", "b"}, {"c"}, {"d"}}},
		{"failover: down ones left out", failover, nil, "a=down c=down", [][]string{{"b"}, {"d"}}},
		{"weighted: one tier", three(config.PolicyWeighted), nil, "euw1=down", [][]string{{"use1", "standby"}}},
		{"all: one tier", three(config.PolicyAll), nil, "", [][]string{{"use1", "euw1", "standby"}}},
		{"geo: by location in order, then priority", geo, []model.Location{eu, us}, "", [][]string{{"eu2"}, {"eu1"}, {"us1"}, {"other"}}},
		{"geo: a failed location falls to the next", geo, []model.Location{eu, us}, "eu1=down eu2=down", [][]string{{"us1"}, {"other"}}},
		{"geo: default order", geo, nil, "", [][]string{{"us1", "eu2", "other"}, {"eu1"}}},
		{"all down, serve-all: every candidate", three(config.PolicyFailover), nil, "use1=down euw1=down standby=down", [][]string{{"use1", "euw1", "standby"}}},
		{"all down, fail closed: nowhere", empty, nil, "use1=down euw1=down standby=down", nil},
		{"panic: every candidate", panics, nil, "use1=down euw1=down", [][]string{{"use1", "euw1", "standby"}}},
		{"drained: never", drained, nil, "", [][]string{{"b"}}},
		{"all down, one drained: the others", drained, nil, "b=down", [][]string{{"b"}}},
		{"all drained, serve-all: them all the same", allDrained, nil, "", [][]string{{"a", "b"}}},
	} {
		got := tierNames(Ranked(&c.svc, c.order, health(c.health), nil))
		if !slices.EqualFunc(got, c.want, slices.Equal) {
			t.Errorf("%s: tiers %v, want %v", c.name, got, c.want)
		}
	}
}

// TestRankedWeightsAndTargets: weighted tiers carry the configured
// weights, others equal shares; a target is forwarded to its resolved
// addresses and, unresolved, is no candidate.
func TestRankedWeightsAndTargets(t *testing.T) {
	svc := three(config.PolicyWeighted)
	svc.Endpoints = append(svc.Endpoints, config.Endpoint{Name: "cdn", Target: "shop.cdn.test.", Priority: 1, Weight: svc.Endpoints[0].Weight},
		config.Endpoint{Name: "gone", Target: "gone.cdn.test.", Priority: 1, Weight: svc.Endpoints[0].Weight})
	res := resolution{"shop.cdn.test.": ips("203.0.113.7")}
	tiers := Ranked(&svc, nil, health(""), res.resolve)
	if len(tiers) != 1 {
		t.Fatalf("tiers %v, want one", tierNames(tiers))
	}
	got := map[string]uint32{}
	for _, c := range tiers[0] {
		got[c.Endpoint.Name] = c.Weight
	}
	want := map[string]uint32{"use1": 3, "euw1": 1, "standby": 0, "cdn": 3}
	if !maps.Equal(got, want) {
		t.Errorf("weights %v, want %v", got, want)
	}
	if cdn := tiers[0][3]; !slices.Equal(cdn.Addrs, ips("203.0.113.7")) {
		t.Errorf("target endpoint forwarded to %v, want its resolved 203.0.113.7", cdn.Addrs)
	}
	failover := three(config.PolicyFailover)
	for _, c := range Ranked(&failover, nil, health(""), nil)[0] {
		if c.Weight != 1 {
			t.Errorf("failover tier gives %s weight %d, want 1 (an equal share, as DNS answers)", c.Endpoint.Name, c.Weight)
		}
	}
}

// TestRankedProperties holds Ranked to the DNS answer: its first tier is
// what the answer is built from, each endpoint appears at most once, and
// while any is usable every usable one is ranked and no other.
func TestRankedProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		svc := genService(t)
		svc.Answer = config.AnswerFlatten // addresses to compare; Ranked ignores the style
		h := genHealth(t, &svc)
		res := genResolution(t, &svc)
		orders := [][]model.Location{svc.Geo.Default}
		for _, o := range svc.Geo.Areas {
			orders = append(orders, o.Order)
		}
		for _, order := range orders {
			tiers := Ranked(&svc, order, FromMap(h), res.resolve)
			a := answer(&svc, "", order, FromMap(h), res.resolve, Returns{})
			checkRankedOnce(t, tiers)
			checkFirstTierIsTheAnswer(t, tiers, &a, res)
			if a.Mode == model.ModeHealthy {
				checkRankedUsable(t, tiers, &svc, h, res)
			}
		}
	})
}

func checkRankedOnce(t *rapid.T, tiers [][]Choice) {
	seen := map[string]bool{}
	for _, tier := range tiers {
		if len(tier) == 0 {
			t.Fatalf("an empty tier in %v", tierNames(tiers))
		}
		for _, c := range tier {
			if seen[c.Endpoint.Name] || len(c.Addrs) == 0 {
				t.Fatalf("%s ranked twice or without addresses: %v", c.Endpoint.Name, tierNames(tiers))
			}
			seen[c.Endpoint.Name] = true
		}
	}
}

// checkFirstTierIsTheAnswer: the addresses the answer holds are the first
// tier's (the answer may be capped at max_answers, and a weighted answer
// leaves weight-0 endpoints out while others are up: the proxy's picker
// does the same).
func checkFirstTierIsTheAnswer(t *rapid.T, tiers [][]Choice, a *model.Answer, res resolution) {
	var answered []netip.Addr
	answered = append(answered, a.Addrs...)
	for _, p := range a.Pools {
		answered = append(answered, p.Addrs...)
	}
	if len(tiers) == 0 {
		if len(answered) > 0 && a.Mode != model.ModeFallback {
			t.Fatalf("no tier, but the answer (%s) holds %v", a.Mode, answered)
		}
		return
	}
	var first []netip.Addr
	for _, c := range tiers[0] {
		first = append(first, c.Addrs...)
	}
	for _, addr := range answered {
		if !slices.Contains(first, addr) {
			t.Fatalf("answer (%s) holds %s, not in the first tier %v", a.Mode, addr, tierNames(tiers))
		}
	}
}

// checkRankedUsable: with an endpoint usable, every usable candidate is
// ranked and nothing else is.
func checkRankedUsable(t *rapid.T, tiers [][]Choice, svc *config.Service, h map[string]model.Health, res resolution) {
	ranked := map[string]bool{}
	for _, tier := range tiers {
		for _, c := range tier {
			ranked[c.Endpoint.Name] = true
		}
	}
	for _, ep := range svc.Endpoints {
		want := !ep.Drained && len(res.of(&ep)) > 0 && h[ep.Name].Usable()
		if ranked[ep.Name] != want {
			t.Fatalf("%s ranked %v, want %v (drained %v, health %s): %v", ep.Name, ranked[ep.Name], want, ep.Drained, h[ep.Name], tierNames(tiers))
		}
	}
}
