package steer

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"outlast/internal/config"
	"outlast/internal/model"
)

// ep builds an endpoint as config.Load would leave it: "use1 @2 w:3" is
// endpoint use1 with priority 2 and weight 3 (defaults 1 and 1).
func ep(spec string, addrs ...string) config.Endpoint {
	e := config.Endpoint{Priority: 1}
	w := uint32(1)
	e.Weight = &w
	for part := range strings.SplitSeq(spec, " ") {
		switch {
		case strings.HasPrefix(part, "@"):
			e.Priority = int(part[1] - '0')
		case strings.HasPrefix(part, "w:"):
			*e.Weight = uint32(part[2] - '0')
		default:
			e.Name = part
		}
	}
	for _, a := range addrs {
		e.Addresses = append(e.Addresses, netip.MustParseAddr(a))
	}
	if len(e.Addresses) > 0 {
		e.ProbeAddress = e.Addresses[0]
	}
	return e
}

func service(policy config.Policy, eps ...config.Endpoint) config.Service {
	return config.Service{
		Name:        "www.example.test.",
		Type:        model.TypeA,
		TTL:         30 * time.Second,
		Policy:      policy,
		MaxAnswers:  8,
		WhenAllDown: config.AllDownServeAll,
		Endpoints:   eps,
	}
}

// three is the usual shape: two regions of priority 1 and a standby of priority 2.
func three(policy config.Policy) config.Service {
	return service(policy,
		ep("use1 w:3", "192.0.2.1", "192.0.2.2"),
		ep("euw1 w:1", "198.51.100.1"),
		ep("standby @2 w:0", "203.0.113.1"),
	)
}

func health(states string) func(string) model.Health {
	m := map[string]model.Health{}
	for kv := range strings.FieldsSeq(states) {
		name, state, _ := strings.Cut(kv, "=")
		m[name] = map[string]model.Health{"up": model.Up, "down": model.Down, "unknown": model.Unknown}[state]
	}
	return FromMap(m)
}

func ips(s ...string) []netip.Addr {
	var out []netip.Addr
	for _, a := range s {
		out = append(out, netip.MustParseAddr(a))
	}
	return out
}

func TestAnswerAddrs(t *testing.T) {
	tests := []struct {
		name   string
		svc    config.Service
		health string
		mode   model.AnswerMode
		want   []netip.Addr
	}{
		{"failover: lowest priority, all of it", three(config.PolicyFailover), "use1=up euw1=up standby=up",
			model.ModeHealthy, ips("192.0.2.1", "192.0.2.2", "198.51.100.1")},
		{"failover: one primary down", three(config.PolicyFailover), "use1=down euw1=up standby=up",
			model.ModeHealthy, ips("198.51.100.1")},
		{"failover: both primaries down, standby takes over", three(config.PolicyFailover), "use1=down euw1=down standby=up",
			model.ModeHealthy, ips("203.0.113.1")},
		{"failover: unknown counts as usable", three(config.PolicyFailover), "",
			model.ModeHealthy, ips("192.0.2.1", "192.0.2.2", "198.51.100.1")},
		{"all: every usable address", three(config.PolicyAll), "use1=up euw1=down standby=unknown",
			model.ModeHealthy, ips("192.0.2.1", "192.0.2.2", "203.0.113.1")},
		{"serve-all when everything is down", three(config.PolicyFailover), "use1=down euw1=down standby=down",
			model.ModeServeAll, ips("192.0.2.1", "192.0.2.2", "198.51.100.1", "203.0.113.1")},
		{"drained endpoint is skipped", drain(three(config.PolicyFailover), "use1"), "use1=up euw1=up",
			model.ModeHealthy, ips("198.51.100.1")},
		{"serve-all leaves drained endpoints out", drain(three(config.PolicyAll), "use1"), "use1=down euw1=down standby=down",
			model.ModeServeAll, ips("198.51.100.1", "203.0.113.1")},
		{"serve-all with everything drained answers every endpoint", drain(three(config.PolicyAll), "use1", "euw1", "standby"), "",
			model.ModeServeAll, ips("192.0.2.1", "192.0.2.2", "198.51.100.1", "203.0.113.1")},
		{"fallback when everything is down", withAllDown(three(config.PolicyFailover), config.AllDownFallback, "192.0.2.99"),
			"use1=down euw1=down standby=down", model.ModeFallback, ips("192.0.2.99")},
		{"fallback unused while anything is up", withAllDown(three(config.PolicyFailover), config.AllDownFallback, "192.0.2.99"),
			"use1=down euw1=down standby=up", model.ModeHealthy, ips("203.0.113.1")},
		{"fail closed: empty", withAllDown(three(config.PolicyFailover), config.AllDownEmpty),
			"use1=down euw1=down standby=down", model.ModeEmpty, nil},
		{"fail closed with everything drained: empty", withAllDown(drain(three(config.PolicyAll), "use1", "euw1", "standby"), config.AllDownEmpty),
			"", model.ModeEmpty, nil},
		{"shared addresses appear once, in config order", service(config.PolicyAll,
			ep("a", "192.0.2.2", "192.0.2.1"), ep("b", "192.0.2.1", "192.0.2.3")), "",
			model.ModeHealthy, ips("192.0.2.2", "192.0.2.1", "192.0.2.3")},
		{"max answers caps the list", withMax(three(config.PolicyAll), 2), "",
			model.ModeHealthy, ips("192.0.2.1", "192.0.2.2")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := Answer(&tt.svc, health(tt.health), nil)
			if a.Mode != tt.mode || !reflect.DeepEqual(a.Addrs, tt.want) || a.Pools != nil {
				t.Errorf("got mode %s addrs %v pools %v, want mode %s addrs %v", a.Mode, a.Addrs, a.Pools, tt.mode, tt.want)
			}
			if a.Name != tt.svc.Name || a.Type != tt.svc.Type || a.TTL != 30 {
				t.Errorf("got name %q type %s ttl %d, want them copied from the service", a.Name, a.Type, a.TTL)
			}
		})
	}
}

