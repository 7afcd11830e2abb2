package steer

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"outlast/internal/config"
	"outlast/internal/model"
)

// genService draws a service as config.Load could produce it. Addresses come
// from a small set so that endpoints sometimes share them.
func genService(t *rapid.T) config.Service {
	svc := config.Service{
		Name:           "www.example.test.",
		Type:           model.TypeA,
		TTL:            time.Duration(rapid.IntRange(1, 300).Draw(t, "ttl")) * time.Second,
		Policy:         rapid.SampledFrom([]config.Policy{config.PolicyFailover, config.PolicyWeighted, config.PolicyAll}).Draw(t, "policy"),
		MaxAnswers:     rapid.IntRange(1, 8).Draw(t, "maxAnswers"),
		WhenAllDown:    rapid.SampledFrom([]config.AllDown{config.AllDownServeAll, config.AllDownEmpty, config.AllDownFallback}).Draw(t, "whenAllDown"),
		PanicThreshold: rapid.SampledFrom([]int{0, 0, 25, 50, 100}).Draw(t, "panicThreshold"),
	}
	if svc.WhenAllDown == config.AllDownFallback {
		svc.Fallback = rapid.SliceOfN(genAddr(), 1, 3).Draw(t, "fallback")
	}
	for i := range rapid.IntRange(1, 6).Draw(t, "endpoints") {
		w := uint32(rapid.IntRange(0, 5).Draw(t, "weight"))
		addrs := rapid.SliceOfN(genAddr(), 1, 4).Draw(t, "addrs")
		svc.Endpoints = append(svc.Endpoints, config.Endpoint{
			Name:         fmt.Sprintf("ep%d", i),
			Addresses:    addrs,
			ProbeAddress: addrs[0],
			Priority:     rapid.IntRange(1, 3).Draw(t, "priority"),
			Weight:       &w,
			Drained:      rapid.IntRange(0, 4).Draw(t, "drained") == 0,
		})
	}
	return svc
}

func genAddr() *rapid.Generator[netip.Addr] {
	return rapid.Custom(func(t *rapid.T) netip.Addr {
		return netip.AddrFrom4([4]byte{192, 0, 2, byte(rapid.IntRange(1, 12).Draw(t, "octet"))})
	})
}

func genHealth(t *rapid.T, svc *config.Service) map[string]model.Health {
	m := map[string]model.Health{}
	for _, ep := range svc.Endpoints {
		m[ep.Name] = rapid.SampledFrom([]model.Health{model.Unknown, model.Up, model.Down, model.Down}).Draw(t, "health "+ep.Name)
	}
	return m
}

func TestAnswerProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		svc := genService(t)
		h := genHealth(t, &svc)
		a := Answer(&svc, FromMap(h))

		checkNeverEmpty(t, &a)
		checkCapped(t, &a, svc.MaxAnswers)
		if a.Mode == model.ModeHealthy {
			checkOnlyUsable(t, &a, &svc, h)
		}
		if len(a.Pools) > 0 {
			checkPickFrequencies(t, &a)
		}
	})
}

// checkNeverEmpty: every query gets addresses unless the service fails closed.
func checkNeverEmpty(t *rapid.T, a *model.Answer) {
	if a.Mode == model.ModeEmpty {
		if len(a.Addrs) != 0 || len(a.Pools) != 0 {
			t.Fatalf("mode empty with addresses: %+v", a)
		}
		return
	}
	if len(a.Pools) == 0 && len(a.Addrs) == 0 {
		t.Fatalf("empty answer in mode %s", a.Mode)
	}
	for _, p := range a.Pools {
		if len(p.Addrs) == 0 {
			t.Fatalf("empty pool %s in mode %s", p.Endpoint, a.Mode)
		}
	}
}

func checkCapped(t *rapid.T, a *model.Answer, max int) {
	if len(a.Addrs) > max {
		t.Fatalf("%d addresses, max_answers %d", len(a.Addrs), max)
	}
	for _, p := range a.Pools {
		if len(p.Addrs) > max {
			t.Fatalf("pool %s has %d addresses, max_answers %d", p.Endpoint, len(p.Addrs), max)
		}
	}
}

// checkOnlyUsable: a healthy answer only holds addresses of usable,
// non-drained endpoints (an address a down endpoint shares with a usable one
// may appear, as the usable one's).
func checkOnlyUsable(t *rapid.T, a *model.Answer, svc *config.Service, h map[string]model.Health) {
	var allowed []netip.Addr
	for _, ep := range svc.Endpoints {
		if !ep.Drained && h[ep.Name].Usable() {
			allowed = append(allowed, ep.Addresses...)
		}
	}
	given := slices.Clone(a.Addrs)
	for _, p := range a.Pools {
		given = append(given, p.Addrs...)
		if !h[p.Endpoint].Usable() {
			t.Fatalf("pool of %s, which is %s", p.Endpoint, h[p.Endpoint])
		}
	}
	for _, addr := range given {
		if !slices.Contains(allowed, addr) {
			t.Fatalf("healthy answer holds %s, which no usable endpoint has: %+v", addr, a)
		}
	}
}

// checkPickFrequencies: over every r in [0, total) each pool is picked
// exactly as often as its weight.
func checkPickFrequencies(t *rapid.T, a *model.Answer) {
	total := a.TotalWeight()
	if total == 0 {
		t.Fatalf("weighted answer with total weight 0: %+v", a)
	}
	picked := make([]uint64, len(a.Pools))
	for r := range total {
		got := a.Pick(r)
		i := slices.IndexFunc(a.Pools, func(p model.WeightedPool) bool { return &p.Addrs[0] == &got[0] })
		if i < 0 {
			t.Fatalf("Pick(%d) returned addresses of no pool", r)
		}
		picked[i]++
	}
	for i, p := range a.Pools {
		if picked[i] != uint64(p.Weight) {
			t.Fatalf("pool %s of weight %d picked %d times of %d", p.Endpoint, p.Weight, picked[i], total)
		}
	}
}
