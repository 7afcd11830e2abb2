package steer

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"outlast/internal/config"
	"outlast/internal/model"
)

// target makes ep a hostname endpoint of target.
func target(e config.Endpoint, name string) config.Endpoint {
	e.Addresses, e.ProbeAddress, e.Target = nil, netip.Addr{}, name
	return e
}

// upstream resolves cdn-a to two addresses with 12 s of TTL left and
// cdn-b to one with 90 s; "dark.cdn.test." resolves to nothing.
func upstream(name string, _ model.RecordType) ([]netip.Addr, time.Duration) {
	switch name {
	case "a.cdn.test.":
		return []netip.Addr{netip.MustParseAddr("203.0.113.1"), netip.MustParseAddr("203.0.113.2")}, 12 * time.Second
	case "b.cdn.test.":
		return []netip.Addr{netip.MustParseAddr("198.51.100.9")}, 90 * time.Second
	}
	return nil, 0
}

func TestHostnameEndpoints(t *testing.T) {
	flatten := func(policy config.Policy, eps ...config.Endpoint) config.Service {
		svc := service(policy, eps...)
		svc.Answer = config.AnswerFlatten
		return svc
	}
	cname := func(policy config.Policy, eps ...config.Endpoint) config.Service {
		svc := flatten(policy, eps...)
		svc.Answer = config.AnswerCNAME
		return svc
	}
	a := target(ep("cdn-a"), "a.cdn.test.")
	b := target(ep("cdn-b @2"), "b.cdn.test.")
	dark := target(ep("dark"), "dark.cdn.test.")
	origin := ep("origin @2", "192.0.2.50")
	wa, wb := target(ep("cdn-a w:3"), "a.cdn.test."), target(ep("cdn-b w:1"), "b.cdn.test.")
	withFallback := cname(config.PolicyFailover, a, b)
	withFallback.WhenAllDown, withFallback.Fallback = config.AllDownFallback, []netip.Addr{netip.MustParseAddr("192.0.2.99")}
	tests := []struct {
		name   string
		svc    config.Service
		health string
		want   model.Answer // Name and Type are filled in
	}{
		{"flatten answers the target's addresses, TTL cut to the upstream's", flatten(config.PolicyFailover, a, b), "",
			model.Answer{TTL: 12, Mode: model.ModeHealthy, Addrs: addrList("203.0.113.1", "203.0.113.2")}},
		{"flatten fails over to the next target, with its TTL", flatten(config.PolicyFailover, a, b), "cdn-a=down",
			model.Answer{TTL: 30, Mode: model.ModeHealthy, Addrs: addrList("198.51.100.9")}},
		{"an unresolved target is passed over though judged up", flatten(config.PolicyFailover, dark, origin), "dark=up",
			model.Answer{TTL: 30, Mode: model.ModeHealthy, Addrs: addrList("192.0.2.50")}},
		{"nothing resolved: unresolved, never an empty answer", flatten(config.PolicyFailover, dark), "",
			model.Answer{TTL: 30, Mode: model.ModeUnresolved}},
		{"mixed weighted pools", flatten(config.PolicyWeighted, wa, origin), "",
			model.Answer{TTL: 12, Mode: model.ModeHealthy, Pools: []model.WeightedPool{
				{Endpoint: "cdn-a", Weight: 3, Addrs: addrList("203.0.113.1", "203.0.113.2")},
				{Endpoint: "origin", Weight: 1, Addrs: addrList("192.0.2.50")}}}},
		{"cname names the chosen target", cname(config.PolicyFailover, a, b), "",
			model.Answer{TTL: 30, Mode: model.ModeHealthy, Target: "a.cdn.test."}},
		{"cname fails over", cname(config.PolicyFailover, a, b), "cdn-a=down",
			model.Answer{TTL: 30, Mode: model.ModeHealthy, Target: "b.cdn.test."}},
		{"cname keeps a target whose name does not resolve here", cname(config.PolicyFailover, dark, b), "",
			model.Answer{TTL: 30, Mode: model.ModeHealthy, Target: "dark.cdn.test."}},
		{"weighted cname pools", cname(config.PolicyWeighted, wa, wb), "",
			model.Answer{TTL: 30, Mode: model.ModeHealthy, Pools: []model.WeightedPool{
				{Endpoint: "cdn-a", Weight: 3, Target: "a.cdn.test."}, {Endpoint: "cdn-b", Weight: 1, Target: "b.cdn.test."}}}},
		{"cname all down serves the preferred target", cname(config.PolicyFailover, a, b), "cdn-a=down cdn-b=down",
			model.Answer{TTL: 30, Mode: model.ModeServeAll, Target: "a.cdn.test."}},
		{"cname all down with fallback answers addresses", withFallback, "cdn-a=down cdn-b=down",
			model.Answer{TTL: 30, Mode: model.ModeFallback, Addrs: addrList("192.0.2.99")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Answer(&tt.svc, health(tt.health), upstream)
			tt.want.Name, tt.want.Type = tt.svc.Name, tt.svc.Type
			if !answersEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func addrList(ss ...string) []netip.Addr {
	out := make([]netip.Addr, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParseAddr(s)
	}
	return out
}

func answersEqual(a, b model.Answer) bool {
	return a.Name == b.Name && a.Type == b.Type && a.TTL == b.TTL && a.Mode == b.Mode && a.Target == b.Target &&
		slices.Equal(a.Addrs, b.Addrs) && slices.EqualFunc(a.Pools, b.Pools, func(p, q model.WeightedPool) bool {
		return p.Endpoint == q.Endpoint && p.Weight == q.Weight && p.Target == q.Target && slices.Equal(p.Addrs, q.Addrs)
	})
}