func TestAnswerPanicThreshold(t *testing.T) {
	svc := three(config.PolicyFailover)
	everyone := ips("192.0.2.1", "192.0.2.2", "198.51.100.1", "203.0.113.1")
	tests := []struct {
		threshold int
		health    string
		mode      model.AnswerMode
		want      []netip.Addr
	}{
		// Off: losing two of three still steers to the third.
		{0, "use1=down euw1=down standby=up", model.ModeHealthy, ips("203.0.113.1")},
		// 1 of 3 usable is 33%, under 50%: panic, answer every candidate.
		{50, "use1=down euw1=down standby=up", model.ModePanic, everyone},
		// 2 of 3 usable is 66%, not under 50%.
		{50, "use1=down euw1=up standby=up", model.ModeHealthy, ips("198.51.100.1")},
		// 1 of 3 is 33.3%: under 34%, not under 33%.
		{34, "use1=down euw1=down standby=up", model.ModePanic, everyone},
		{33, "use1=down euw1=down standby=up", model.ModeHealthy, ips("203.0.113.1")},
		// Unknown counts as usable, so a starting node does not panic.
		{100, "", model.ModeHealthy, ips("192.0.2.1", "192.0.2.2", "198.51.100.1")},
		// Panic also covers "all down": every candidate, whatever WhenAllDown says.
		{50, "use1=down euw1=down standby=down", model.ModePanic, everyone},
	}
	for _, tt := range tests {
		svc.PanicThreshold = tt.threshold
		a := Answer(&svc, health(tt.health), nil)
		if a.Mode != tt.mode || !reflect.DeepEqual(a.Addrs, tt.want) {
			t.Errorf("threshold %d, %s: got %s %v, want %s %v", tt.threshold, tt.health, a.Mode, a.Addrs, tt.mode, tt.want)
		}
	}
}

func TestAnswerWeighted(t *testing.T) {
	pool := func(name string, w uint32, addrs ...string) model.WeightedPool {
		return model.WeightedPool{Endpoint: name, Weight: w, Addrs: ips(addrs...)}
	}
	tests := []struct {
		name   string
		health string
		want   []model.WeightedPool
	}{
		{"weights as configured, zero weight left out", "",
			[]model.WeightedPool{pool("use1", 3, "192.0.2.1", "192.0.2.2"), pool("euw1", 1, "198.51.100.1")}},
		{"down endpoint left out", "use1=down",
			[]model.WeightedPool{pool("euw1", 1, "198.51.100.1")}},
		{"only zero-weight endpoints left: they share evenly", "use1=down euw1=down",
			[]model.WeightedPool{pool("standby", 1, "203.0.113.1")}},
	}
	for _, tt := range tests {
		svc := three(config.PolicyWeighted)
		a := Answer(&svc, health(tt.health), nil)
		if a.Mode != model.ModeHealthy || a.Addrs != nil || !reflect.DeepEqual(a.Pools, tt.want) {
			t.Errorf("%s: got %s addrs %v pools %v, want pools %v", tt.name, a.Mode, a.Addrs, a.Pools, tt.want)
		}
	}
	svc := three(config.PolicyWeighted)
	if a := Answer(&svc, health("use1=down euw1=down standby=down"), nil); a.Mode != model.ModeServeAll || a.Pools != nil || len(a.Addrs) != 4 {
		t.Errorf("all down: got %s addrs %v pools %v, want serve-all with all 4 addresses", a.Mode, a.Addrs, a.Pools)
	}
}

func TestAnswersKeepsServiceOrder(t *testing.T) {
	a, b := three(config.PolicyFailover), three(config.PolicyAll)
	b.Name = "api.example.test."
	got := Answers([]config.Service{a, b}, health(""), nil)
	if len(got) != 2 || got[0].Name != a.Name || got[1].Name != b.Name {
		t.Fatalf("got %+v, want answers for %s then %s", got, a.Name, b.Name)
	}
}

func TestAnswerSharesNoMemoryWithConfig(t *testing.T) {
	svc := withAllDown(service(config.PolicyAll, ep("a", "192.0.2.1")), config.AllDownFallback, "192.0.2.99")
	for _, h := range []string{"", "a=down"} {
		a := Answer(&svc, health(h), nil)
		a.Addrs[0] = netip.MustParseAddr("0.0.0.0")
	}
	if svc.Endpoints[0].Addresses[0].String() != "192.0.2.1" || svc.Fallback[0].String() != "192.0.2.99" {
		t.Fatalf("writing to an answer changed the configuration: %v %v", svc.Endpoints[0].Addresses, svc.Fallback)
	}
}

func drain(svc config.Service, names ...string) config.Service {
	svc.Endpoints = append([]config.Endpoint(nil), svc.Endpoints...)
	for i := range svc.Endpoints {
		for _, n := range names {
			if svc.Endpoints[i].Name == n {
				svc.Endpoints[i].Drained = true
			}
		}
	}
	return svc
}

func withAllDown(svc config.Service, mode config.AllDown, fallback ...string) config.Service {
	svc.WhenAllDown, svc.Fallback = mode, ips(fallback...)
	return svc
}

func withMax(svc config.Service, max int) config.Service {
	svc.MaxAnswers = max
	return svc
}
