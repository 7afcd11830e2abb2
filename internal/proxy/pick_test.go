package proxy

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"outlast/internal/balance"
	"outlast/internal/outlier"
)

// TestPickProperties holds the choice of a try's endpoint to its rules,
// against a reference that shares no code with it: never an endpoint
// already tried; the first tier with an endpoint neither ejected nor in a
// tried failure domain, if any tier has one; else the first with one not
// ejected; else any untried one; none only when every one was tried.
func TestPickProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		domains := []string{"aws/us-east-1", "aws/eu-west-1", "gcp/us-central1"}
		var names []string
		var tiers [][]Target
		for range rapid.IntRange(1, 3).Draw(t, "tiers") {
			var ts []Target
			for range rapid.IntRange(1, 3).Draw(t, "size") {
				name := fmt.Sprintf("e%d", len(names))
				names = append(names, name)
				ts = append(ts, Target{Name: name, Domain: rapid.SampledFrom(domains).Draw(t, "domain"),
					Weight: uint32(rapid.IntRange(0, 3).Draw(t, "weight")), Addrs: []netip.Addr{netip.AddrFrom4([4]byte{192, 0, 2, byte(len(names))})}})
			}
			tiers = append(tiers, ts)
		}
		built, err := build(Plan{service: {Endpoints: names, Areas: map[string][][]Target{"": tiers}}}, nil, balance.SlowStart{}, outlier.Config{Consecutive: 1, MaxEjectedPercent: 100})
		if err != nil {
			t.Fatal(err)
		}
		sp := built.service(service)
		now := time.Date(2021, 12, 7, 15, 30, 0, 0, time.UTC)
		ejected := map[string]bool{}
		for _, n := range names {
			if rapid.IntRange(0, 3).Draw(t, "eject "+n) == 0 {
				sp.detector.Result(n, false, now) // refused beyond all but one
			}
			ejected[n] = sp.detector.Ejected(n, now)
		}
		var tried, triedDomains []string
		for _, ts := range tiers {
			for _, tg := range ts {
				if rapid.IntRange(0, 3).Draw(t, "tried "+tg.Name) == 0 {
					tried, triedDomains = append(tried, tg.Name), append(triedDomains, tg.Domain)
				}
			}
		}
		rq := &request{sp: sp, tiers: sp.tiersFor("")}
		seed := uint64(rapid.Uint64().Draw(t, "seed"))
		p, ok := rq.pick(now, func() uint64 { seed = seed*6364136223846793005 + 1442695040888963407; return seed }, tried, triedDomains)
		want := expectedTier(tiers, tried, triedDomains, ejected)
		if !ok {
			if want != nil {
				t.Fatalf("no pick, but %v was allowed", want)
			}
			return
		}
		got := p.picker.Candidate(p.i).Name
		if !slices.Contains(want, got) {
			t.Fatalf("picked %s; the rules allow only %v (tried %v, ejected %v)", got, want, tried, ejected)
		}
	})
}

// expectedTier is the reference: the candidates the first applicable rule
// and tier allow, nil when nothing is left.
func expectedTier(tiers [][]Target, tried, triedDomains []string, ejected map[string]bool) []string {
	rules := []func(Target) bool{
		func(tg Target) bool { return !ejected[tg.Name] && !slices.Contains(triedDomains, tg.Domain) },
		func(tg Target) bool { return !ejected[tg.Name] },
		func(Target) bool { return true },
	}
	for _, rule := range rules {
		for _, ts := range tiers {
			var allowed []string
			anyWeight := false
			for _, tg := range ts {
				if !slices.Contains(tried, tg.Name) && rule(tg) {
					allowed = append(allowed, tg.Name)
					anyWeight = anyWeight || tg.Weight > 0
				}
			}
			if anyWeight { // weight 0 takes nothing while one with weight is allowed
				allowed = slices.DeleteFunc(allowed, func(n string) bool { return weightOf(ts, n) == 0 })
			}
			if len(allowed) > 0 {
				return allowed
			}
		}
	}
	return nil
}

func weightOf(ts []Target, name string) uint32 {
	for _, tg := range ts {
		if tg.Name == name {
			return tg.Weight
		}
	}
	return 0
}
