package audit

import (
	"context"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"

	"outlast/internal/config"
)

// host is an endpoint "name@provider/region" named by target hostname.
func host(spec, target string) config.Endpoint {
	e := ep(spec, 1, 1)
	e.Addresses, e.ProbeAddress, e.Target = nil, netip.Addr{}, target
	return e
}

func addrs(list ...string) []netip.Addr {
	out := make([]netip.Addr, len(list))
	for i, a := range list {
		out[i] = netip.MustParseAddr(a)
	}
	return out
}

// only keeps the briefs of the findings of the given checks.
func only(fs []Finding, checks ...Check) []string {
	var out []string
	for _, f := range fs {
		if slices.Contains(checks, f.Check) {
			out = append(out, brief(f))
		}
	}
	return out
}

// TestHostnameEndpoints: an endpoint named by hostname is placed by the
// addresses its target resolved to, exactly as one named by address; when
// the target did not resolve, or was not looked up, the report says so for
// that endpoint, with the reason, and keeps its configured location.
func TestHostnameEndpoints(t *testing.T) {
	alb := host("alb@aws/us-east-1", "alb-1.us-east-1.elb.example.")
	cdn := host("cdn@cloudflare/any", "shop.cdn.example.")
	cases := []struct {
		name     string
		resolved map[string]Resolution
		want     []string
		says     []string // in the summaries and fixes, in order of the findings
	}{
		{
			name: "both resolve where they are declared",
			resolved: map[string]Resolution{
				"alb-1.us-east-1.elb.example.": {Addrs: addrs("203.0.113.10", "203.0.113.11")},
				"shop.cdn.example.":            {Addrs: addrs("198.18.0.1")},
			},
		},
		{
			name: "a target resolves into another provider's range",
			resolved: map[string]Resolution{
				"alb-1.us-east-1.elb.example.": {Addrs: addrs("203.0.113.10", "203.0.113.200")},
				"shop.cdn.example.":            {Addrs: addrs("198.18.0.1")},
			},
			want: []string{"critical location-mismatch alb"},
			says: []string{"endpoint alb (target alb-1.us-east-1.elb.example.) is declared in aws/us-east-1, but 203.0.113.200 belongs to gcp",
				"Set services[0].endpoints[0].location to gcp/us-central1, or correct the target."},
		},
		{
			name: "one target fails, the other is missing from the answers",
			resolved: map[string]Resolution{
				"alb-1.us-east-1.elb.example.": {Err: "127.0.0.1:53: upstream answered SERVFAIL"},
			},
			want: []string{"warning target-unverified alb", "warning target-unverified cdn"},
			says: []string{
				"endpoint alb of api.example.com. is placed at its configured location aws/us-east-1, not verified: target did not resolve " +
					"(alb-1.us-east-1.elb.example.: 127.0.0.1:53: upstream answered SERVFAIL)",
				"--target-resolver",
				"not verified: target did not resolve (shop.cdn.example.: not looked up)",
			},
		},
		{
			name: "no addresses and no error is still unresolved",
			resolved: map[string]Resolution{
				"alb-1.us-east-1.elb.example.": {Addrs: addrs("203.0.113.10")},
				"shop.cdn.example.":            {Err: "no A or AAAA records"},
			},
			want: []string{"warning target-unverified cdn"},
			says: []string{"(shop.cdn.example.: no A or AAAA records)"},
		},
		{
			name: "not looked up at all",
			want: []string{"info target-unverified alb", "info target-unverified cdn"},
			says: []string{"not verified: target was not resolved (alb-1.us-east-1.elb.example.)", "--resolve-targets=false"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := Deployment{Nodes: nodes(wellSpread...), Zones: []config.Zone{spreadGlue()}, Owners: published,
				Services: []config.Service{service(config.PolicyWeighted, alb, cdn)}, Resolved: tc.resolved}
			r := Run(d)
			if got := only(r.Findings, CheckTargetUnverified, CheckLocationMismatch); !slices.Equal(got, tc.want) {
				t.Fatalf("findings %q, want %q", got, tc.want)
			}
			text := findingText(r.Findings)
			for _, s := range tc.says {
				i := strings.Index(text, s)
				if i < 0 {
					t.Fatalf("the findings do not say %q (in this order):\n%s", s, text)
				}
				text = text[i+len(s):]
			}
		})
	}
}

// findingText joins the summaries and fixes of the findings, in order.
func findingText(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.Summary + "\n" + f.Fix + "\n")
	}
	return b.String()
}

// TestResolve: the names looked up are every endpoint target and every
// nameserver without glue, once each, canonical; whatever the lookup
// leaves out or answers empty counts as unresolved.
func TestResolve(t *testing.T) {
	z := zone("aws/us-east-1")
	z.NS = append(z.NS, config.NameServer{Name: "NS-1.AWSDNS-01.COM"}, config.NameServer{Name: "ns-2.awsdns-02.net."})
	d := Deployment{Zones: []config.Zone{z},
		Services: []config.Service{failover(host("a@aws/us-east-1", "a.example."), host("b@gcp/us-central1", "a.example."),
			ep("c@azure/eastus", 1, 1))}}
	want := []string{"a.example.", "ns-1.awsdns-01.com.", "ns-2.awsdns-02.net."}
	if got := d.ToResolve(); !slices.Equal(got, want) {
		t.Fatalf("ToResolve() = %q, want %q", got, want)
	}
	var asked []string
	err := d.Resolve(context.Background(), func(_ context.Context, names []string) map[string]Resolution {
		asked = names
		return map[string]Resolution{
			"a.example.":          {Addrs: addrs("192.0.2.1"), Err: "a stale error beside addresses"},
			"ns-1.awsdns-01.com.": {},
		}
	})
	if err != nil || !slices.Equal(asked, want) {
		t.Fatalf("Resolve asked %q (err %v), want %q", asked, err, want)
	}
	wantRes := map[string]string{"a.example.": "", "ns-1.awsdns-01.com.": "no A or AAAA records", "ns-2.awsdns-02.net.": "the lookup gave no answer for it"}
	for name, wantErr := range wantRes {
		if got := d.Resolved[name]; got.Err != wantErr {
			t.Errorf("Resolved[%s] = %+v, want the error %q", name, got, wantErr)
		}
	}
}

// TestResolveBound: more names than MaxNames are refused before any lookup.
func TestResolveBound(t *testing.T) {
	z := config.Zone{Apex: "example.com."}
	for i := range MaxNames + 1 {
		z.NS = append(z.NS, config.NameServer{Name: "ns" + strconv.Itoa(i) + ".example."})
	}
	d := Deployment{Zones: []config.Zone{z}}
	err := d.Resolve(context.Background(), func(context.Context, []string) map[string]Resolution {
		t.Fatal("looked up more than MaxNames names")
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "more than the limit") {
		t.Fatalf("Resolve of %d names: %v, want a refusal", MaxNames+1, err)
	}
}
