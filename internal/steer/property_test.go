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
		Policy:         rapid.SampledFrom([]config.Policy{config.PolicyFailover, config.PolicyWeighted, config.PolicyAll, config.PolicyGeo}).Draw(t, "policy"),
		MaxAnswers:     rapid.IntRange(1, 8).Draw(t, "maxAnswers"),
		WhenAllDown:    rapid.SampledFrom([]config.AllDown{config.AllDownServeAll, config.AllDownEmpty, config.AllDownFallback}).Draw(t, "whenAllDown"),
		PanicThreshold: rapid.SampledFrom([]int{0, 0, 25, 50, 100}).Draw(t, "panicThreshold"),
	}
	if svc.WhenAllDown == config.AllDownFallback {
		svc.Fallback = rapid.SliceOfN(genAddr(), 1, 3).Draw(t, "fallback")
	}
	for i := range rapid.IntRange(1, 6).Draw(t, "endpoints") {
		w := uint32(rapid.IntRange(0, 5).Draw(t, "weight"))
		ep := config.Endpoint{
			Name:     fmt.Sprintf("ep%d", i),
			Priority: rapid.IntRange(1, 3).Draw(t, "priority"),
			Weight:   &w,
			Drained:  rapid.IntRange(0, 4).Draw(t, "drained") == 0,
			Location: rapid.SampledFrom(geoLocations).Draw(t, "location"),
		}
		if rapid.Bool().Draw(t, "hostname") {
			ep.Target = fmt.Sprintf("t%d.cdn.test.", i)
		} else {
			ep.Addresses = rapid.SliceOfN(genAddr(), 1, 4).Draw(t, "addrs")
			ep.ProbeAddress = ep.Addresses[0]
		}
		svc.Endpoints = append(svc.Endpoints, ep)
	}
	if svc.Policy == config.PolicyGeo {
		for i := range rapid.IntRange(0, 2).Draw(t, "areas") {
			order := rapid.SliceOfNDistinct(rapid.SampledFrom(geoLocations), 1, 3, func(l model.Location) model.Location { return l }).Draw(t, "order")
			svc.Geo.Areas = append(svc.Geo.Areas, config.AreaOrder{Area: fmt.Sprint("area", i), Order: order})
		}
	}
	svc.Answer = config.AnswerFlatten
	if svc.Policy != config.PolicyAll && !slices.ContainsFunc(svc.Endpoints, func(e config.Endpoint) bool { return !e.HasTarget() }) &&
		rapid.Bool().Draw(t, "cname") {
		svc.Answer = config.AnswerCNAME
	}
	return svc
}

// geoLocations are the locations endpoints of generated services run in.
var geoLocations = []model.Location{{Provider: "aws", Region: "us-east-1"}, {Provider: "aws", Region: "eu-west-1"}, {Provider: "gcp", Region: "us-central1"}}

// resolution is what a resolver holds for targets, for the property tests:
// a target missing from it, or with no addresses, is unresolved.
type resolution map[string][]netip.Addr

// genResolution resolves each target of svc to up to three addresses (none: unresolved).
func genResolution(t *rapid.T, svc *config.Service) resolution {
	r := resolution{}
	for _, ep := range svc.Endpoints {
		if ep.HasTarget() {
			r[ep.Target] = rapid.SliceOfN(genAddr(), 0, 3).Draw(t, "resolved "+ep.Target)
		}
	}
	return r
}

func (r resolution) resolve(target string, _ model.RecordType) ([]netip.Addr, time.Duration) {
	return r[target], 20 * time.Second
}

