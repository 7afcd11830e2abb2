package audit

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"outlast/internal/config"
	"outlast/internal/model"
)

// The shapes below are built with a few helpers so each case reads as the
// deployment it is: nodes, nameservers, services and their endpoints.

func loc(s string) model.Location {
	l, err := model.ParseLocation(s)
	if err != nil {
		panic(err)
	}
	return l
}

// nodes places one voting node per location, named n1, n2, ...
func nodes(locs ...string) []Node {
	out := make([]Node, len(locs))
	for i, l := range locs {
		out[i] = Node{Name: fmt.Sprintf("n%d", i+1), Voter: true, Field: fmt.Sprintf("cluster.peers[%d]", i)}
		if l != "" {
			out[i].Location = loc(l)
		}
	}
	return out
}

// zone is example.com. with one nameserver per location, ns1, ns2, ...
func zone(locs ...string) config.Zone {
	z := config.Zone{Apex: "example.com."}
	for i, l := range locs {
		ns := config.NameServer{Name: fmt.Sprintf("ns%d.example.com.", i+1), Addresses: []netip.Addr{netip.AddrFrom4([4]byte{192, 0, 2, byte(i + 1)})}}
		if l != "" {
			ns.Location = loc(l)
		}
		z.NS = append(z.NS, ns)
	}
	return z
}

// ep is an endpoint "name@provider/region", priority and weight given.
func ep(spec string, priority int, weight uint32) config.Endpoint {
	name, where, _ := strings.Cut(spec, "@")
	w := weight
	addr := netip.AddrFrom4([4]byte{198, 51, 100, byte(len(name)*7 + priority)})
	return config.Endpoint{Name: name, Location: loc(where), Addresses: []netip.Addr{addr}, ProbeAddress: addr, Priority: priority, Weight: &w}
}

// service is api.example.com. with the project's defaults and a generous rto.
func service(policy config.Policy, eps ...config.Endpoint) config.Service {
	return config.Service{Name: "api.example.com.", Type: model.TypeA, TTL: 30 * time.Second, Policy: policy, MaxAnswers: 8,
		WhenAllDown: config.AllDownServeAll, RTO: 5 * time.Minute,
		Check:     config.Check{Type: config.CheckHTTP, Port: 80, Interval: time.Second, Timeout: time.Second, Fall: 3, Rise: 2},
		Endpoints: eps}
}

func failover(eps ...config.Endpoint) config.Service { return service(config.PolicyFailover, eps...) }

// brief renders a finding as "severity check scope domain subject", the
// shape the tables compare exactly.
func brief(f Finding) string {
	return strings.Join(strings.Fields(fmt.Sprintf("%s %s %s %s %s", f.Severity, f.Check, f.Scope, f.Domain, f.Subject)), " ")
}

var wellSpread = []string{"aws/us-east-1", "gcp/us-central1", "azure/eastus"}

// spreadPairs are the N-2 findings of a service with one endpoint in gcp
// and one in azure, watched by wellSpread nodes: two providers lost leave
// one node, without quorum.
var spreadPairs = []string{
	"info service-down N-2 azure + gcp api.example.com.",
	"info failover-stuck N-2 aws + azure api.example.com.",
	"info failover-stuck N-2 aws + gcp api.example.com.",
	"info quorum-lost N-2 aws + azure outlast",
	"info quorum-lost N-2 aws + gcp outlast",
	"info quorum-lost N-2 azure + gcp outlast",
}

// shape is one deployment and the exact findings it must give.
type shape struct {
	name string
	d    Deployment
	want []string
}

func checkShapes(t *testing.T, cases []shape) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := briefs(Run(tc.d).Findings)
			if !slices.Equal(got, tc.want) {
				t.Errorf("findings differ\n got:\n\t%s\nwant:\n\t%s", strings.Join(got, "\n\t"), strings.Join(tc.want, "\n\t"))
			}
		})
	}
}

