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

// poolWeights reads a weighted answer as "endpoint:weight".
func poolWeights(a model.Answer) []string {
	var out []string
	for _, p := range a.Pools {
		out = append(out, fmt.Sprintf("%s:%03d", p.Endpoint, p.Weight))
	}
	return out
}

// TestReturnRamp: an endpoint back from down gets a share growing from 10%
// to all over return_ramp; a failover name gives the rest to the endpoints
// it answered meanwhile, then answers as before.
func TestReturnRamp(t *testing.T) {
	t0 := time.Date(2021, 12, 7, 15, 30, 0, 0, time.UTC)
	back := func(name string) func(string) time.Time {
		return func(ep string) time.Time {
			if ep == name {
				return t0
			}
			return time.Time{}
		}
	}
	failover := three(config.PolicyFailover)
	failover.ReturnRamp = time.Minute
	weighted := service(config.PolicyWeighted, ep("use1 w:1", "192.0.2.1"), ep("euw1 w:1", "198.51.100.1"))
	weighted.ReturnRamp = time.Minute
	off := three(config.PolicyFailover)
	for _, c := range []struct {
		name  string
		svc   config.Service
		ret   Returns
		pools []string
		addrs []netip.Addr
	}{
		{"failover at the return", failover, Returns{Now: t0, At: back("use1")}, []string{"use1:010", "euw1:100", "standby:090"}, nil},
		{"failover half way", failover, Returns{Now: t0.Add(30 * time.Second), At: back("use1")}, []string{"use1:050", "euw1:100", "standby:050"}, nil},
		{"failover done", failover, Returns{Now: t0.Add(time.Minute), At: back("use1")}, nil, ips("192.0.2.1", "192.0.2.2", "198.51.100.1")},
		{"failover: a standby's return changes nothing", failover, Returns{Now: t0, At: back("standby")}, nil, ips("192.0.2.1", "192.0.2.2", "198.51.100.1")},
		{"weighted half way", weighted, Returns{Now: t0.Add(30 * time.Second), At: back("euw1")}, []string{"use1:100", "euw1:050"}, nil},
		{"return_ramp off", off, Returns{Now: t0, At: back("use1")}, nil, ips("192.0.2.1", "192.0.2.2", "198.51.100.1")},
	} {
		a := AnswersReturning([]config.Service{c.svc}, health(""), nil, c.ret)[0]
		if got := poolWeights(a); !slices.Equal(got, c.pools) || !slices.Equal(a.Addrs, c.addrs) {
			t.Errorf("%s: pools %v addrs %v, want pools %v addrs %v", c.name, got, a.Addrs, c.pools, c.addrs)
		}
	}
}

// TestReturnRampProperties: while ramping, an answer holds only usable
// endpoints, every pool has a weight, and the returning endpoint's share
// never falls as time passes.
func TestReturnRampProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		svc := genService(t)
		if svc.Policy != config.PolicyFailover && svc.Policy != config.PolicyWeighted {
			svc.Policy = config.PolicyFailover
		}
		svc.Geo = config.ServiceGeo{}
		svc.ReturnRamp = time.Duration(rapid.IntRange(1, 120).Draw(t, "ramp")) * time.Second
		h := genHealth(t, &svc)
		res := genResolution(t, &svc)
		t0 := time.Date(2021, 12, 7, 15, 30, 0, 0, time.UTC)
		returning := svc.Endpoints[rapid.IntRange(0, len(svc.Endpoints)-1).Draw(t, "returning")].Name
		at := func(ep string) time.Time {
			if ep == returning {
				return t0
			}
			return time.Time{}
		}
		last := -1.0
		for s := 0; s <= 130; s += 10 {
			a := AnswersReturning([]config.Service{svc}, FromMap(h), res.resolve, Returns{Now: t0.Add(time.Duration(s) * time.Second), At: at})[0]
			if a.Mode == model.ModeHealthy {
				checkOnlyUsable(t, &a, &svc, h, res)
			}
			var total, mine uint64
			for _, p := range a.Pools {
				if p.Weight == 0 && len(a.Pools) > 1 && svc.Policy == config.PolicyFailover {
					t.Fatalf("a pool without weight while ramping: %v", poolWeights(a))
				}
				total += uint64(p.Weight)
				if p.Endpoint == returning {
					mine += uint64(p.Weight)
				}
			}
			if total == 0 || len(a.Pools) == 0 {
				continue
			}
			share := float64(mine) / float64(total)
			if share+1e-9 < last && svc.Policy == config.PolicyFailover {
				t.Fatalf("at %ds the returning endpoint's share fell from %.3f to %.3f: %v", s, last, share, poolWeights(a))
			}
			last = share
		}
	})
}
