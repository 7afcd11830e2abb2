package audit

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"outlast/internal/config"
)

// ranges is a small published-range table, as ipranges builds from the
// providers' files; the command's tests use the real files.
type ranges []Owner

func (r ranges) Lookup(a netip.Addr) (Owner, bool) {
	best, found := Owner{}, false
	for _, o := range r {
		if o.Prefix.Contains(a) && (!found || o.Prefix.Bits() > best.Prefix.Bits()) {
			best, found = o, true
		}
	}
	return best, found
}

func (r ranges) Publishes(provider string) bool {
	return slices.ContainsFunc(r, func(o Owner) bool { return o.Provider == provider })
}

var published = ranges{
	{Provider: "aws", Region: "us-east-1", Prefix: netip.MustParsePrefix("203.0.113.0/25")},
	{Provider: "gcp", Region: "us-central1", Prefix: netip.MustParsePrefix("203.0.113.128/25")},
	{Provider: "cloudflare", Prefix: netip.MustParsePrefix("198.18.0.0/15")},
}

func at(e config.Endpoint, addr string) config.Endpoint {
	e.Addresses = []netip.Addr{netip.MustParseAddr(addr)}
	e.ProbeAddress = e.Addresses[0]
	return e
}

func TestShapesWithOwners(t *testing.T) {
	checkShapes(t, []shape{
		{
			name: "declared locations against the owners of the addresses",
			d: Deployment{Nodes: nodes(wellSpread...), Zones: []config.Zone{spreadGlue()}, Owners: published,
				Services: []config.Service{service(config.PolicyAll,
					at(ep("right@aws/us-east-1", 1, 1), "203.0.113.10"),
					at(ep("elsewhere@aws/us-east-1", 1, 1), "203.0.113.200"), // gcp's
					at(ep("region@aws/us-west-2", 1, 1), "203.0.113.11"),     // aws, but us-east-1
					at(ep("unlisted@aws/us-east-1", 1, 1), "192.0.2.99"),     // in none of aws's ranges
					at(ep("private@aws/us-east-1", 1, 1), "10.1.2.3"),        // nobody publishes it
					at(ep("own@hetzner/fsn1", 1, 1), "192.0.2.98"),           // whose ranges were not given
				)}},
			want: []string{
				"critical location-mismatch elsewhere",
				"warning location-mismatch region",
				"warning location-mismatch unlisted",
				"warning capacity-lost N-1 aws api.example.com.",
				"warning capacity-lost N-1 aws/us-east-1 api.example.com.", // 4 of the 6 endpoints claim it
				"info service-down N-2 aws + hetzner api.example.com.",
				"info failover-stuck N-2 aws + azure api.example.com.",
				"info failover-stuck N-2 aws + gcp api.example.com.",
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
			name: "nameservers placed by the owners of their glue",
			d: Deployment{Nodes: nodes(wellSpread...), Owners: published,
				Zones:    []config.Zone{glue(zone("", ""), "203.0.113.1", "203.0.113.2")},
				Services: []config.Service{failover(at(ep("a@gcp/us-central1", 1, 1), "203.0.113.130"), ep("b@azure/eastus", 1, 1))}},
			want: []string{
				"critical nameservers N-1 aws example.com.",
				// With aws gone the zone is dark, so no pair with aws adds a failover-stuck.
				"info service-down N-2 azure + gcp api.example.com.",
				"info quorum-lost N-2 aws + azure outlast",
				"info quorum-lost N-2 aws + gcp outlast",
				"info quorum-lost N-2 azure + gcp outlast",
			},
		},
		{
			name: "live delegation differs and is all in one provider",
			d: Deployment{Nodes: nodes(wellSpread...), Zones: []config.Zone{spreadGlue()}, Owners: published,
				LiveNS: map[string]LiveDelegation{"example.com.": {NS: []config.NameServer{
					{Name: "a.cdn-dns.net.", Addresses: []netip.Addr{netip.MustParseAddr("198.18.0.1")}},
					{Name: "b.cdn-dns.net.", Addresses: []netip.Addr{netip.MustParseAddr("198.19.0.1")}},
				}}},
				Services: []config.Service{failover(at(ep("a@gcp/us-central1", 1, 1), "203.0.113.130"), ep("b@azure/eastus", 1, 1))}},
			want: append([]string{"critical nameservers N-1 cloudflare example.com.", "warning live-delegation example.com."}, spreadPairs...),
		},
		{
			name: "live lookup failed",
			d: Deployment{Nodes: nodes(wellSpread...), Zones: []config.Zone{zone(wellSpread...)},
				LiveNS:   map[string]LiveDelegation{"example.com.": {Err: "SERVFAIL"}},
				Services: []config.Service{failover(ep("a@gcp/us-central1", 1, 1), ep("b@azure/eastus", 1, 1))}},
			want: append([]string{"warning live-delegation example.com."}, spreadPairs...),
		},
	})
}

// spreadGlue is the well-spread zone with glue in its providers' ranges
// (azure publishes none here).
func spreadGlue() config.Zone {
	return glue(zone(wellSpread...), "203.0.113.1", "203.0.113.129", "192.0.2.3")
}

func glue(z config.Zone, addrs ...string) config.Zone {
	for i, a := range addrs {
		z.NS[i].Addresses = []netip.Addr{netip.MustParseAddr(a)}
	}
	return z
}

func TestRTOAdvice(t *testing.T) {
	s := withTiming(failover(ep("a@gcp/us-central1", 1, 1)), 60*time.Second, 30*time.Second)
	slow := withTiming(failover(ep("b@gcp/us-central1", 1, 1)), 5*time.Second, 30*time.Second)
	slow.Name, slow.Check.Interval, slow.Check.Timeout = "slow.example.com.", 10*time.Second, 2*time.Second
	d := Deployment{Services: []config.Service{s, slow}}
	fs := d.rtoFindings()
	if len(fs) != 2 {
		t.Fatalf("want 2 rto findings, got %d: %v", len(fs), briefs(fs))
	}
	want := []struct{ summary, why, fix string }{
		{"api.example.com. may fail for up to 1m4s after an endpoint dies (ttl 1m0s + interval 1s × fall 3 + timeout 1s), over its rto of 30s",
			"The TTL alone (1m0s) is as long as the rto", "Lower services[0].ttl to at most 26s"},
		{"slow.example.com. may fail for up to 37s", "outlast needs interval × fall + timeout",
			"Shorten services[1].check: interval × fall + timeout is 32s, the whole rto"},
	}
	for i, w := range want {
		f := fs[i]
		if !strings.HasPrefix(f.Summary, w.summary) || !strings.HasPrefix(f.Why, w.why) || !strings.HasPrefix(f.Fix, w.fix) {
			t.Errorf("finding %d:\n got %q\n     %q\n     %q\nwant prefixes %q, %q, %q", i, f.Summary, f.Why, f.Fix, w.summary, w.why, w.fix)
		}
	}
}

// TestTrapMatrix checks the row a reader of the quorum trap looks at first.
func TestTrapMatrix(t *testing.T) {
	r := Run(Deployment{Nodes: nodes("aws/us-east-1", "aws/us-west-2", "gcp/us-central1"),
		Zones:    []config.Zone{zone("aws/us-east-1", "aws/us-west-2", "gcp/us-central1")},
		Services: []config.Service{failover(ep("primary@aws/us-east-1", 1, 1), ep("secondary@gcp/us-central1", 2, 1))}})
	var names []string
	for _, row := range r.Domains {
		names = append(names, string(row.Scope)+" "+row.Domain)
	}
	wantRows := []string{"N-1 aws", "N-1 gcp", "N-1 aws/us-east-1", "N-1 aws/us-west-2",
		"N-2 aws + gcp", "N-2 aws/us-east-1 + gcp", "N-2 aws/us-west-2 + gcp"}
	if !slices.Equal(names, wantRows) {
		t.Fatalf("rows:\n got %q\nwant %q", names, wantRows)
	}
	aws := r.Domains[0]
	cell := aws.Services[0]
	if aws.Quorum || aws.Decides || aws.Nameservers != 1 || aws.NameserversTotal != 3 ||
		cell.Impact != ImpactStuck || cell.LostPct != 50 ||
		cell.Note != "keeps answering primary: no Raft quorum (1 of 3 voters left)" {
		t.Errorf("aws row: %+v", aws)
	}
	if east := r.Domains[2]; !east.Quorum || !east.Decides || east.Services[0].Impact != ImpactFailover ||
		east.Services[0].Note != "fails over to secondary (gcp/us-central1)" {
		t.Errorf("aws/us-east-1 row: %+v", east)
	}
	if r.Worst() != Critical || r.Count(Critical) != 2 {
		t.Errorf("worst %s with %d critical, want critical with 2", r.Worst(), r.Count(Critical))
	}
	if got := r.Findings[1].Summary; got != "losing aws takes outlast node(s) n1, n2 with it and leaves 1 of 3 voters: the cluster has no Raft quorum" {
		t.Errorf("quorum finding says %q", got)
	}
}