func TestShapes(t *testing.T) {
	checkShapes(t, []shape{
		{
			name: "one region, one node",
			d: Deployment{Nodes: nodes("aws/us-east-1"), Zones: []config.Zone{zone("aws/us-east-1")},
				Services: []config.Service{failover(ep("a@aws/us-east-1", 1, 1), ep("b@aws/us-east-1", 1, 1))}},
			want: []string{
				"critical service-down N-1 aws api.example.com.",
				"critical quorum-lost N-1 aws outlast",
				"critical nameservers N-1 aws example.com.",
				"warning vantage-points a",
				"warning vantage-points b",
			},
		},
		{
			name: "two regions of one provider",
			d: Deployment{Nodes: nodes("aws/us-east-1", "aws/us-west-2", "aws/eu-west-1"),
				Zones:    []config.Zone{zone("aws/us-east-1", "aws/us-west-2")},
				Services: []config.Service{failover(ep("primary@aws/us-east-1", 1, 1), ep("secondary@aws/us-west-2", 2, 1))}},
			want: []string{
				"critical service-down N-1 aws api.example.com.",
				"critical quorum-lost N-1 aws outlast",
				"critical nameservers N-1 aws example.com.",
				"info service-down N-2 aws/us-east-1 + aws/us-west-2 api.example.com.",
				"info failover-stuck N-2 aws/eu-west-1 + aws/us-east-1 api.example.com.",
				"info quorum-lost N-2 aws/eu-west-1 + aws/us-east-1 outlast",
				"info quorum-lost N-2 aws/eu-west-1 + aws/us-west-2 outlast",
				"info quorum-lost N-2 aws/us-east-1 + aws/us-west-2 outlast",
				"info nameservers N-2 aws/us-east-1 + aws/us-west-2 example.com.",
				"info primary-lost N-1 aws/us-east-1 api.example.com.",
			},
		},
		{
			name: "three providers, well spread",
			d: Deployment{Nodes: nodes(wellSpread...), Zones: []config.Zone{zone(wellSpread...)},
				Services: []config.Service{failover(ep("a@aws/us-east-1", 1, 1), ep("b@gcp/us-central1", 2, 1), ep("c@azure/eastus", 2, 1))}},
			want: []string{
				// Losing two of three providers leaves one node: no quorum, so the
				// primary, if it was among them, stays in the answers.
				"info failover-stuck N-2 aws + azure api.example.com.",
				"info failover-stuck N-2 aws + gcp api.example.com.",
				"info quorum-lost N-2 aws + azure outlast",
				"info quorum-lost N-2 aws + gcp outlast",
				"info quorum-lost N-2 azure + gcp outlast",
				"info primary-lost N-1 aws api.example.com.",
			},
		},
		{
			name: "quorum trap: three nodes, two in one provider",
			d: Deployment{Nodes: nodes("aws/us-east-1", "aws/us-west-2", "gcp/us-central1"),
				Zones:    []config.Zone{zone("aws/us-east-1", "aws/us-west-2", "gcp/us-central1")},
				Services: []config.Service{failover(ep("primary@aws/us-east-1", 1, 1), ep("secondary@gcp/us-central1", 2, 1))}},
			want: []string{
				"critical failover-stuck N-1 aws api.example.com.",
				"critical quorum-lost N-1 aws outlast",
				"info service-down N-2 aws + gcp api.example.com.",
				"info service-down N-2 aws/us-east-1 + gcp api.example.com.",
				"info quorum-lost N-2 aws/us-east-1 + gcp outlast",
				"info quorum-lost N-2 aws/us-west-2 + gcp outlast",
				"info nameservers N-2 aws + gcp example.com.",
				"info primary-lost N-1 aws/us-east-1 api.example.com.",
			},
		},
		{
			name: "five nodes in three providers, two in each of two",
			d: Deployment{Nodes: nodes("aws/us-east-1", "aws/us-east-1", "gcp/us-central1", "gcp/us-central1", "azure/eastus"),
				Zones: []config.Zone{zone(wellSpread...)},
				Services: []config.Service{service(config.PolicyWeighted,
					ep("a@aws/us-east-1", 1, 1), ep("b@gcp/us-central1", 1, 1), ep("c@azure/eastus", 1, 1))}},
			want: []string{
				"info failover-stuck N-2 aws + azure api.example.com.",
				"info failover-stuck N-2 aws + gcp api.example.com.",
				"info failover-stuck N-2 azure + gcp api.example.com.",
				"info quorum-lost N-2 aws + azure outlast",
				"info quorum-lost N-2 aws + gcp outlast",
				"info quorum-lost N-2 azure + gcp outlast",
			},
		},
		{
			name: "all nameservers in one provider, two regions",
			d: Deployment{Nodes: nodes(wellSpread...), Zones: []config.Zone{zone("aws/us-east-1", "aws/us-west-2")},
				Services: []config.Service{failover(ep("a@gcp/us-central1", 1, 1), ep("b@azure/eastus", 1, 1))}},
			want: []string{
				"critical nameservers N-1 aws example.com.",
				"info service-down N-2 azure + gcp api.example.com.",
				"info failover-stuck N-2 aws/us-east-1 + azure api.example.com.",
				"info failover-stuck N-2 aws/us-east-1 + gcp api.example.com.",
				"info quorum-lost N-2 aws + azure outlast",
				"info quorum-lost N-2 aws + gcp outlast",
				"info quorum-lost N-2 azure + gcp outlast",
				"info quorum-lost N-2 aws/us-east-1 + azure outlast",
				"info quorum-lost N-2 aws/us-east-1 + gcp outlast",
			},
		},
		{
			name: "single node: no outside vantage point, its own basket",
			d: Deployment{Nodes: []Node{{Name: "solo", Location: loc("aws/us-east-1"), Voter: true, Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.1")}}},
				Zones:    []config.Zone{zone("")}, // ns1's glue 192.0.2.1 is the node's address
				Services: []config.Service{failover(ep("primary@aws/us-east-1", 1, 1), ep("secondary@gcp/us-central1", 2, 1))}},
			want: []string{
				// Its zone goes dark with aws: the nameservers finding says so
				// once, rather than once per service.
				"critical quorum-lost N-1 aws outlast",
				"critical nameservers N-1 aws example.com.",
				"warning vantage-points primary",
				"warning vantage-points secondary",
			},
		},
		{
			name: "rto broken by the TTL alone",
			d: Deployment{Nodes: nodes(wellSpread...), Zones: []config.Zone{zone(wellSpread...)},
				Services: []config.Service{withTiming(failover(ep("a@gcp/us-central1", 1, 1), ep("b@azure/eastus", 1, 1)), 60*time.Second, 30*time.Second)}},
			want: append([]string{"critical rto api.example.com."}, spreadPairs...),
		},
		{
			name: "no rto set",
			d: Deployment{Nodes: nodes(wellSpread...), Zones: []config.Zone{zone(wellSpread...)},
				Services: []config.Service{withTiming(failover(ep("a@gcp/us-central1", 1, 1), ep("b@azure/eastus", 1, 1)), 30*time.Second, 0)}},
			want: append(slices.Clone(spreadPairs), "info rto api.example.com."),
		},
		{
			name: "weighted: one provider holds three quarters of the weight",
			d: Deployment{Nodes: nodes(wellSpread...), Zones: []config.Zone{zone(wellSpread...)},
				Services: []config.Service{service(config.PolicyWeighted, ep("big@aws/us-east-1", 1, 3), ep("small@gcp/us-central1", 1, 1))}},
			want: []string{
				"warning capacity-lost N-1 aws api.example.com.",
				"info service-down N-2 aws + gcp api.example.com.",
				"info failover-stuck N-2 aws + azure api.example.com.",
				"info failover-stuck N-2 azure + gcp api.example.com.",
				"info quorum-lost N-2 aws + azure outlast",
				"info quorum-lost N-2 aws + gcp outlast",
				"info quorum-lost N-2 azure + gcp outlast",
			},
		},
		{
			name: "a drained endpoint does not count",
			d: Deployment{Nodes: nodes(wellSpread...), Zones: []config.Zone{zone(wellSpread...)},
				Services: []config.Service{failover(ep("a@aws/us-east-1", 1, 1), drained(ep("b@gcp/us-central1", 1, 1)))}},
			want: []string{
				"critical service-down N-1 aws api.example.com.",
				"info quorum-lost N-2 aws + azure outlast",
				"info quorum-lost N-2 aws + gcp outlast",
				"info quorum-lost N-2 azure + gcp outlast",
			},
		},
		{
			name: "a peer and a nameserver nobody placed",
			d: Deployment{Nodes: nodes("aws/us-east-1", "gcp/us-central1", ""), Zones: []config.Zone{zone("aws/us-east-1", "")},
				Services: []config.Service{failover(ep("a@aws/us-east-1", 1, 1), ep("b@gcp/us-central1", 2, 1))}},
			want: []string{
				"warning nameservers N-1 aws example.com.",
				"warning location-unknown ns2.example.com.",
				"warning location-unknown n3",
				"warning vantage-points a", // n3 could be anywhere, so only gcp counts
				"warning vantage-points b",
				"info service-down N-2 aws + gcp api.example.com.",
				"info quorum-lost N-2 aws + gcp outlast",
				"info primary-lost N-1 aws api.example.com.",
			},
		},
	})
}

func briefs(fs []Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = brief(f)
	}
	return out
}

func withTiming(s config.Service, ttl, rto time.Duration) config.Service {
	s.TTL, s.RTO = ttl, rto
	return s
}

func drained(e config.Endpoint) config.Endpoint {
	e.Drained = true
	return e
}
