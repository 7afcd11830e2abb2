package ipranges

import (
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// want is what a lookup should find; a zero want means "not found".
type want struct {
	provider, region, service, prefix string
}

type lookupCase struct {
	addr string
	want want
}

func parseFile(t *testing.T, name, provider string) []Owner {
	t.Helper()
	path := filepath.Join("testdata", name)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	owners, err := Parse(path, data, provider)
	if err != nil {
		t.Fatalf("Parse(%s): %v", path, err)
	}
	return owners
}

func checkLookups(t *testing.T, table *Table, cases []lookupCase) {
	t.Helper()
	for _, c := range cases {
		o, ok := table.Lookup(netip.MustParseAddr(c.addr))
		var got want
		if ok {
			got = want{o.Provider, o.Region, o.Service, o.Prefix.String()}
		}
		if got != c.want {
			t.Errorf("Lookup(%s) = %+v (found %v), want %+v", c.addr, got, ok, c.want)
		}
	}
}

func TestLookupPerFormat(t *testing.T) {
	tests := []struct {
		file     string
		provider string // "" = detect
		owners   int    // entries in the file, before ties are resolved
		prefixes int    // distinct prefixes after
		lookups  []lookupCase
	}{
		{"aws-ip-ranges.json", "", 14, 10, []lookupCase{
			// most specific wins: /29 inside the /15
			{"3.0.5.33", want{"aws", "ap-southeast-1", "EC2_INSTANCE_CONNECT", "3.0.5.32/29"}},
			// equal prefixes: EC2 beats AMAZON, wherever it appears in the file
			{"3.1.2.3", want{"aws", "ap-southeast-1", "EC2", "3.0.0.0/15"}},
			{"52.93.127.5", want{"aws", "eu-west-1", "AMAZON", "52.93.127.0/24"}},
			{"52.93.1.1", want{"aws", "us-east-1", "AMAZON", "52.93.0.0/16"}},
			// GLOBAL is no region; CLOUDFRONT beats AMAZON
			{"13.33.0.1", want{"aws", "", "CLOUDFRONT", "13.32.0.0/15"}},
			// a region beats a better service
			{"205.251.193.1", want{"aws", "us-east-1", "AMAZON", "205.251.192.0/21"}},
			{"2600:1f18::1", want{"aws", "us-east-1", "EC2", "2600:1f18::/33"}},
			{"2600:1f18:4abc::1", want{"aws", "us-east-1", "S3", "2600:1f18:4000::/36"}},
			{"2600:9000:1::1", want{"aws", "", "CLOUDFRONT", "2600:9000::/28"}},
			{"2a05:d07a:a0ff::1", want{"aws", "eu-south-1", "S3", "2a05:d07a:a000::/40"}},
			{"3.2.0.1", want{}},
			{"2a05:d07a:a100::1", want{}},
		}},
		{"gcp-cloud.json", "", 6, 6, []lookupCase{
			{"34.1.210.9", want{"gcp", "africa-south1", "Google Cloud", "34.1.208.0/20"}},
			{"34.81.255.255", want{"gcp", "asia-east1", "Google Cloud", "34.80.0.0/15"}},
			{"34.120.1.1", want{"gcp", "", "Google Cloud", "34.120.0.0/16"}},
			{"2600:1900:400f::1", want{"gcp", "us-central1", "Google Cloud", "2600:1900:4000::/44"}},
			{"2600:1901::5", want{"gcp", "", "Google Cloud", "2600:1901::/48"}},
			{"8.8.8.8", want{}},
		}},
		{"gcp-goog.json", "", 6, 6, []lookupCase{
			{"8.8.8.8", want{"gcp", "", "", "8.8.8.0/24"}},
			{"34.100.0.1", want{"gcp", "", "", "34.64.0.0/10"}},
			{"2001:4860:4860::8888", want{"gcp", "", "", "2001:4860::/32"}},
			{"1.1.1.1", want{}},
		}},
		{"azure-servicetags.json", "", 13, 9, []lookupCase{
			// Storage.EastUS beats AzureCloud.eastus (catch-all) and Storage (no region)
			{"20.38.98.10", want{"azure", "eastus", "Storage", "20.38.98.0/24"}},
			{"20.42.1.1", want{"azure", "eastus", "AzureCloud", "20.42.0.0/17"}},
			{"20.50.1.1", want{"azure", "westeurope", "AzureCloud", "20.50.0.0/18"}},
			// inside AzureCloud's region-less /11 only
			{"20.60.0.1", want{"azure", "", "AzureCloud", "20.32.0.0/11"}},
			// neither has a region: the specific service beats AzureCloud
			{"13.107.246.1", want{"azure", "", "AzureFrontDoor.Frontend", "13.107.246.0/24"}},
			{"2603:1030:211::1", want{"azure", "eastus", "AzureCloud", "2603:1030:210::/47"}},
			{"2603:10ff::1", want{"azure", "", "AzureCloud", "2603:1000::/24"}},
			{"2620:1ec:bdf::1", want{"azure", "", "AzureFrontDoor.Frontend", "2620:1ec:bdf::/48"}},
			{"20.64.0.1", want{}},
		}},
		{"cloudflare-api.json", "", 8, 8, []lookupCase{
			{"104.17.0.1", want{"cloudflare", "", "", "104.16.0.0/13"}},
			{"2606:4700::6810:84e5", want{"cloudflare", "", "", "2606:4700::/32"}},
			{"104.24.0.1", want{}},
		}},
		{"cloudflare-ips-v4.txt", "cloudflare", 5, 5, []lookupCase{
			{"173.245.48.1", want{"cloudflare", "", "", "173.245.48.0/20"}},
			{"2606:4700::1", want{}},
		}},
		{"cloudflare-ips-v6.txt", "cloudflare", 3, 3, []lookupCase{
			{"2a06:98c7:ffff::1", want{"cloudflare", "", "", "2a06:98c0::/29"}},
		}},
		{"fastly-public-ip-list.json", "", 7, 7, []lookupCase{
			{"151.101.1.57", want{"fastly", "", "", "151.101.0.0/16"}},
			{"2a04:4e42:200::313", want{"fastly", "", "", "2a04:4e42::/32"}},
			{"2a04:4e41::1", want{}},
		}},
		{"hetzner.txt", "Hetzner", 5, 5, []lookupCase{
			{"78.47.1.1", want{"hetzner", "", "", "78.46.0.0/15"}},
			{"116.202.1.1", want{"hetzner", "", "", "116.202.1.1/32"}},
			{"116.202.1.2", want{}},
			{"2a01:4f8:c17::1", want{"hetzner", "", "", "2a01:4f8::/29"}},
		}},
		// PROVIDER= overrides a JSON file's provider, keeping its regions
		{"aws-ip-ranges.json", "aws-govcloud", 14, 10, []lookupCase{
			{"52.93.127.5", want{"aws-govcloud", "eu-west-1", "AMAZON", "52.93.127.0/24"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.provider, func(t *testing.T) {
			owners := parseFile(t, tt.file, tt.provider)
			if len(owners) != tt.owners {
				t.Errorf("Parse gave %d owners, want %d", len(owners), tt.owners)
			}
			for _, o := range owners {
				if o.Source != filepath.Join("testdata", tt.file) {
					t.Errorf("owner %+v: Source %q, want the file", o, o.Source)
				}
			}
			table := New(owners)
			if table.Len() != tt.prefixes {
				t.Errorf("Len() = %d, want %d", table.Len(), tt.prefixes)
			}
			checkLookups(t, table, tt.lookups)
		})
	}
}

func TestTieRulesHoldInAnyOrder(t *testing.T) {
	owners := parseFile(t, "azure-servicetags.json", "")
	forward := New(owners)
	reversed := slices.Clone(owners)
	slices.Reverse(reversed)
	backward := New(reversed)
	for _, a := range []string{"20.38.98.10", "13.107.246.1", "20.42.1.1"} {
		f, _ := forward.Lookup(netip.MustParseAddr(a))
		b, _ := backward.Lookup(netip.MustParseAddr(a))
		if f != b {
			t.Errorf("Lookup(%s) depends on order: %+v forward, %+v backward", a, f, b)
		}
	}
}
