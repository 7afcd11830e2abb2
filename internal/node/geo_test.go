package node

import (
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/maxmind/mmdbwriter"
	"github.com/miekg/dns"

	"outlast/internal/config"
	"outlast/internal/geo/geoip/geoiptest"
	"outlast/internal/wire"
)

// geoConfig steers api.example.test by area: europe (by prefix, and by
// the database's continent EU) prefers the secondary, us-east (by prefix)
// the primary; clients in no area get failover by priority.
func geoConfig(t *testing.T, port int, database string) *config.Config {
	t.Helper()
	text := nodeHeader + fmt.Sprintf(`geoip: {database: %q}
geo:
  areas:
    - {name: europe, prefixes: [10.1.0.0/16], continents: [EU]}
    - {name: us-east, prefixes: [10.2.0.0/16]}
services:
  - name: api.example.test
    ttl: 5s
    policy: geo
    geo:
      areas:
        - {area: europe, order: [gcp/us-central1, aws/us-east-1]}
        - {area: us-east, order: [aws/us-east-1, gcp/us-central1]}
    check: {type: http, port: %d, interval: 1s, timeout: 1s, fall: 2, rise: 3, http: {path: /healthz}}
    endpoints:
      - {name: primary, location: aws/us-east-1, addresses: [%s], priority: 1}
      - {name: secondary, location: gcp/us-central1, addresses: [%s], priority: 2}
`, database, port, primaryAddr, secondaryAddr)
	return loadConfigFile(t, t.TempDir(), text)
}

// askFrom asks the node for api.example.test A as a resolver would for a
// client of subnet (EDNS Client Subnet), and returns the address answered
// and the scope echoed.
func askFrom(t *testing.T, n *Node, subnet string) (string, uint8) {
	t.Helper()
	p := netip.MustParsePrefix(subnet)
	q := new(dns.Msg)
	q.SetQuestion("api.example.test.", dns.TypeA)
	q.SetEdns0(1232, false)
	family := uint16(1)
	if p.Addr().Is6() {
		family = 2
	}
	q.IsEdns0().Option = append(q.IsEdns0().Option, &dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: family,
		SourceNetmask: uint8(p.Bits()), Address: net.IP(p.Addr().AsSlice())})
	r, _, err := (&dns.Client{Timeout: 2 * time.Second}).Exchange(q, n.DNSAddr().String())
	if err != nil || len(r.Answer) != 1 {
		t.Fatalf("api.example.test A for %s: %v %v", subnet, r, err)
	}
	var scope uint8
	for _, o := range r.IsEdns0().Option {
		if e, ok := o.(*dns.EDNS0_SUBNET); ok {
			scope = e.SourceScope
		}
	}
	return r.Answer[0].(*dns.A).A.String(), scope
}

// TestGeoAnswersByArea: a node answers each client area its own first
// choice, by the topology prefixes and, failing those, by the database; a
// client in no area gets failover by priority; when an area's first choice
// fails, that area moves and the other does not.
func TestGeoAnswersByArea(t *testing.T) {
	db := geoiptest.WriteFile(t, t.TempDir(), "geo.mmdb", geoiptest.Build(t, mmdbwriter.Options{IPVersion: 6}, []geoiptest.Network{
		{CIDR: "5.1.0.0/16", Country: "DE", Continent: "EU"},
		{CIDR: "8.8.8.0/24", Country: "US", Continent: "NA"},
	}))
	port := freePort(t)
	primary := startBackend(t, fmt.Sprintf("%s:%d", primaryAddr, port))
	startBackend(t, fmt.Sprintf("%s:%d", secondaryAddr, port))
	n := startNode(t, geoConfig(t, port, db))
	waitForVerdict(t, n, "primary", "up", 10*time.Second)

	for _, c := range []struct {
		subnet, want string
		scope        uint8
	}{
		{"10.1.7.0/24", secondaryAddr, 16}, // europe by prefix
		{"10.2.7.0/24", primaryAddr, 16},   // us-east by prefix
		{"5.1.7.0/24", secondaryAddr, 16},  // europe by the database's continent
		{"8.8.8.0/24", primaryAddr, 24},    // in no area: by priority
	} {
		if got, scope := askFrom(t, n, c.subnet); got != c.want || scope != c.scope {
			t.Errorf("client %s: answered %s with scope /%d, want %s with scope /%d", c.subnet, got, scope, c.want, c.scope)
		}
	}

	perArea := map[string]float64{}
	for _, m := range scrape(t, n)["outlast_dns_area_queries_total"].GetMetric() {
		perArea[m.GetLabel()[0].GetValue()] = m.GetCounter().GetValue()
	}
	if perArea["europe"] != 2 || perArea["us-east"] != 1 || perArea[""] != 1 {
		t.Errorf("outlast_dns_area_queries_total %v, want europe 2, us-east 1 and 1 in no area", perArea)
	}
	// The API says the same, sorted by area; the status page shows it.
	want := []wire.AreaQueries{{Area: "", Queries: 1}, {Area: "europe", Queries: 2}, {Area: "us-east", Queries: 1}}
	if st, err := wire.NewClient(n.HTTPAddr().String(), "").Status(t.Context()); err != nil || !slices.Equal(st.AreaQueries, want) {
		t.Errorf("/api/v1/status area_queries: %v %+v, want %+v", err, st.AreaQueries, want)
	}
	if _, page := get(t, n, "/", "", ""); !strings.Contains(page, `<tr data-area-queries="europe"><th scope="row">europe</th><td>2</td></tr>`) {
		t.Errorf("the status page shows no row of 2 queries from europe:\n%s", page)
	}

	primary.close() // us-east's first choice fails; europe's does not
	deadline := time.Now().Add(10 * time.Second)
	for {
		if got, _ := askFrom(t, n, "10.2.7.0/24"); got == secondaryAddr {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("us-east clients still get the failed primary 10 s after it stopped; want the secondary, next in their order")
		}
		if got, _ := askFrom(t, n, "10.1.7.0/24"); got != secondaryAddr {
			t.Fatalf("europe clients got %s while us-east's region failed; want %s throughout", got, secondaryAddr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestGeoDatabaseMissing: a node whose geoip.database does not load does
// not start: it says which file and why, rather than sort every client
// into no area.
func TestGeoDatabaseMissing(t *testing.T) {
	cfg := geoConfig(t, 8081, filepath.Join(t.TempDir(), "absent.mmdb"))
	_, err := New(cfg, Options{})
	if err == nil || !strings.Contains(err.Error(), "geoip.database") || !strings.Contains(err.Error(), "absent.mmdb") {
		t.Errorf("New with a missing database: %v; want an error naming geoip.database and the file", err)
	}
}
