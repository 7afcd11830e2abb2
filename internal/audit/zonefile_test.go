package audit

import (
	"slices"
	"strings"
	"testing"

	"outlast/internal/audit/audittest"
)

// nodeConfig is a three-node configuration, one node per provider, whose
// zone takes its records (and so its nameservers) from example.com.zone.
const nodeConfig = `
node: {name: aws-1, location: aws/us-east-1}
dns: {listen: 0.0.0.0:53}
http: {listen: 0.0.0.0:8443}
cluster:
  listen: 0.0.0.0:7946
  advertise: 198.51.100.10:7946
  data_dir: /var/lib/outlast
  peers:
    - {name: aws-1, address: "198.51.100.10:7946", location: aws/us-east-1}
    - {name: gcp-1, address: "198.51.100.20:7946", location: gcp/us-central1}
    - {name: azure-1, address: "198.51.100.30:7946", location: azure/eastus}
  tls: {ca_file: /etc/outlast/ca.pem, cert_file: /etc/outlast/aws-1.pem, key_file: /etc/outlast/aws-1-key.pem}
zones:
  - apex: example.com
    file: example.com.zone
services:
  - name: api.example.com
    ttl: 30s
    rto: 2m
    check: {type: https}
    endpoints:
      - {name: api-aws, location: aws/us-east-1, addresses: [203.0.113.10], priority: 1}
      - {name: api-gcp, location: gcp/us-central1, addresses: [203.0.113.130], priority: 1}
`

// TestZoneFileNameservers: a zone whose nameservers all sit in one provider
// is flagged when they come from its file's apex NS records, as when they
// are listed in ns: placed by glue owned by one provider, or, without glue,
// by the addresses their names resolved to.
func TestZoneFileNameservers(t *testing.T) {
	const soa = "$ORIGIN example.com.\n$TTL 3600\n@ IN SOA ns1 hostmaster 1 3600 600 604800 5\nwww IN A 203.0.113.11\n"
	cases := []struct {
		name     string
		file     string
		resolved map[string]Resolution
		want     []string // the nameservers and location-unknown findings
		fix      string   // in the nameservers finding's fix
	}{
		{
			name: "glue in one provider's ranges",
			file: soa + "@ IN NS ns1\n@ IN NS ns2\nns1 IN A 203.0.113.1\nns2 IN A 203.0.113.2\n",
			want: []string{"critical nameservers N-1 aws example.com."},
			fix:  "in the apex NS records of zones[0].file (example.com.zone)",
		},
		{
			name: "glue in two providers' ranges",
			file: soa + "@ IN NS ns1\n@ IN NS ns2\nns1 IN A 203.0.113.1\nns2 IN A 203.0.113.129\n",
			want: []string{"info nameservers N-2 aws + gcp example.com."},
		},
		{
			name: "glue on the outlast nodes of one provider",
			file: soa + "@ IN NS ns1\n@ IN NS ns2\nns1 IN A 198.51.100.10\nns2 IN AAAA 2001:db8::1\n",
			want: []string{"warning nameservers N-1 aws example.com.", "warning location-unknown ns2.example.com."},
		},
		{
			name: "out of the zone, resolved into one provider",
			file: soa + "@ IN NS ns-1.awsdns-01.net.\n@ IN NS ns-2.awsdns-02.org.\n",
			resolved: map[string]Resolution{
				"ns-1.awsdns-01.net.": {Addrs: addrs("203.0.113.51")},
				"ns-2.awsdns-02.org.": {Addrs: addrs("203.0.113.52", "2001:db8::52")},
			},
			want: []string{"critical nameservers N-1 aws example.com."},
		},
		{
			name: "out of the zone, not resolved",
			file: soa + "@ IN NS ns-1.awsdns-01.net.\n@ IN NS ns-2.awsdns-02.org.\n",
			want: []string{"warning location-unknown ns-1.awsdns-01.net.", "warning location-unknown ns-2.awsdns-02.org."},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := audittest.LoadNode(t, nodeConfig, map[string]string{"example.com.zone": tc.file})
			d := FromConfig("outlast.yaml", cfg)
			d.Owners, d.Resolved = published, tc.resolved
			r := Run(d)
			got := only(r.Findings, CheckNameservers, CheckLocationUnknown)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("zone ns %v: findings %q, want %q", cfg.Zones[0].NS, got, tc.want)
			}
			for _, f := range r.Findings {
				if f.Check == CheckNameservers && tc.fix != "" && !strings.Contains(f.Fix, tc.fix) {
					t.Errorf("the fix %q does not say %q", f.Fix, tc.fix)
				}
			}
		})
	}
}