// of returns what ep answers when flattened.
func (r resolution) of(ep *config.Endpoint) []netip.Addr {
	if ep.HasTarget() {
		return r[ep.Target]
	}
	return ep.Addresses
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
		res := genResolution(t, &svc)
		answers := Answers([]config.Service{svc}, FromMap(h), res.resolve)
		if want := 1 + len(svc.Geo.Areas); len(answers) != want {
			t.Fatalf("%d answers, want %d (the default and one per ordered area)", len(answers), want)
		}
		for i := range answers {
			a := &answers[i]
			checkNeverEmpty(t, a, &svc, res)
			checkCapped(t, a, svc.MaxAnswers)
			if a.Mode == model.ModeHealthy {
				checkOnlyUsable(t, a, &svc, h, res)
			}
			if len(a.Pools) > 0 {
				checkPickFrequencies(t, a)
			}
			if svc.Policy == config.PolicyGeo && a.Mode == model.ModeHealthy && a.Area != "" {
				checkFirstInOrder(t, a, &svc, h, res)
			}
		}
	})
}

// checkNeverEmpty: every query gets addresses or a CNAME unless the
// service fails closed, or nothing it could answer has an address (then
// the answer says so: unresolved, which the server answers SERVFAIL).
func checkNeverEmpty(t *rapid.T, a *model.Answer, svc *config.Service, res resolution) {
	if a.Mode == model.ModeEmpty || a.Mode == model.ModeUnresolved {
		if len(a.Addrs) != 0 || len(a.Pools) != 0 || a.Target != "" {
			t.Fatalf("mode %s with something to answer: %+v", a.Mode, a)
		}
		if a.Mode == model.ModeUnresolved && slices.ContainsFunc(svc.Endpoints, func(e config.Endpoint) bool { return len(res.of(&e)) > 0 }) {
			t.Fatalf("unresolved although an endpoint has addresses: %+v", a)
		}
		return
	}
	if len(a.Pools) == 0 && len(a.Addrs) == 0 && a.Target == "" {
		t.Fatalf("empty answer in mode %s", a.Mode)
	}
	for _, p := range a.Pools {
		if len(p.Addrs) == 0 && p.Target == "" {
			t.Fatalf("empty pool %s in mode %s", p.Endpoint, a.Mode)
		}
	}
	if (svc.Answer == config.AnswerCNAME) != a.IsCNAME() && a.Mode != model.ModeFallback {
		t.Fatalf("service answers %s, answer is CNAME: %v: %+v", svc.Answer, a.IsCNAME(), a)
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
func checkOnlyUsable(t *rapid.T, a *model.Answer, svc *config.Service, h map[string]model.Health, res resolution) {
	var allowed []netip.Addr
	var targets []string
	for _, ep := range svc.Endpoints {
		if !ep.Drained && h[ep.Name].Usable() {
			allowed = append(allowed, res.of(&ep)...)
			targets = append(targets, ep.Target)
		}
	}
	if a.Target != "" && !slices.Contains(targets, a.Target) {
		t.Fatalf("healthy answer is a CNAME to %s, the target of no usable endpoint: %+v", a.Target, a)
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
		picked[a.PickIndex(r)]++
	}
	for i, p := range a.Pools {
		if picked[i] != uint64(p.Weight) {
			t.Fatalf("pool %s of weight %d picked %d times of %d", p.Endpoint, p.Weight, picked[i], total)
		}
	}
}

// checkFirstInOrder: a geo area's healthy answer holds only endpoints of
// the first location of its order where some endpoint can be answered,
// when there is one.
func checkFirstInOrder(t *rapid.T, a *model.Answer, svc *config.Service, h map[string]model.Health, res resolution) {
	var order []model.Location
	for _, o := range svc.Geo.Areas {
		if o.Area == a.Area {
			order = o.Order
		}
	}
	for _, loc := range order {
		var here []netip.Addr
		for _, ep := range svc.Endpoints {
			if ep.Location == loc && !ep.Drained && h[ep.Name].Usable() {
				here = append(here, res.of(&ep)...)
			}
		}
		if len(here) == 0 {
			continue
		}
		for _, addr := range a.Addrs {
			if !slices.Contains(here, addr) {
				t.Fatalf("area %s answers %s, not of %s, the first location of its order with a usable endpoint: %+v", a.Area, addr, loc, a)
			}
		}
		return
	}
}
