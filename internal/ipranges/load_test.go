package ipranges

import (
	"errors"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"outlast/internal/errtest"
)

func TestLoadManyFiles(t *testing.T) {
	table, err := Load(
		"testdata/aws-ip-ranges.json",
		"testdata/gcp-goog.json", // before cloud.json: its region-less claims must still lose
		"testdata/gcp-cloud.json",
		"testdata/azure-servicetags.json",
		"cloudflare=testdata/cloudflare-ips-v4.txt",
		"CloudFlare=testdata/cloudflare-ips-v6.txt",
		"testdata/fastly-public-ip-list.json",
		"hetzner=testdata/hetzner.txt",
	)
	if err != nil {
		t.Fatal(err)
	}
	wantProviders := []string{"aws", "azure", "cloudflare", "fastly", "gcp", "hetzner"}
	if got := table.Providers(); !slices.Equal(got, wantProviders) {
		t.Errorf("Providers() = %v, want %v", got, wantProviders)
	}
	for _, p := range wantProviders {
		if !table.Publishes(p) {
			t.Errorf("Publishes(%q) = false, want true", p)
		}
	}
	if table.Publishes("oracle") || table.Publishes("") {
		t.Error("Publishes is true for a provider no file was loaded for")
	}
	// 10 aws + 11 google (8.34.208.0/20 in both files) + 9 azure + 8 cloudflare + 7 fastly + 5 hetzner
	if table.Len() != 50 {
		t.Errorf("Len() = %d, want 50", table.Len())
	}
	checkLookups(t, table, []lookupCase{
		// cloud.json's /15 is more specific than goog.json's /10
		{"34.80.0.5", want{"gcp", "asia-east1", "Google Cloud", "34.80.0.0/15"}},
		{"34.64.0.5", want{"gcp", "", "", "34.64.0.0/10"}},
		// the same prefix in both: the one with a region wins although loaded later
		{"8.34.208.1", want{"gcp", "us-west1", "Google Cloud", "8.34.208.0/20"}},
		{"2600:1900:4000::1", want{"gcp", "us-central1", "Google Cloud", "2600:1900:4000::/44"}},
		{"2600:1900:8000::1", want{"gcp", "", "", "2600:1900::/28"}},
		{"2400:cb00::1", want{"cloudflare", "", "", "2400:cb00::/32"}},
		{"5.9.10.10", want{"hetzner", "", "", "5.9.0.0/16"}},
		{"192.0.2.1", want{}},
		{"2001:db8::1", want{}},
	})
	o, _ := table.Lookup(netip.MustParseAddr("8.34.208.1"))
	if o.Source != "testdata/gcp-cloud.json" {
		t.Errorf("Source = %q, want testdata/gcp-cloud.json", o.Source)
	}
}

func TestLookupUnmapsAndIgnoresZones(t *testing.T) {
	table, err := Load("testdata/aws-ip-ranges.json")
	if err != nil {
		t.Fatal(err)
	}
	checkLookups(t, table, []lookupCase{
		{"::ffff:52.93.127.5", want{"aws", "eu-west-1", "AMAZON", "52.93.127.0/24"}},
		{"::ffff:3.0.5.33", want{"aws", "ap-southeast-1", "EC2_INSTANCE_CONNECT", "3.0.5.32/29"}},
		{"2600:1f18::1%eth0", want{"aws", "us-east-1", "EC2", "2600:1f18::/33"}},
		// unmapped, and held by no file
		{"::ffff:8.8.8.8", want{}},
	})
	if o, ok := table.Lookup(netip.Addr{}); ok {
		t.Errorf("Lookup(zero Addr) = %+v, want not found", o)
	}
}

func TestNewSkipsInvalidAndMasks(t *testing.T) {
	table := New([]Owner{
		{Provider: "x"},
		{Provider: "lab", Region: "r1", Prefix: netip.MustParsePrefix("10.1.2.3/16")},
	})
	if table.Len() != 1 || !slices.Equal(table.Providers(), []string{"lab"}) {
		t.Fatalf("Len() = %d, Providers() = %v; want 1, [lab]", table.Len(), table.Providers())
	}
	checkLookups(t, table, []lookupCase{{"10.1.200.1", want{"lab", "r1", "", "10.1.0.0/16"}}})
	empty := New(nil)
	if _, ok := empty.Lookup(netip.MustParseAddr("10.1.1.1")); ok || empty.Len() != 0 || len(empty.Providers()) != 0 {
		t.Error("an empty table finds something")
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.json")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		specs    []string
		want     []string // what the error says
		notExist bool     // it is fs.ErrNotExist
	}{
		{nil, []string{"no IP-range files given"}, false},
		{[]string{"testdata/hetzner.txt"}, []string{"testdata/hetzner.txt", "write PROVIDER=FILE", "cloudflare=ips-v4.txt"}, false},
		{[]string{"cloudflare="}, []string{`"cloudflare=" names no file`}, false},
		{[]string{filepath.Join(dir, "missing.json")}, []string{"missing.json"}, true},
		{[]string{"aws=" + filepath.Join(dir, "missing.json")}, []string{"missing.json"}, true},
		// every bad file is named, not only the first
		{[]string{empty, "testdata/aws-ip-ranges.json", "testdata/cloudflare-ips-v6.txt"},
			[]string{"empty.json: the file is empty", "cloudflare-ips-v6.txt: a plain list"}, false},
	}
	for _, tt := range tests {
		table, err := Load(tt.specs...)
		if err == nil {
			t.Errorf("Load(%q) = %d prefixes, want an error", tt.specs, table.Len())
			continue
		}
		if tt.notExist && !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Load(%q) = %v, want fs.ErrNotExist", tt.specs, err)
		}
		errtest.WantMessage(t, err, tt.want...)
	}
}

func TestSplitSpec(t *testing.T) {
	tests := []struct{ spec, provider, path string }{
		{"ranges.json", "", "ranges.json"},
		{"aws=ranges.json", "aws", "ranges.json"},
		{"Hetzner=dir/a=b.txt", "hetzner", "dir/a=b.txt"},
		{"./a=b.json", "", "./a=b.json"},
		{"/tmp/x=y", "", "/tmp/x=y"},
		{"=ranges.txt", "", "=ranges.txt"},
		{"aws-gov=ranges.json", "aws-gov", "ranges.json"},
	}
	for _, tt := range tests {
		p, path := splitSpec(tt.spec)
		if p != tt.provider || path != tt.path {
			t.Errorf("splitSpec(%q) = %q, %q; want %q, %q", tt.spec, p, path, tt.provider, tt.path)
		}
	}
}
