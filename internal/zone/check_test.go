package zone

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"outlast/internal/config"
)

// service is one steered name for the configurations below.
func service(name string) string {
	return `
  - name: ` + name + `
    check: {type: tcp, port: 443}
    endpoints:
      - {name: e-` + strings.ReplaceAll(name, ".", "-") + `, location: aws/us-east-1, addresses: [192.0.2.10]}`
}

// cnameService is a steered name answered as a CNAME to a CDN's hostname.
func cnameService(name string) string {
	return `
  - name: ` + name + `
    answer: cname
    check: {type: tcp, port: 443}
    endpoints:
      - {name: cdn-` + strings.ReplaceAll(name, ".", "-") + `, location: fastly/global, target: shop.cdn.example.net}`
}

// load writes a configuration whose one zone is example.com, served from
// db.example (text) and the inline records, with the services named, and
// loads it as a node would.
func load(t *testing.T, ns, text string, records []string, services ...string) (*config.Config, error) {
	t.Helper()
	dir := t.TempDir()
	y := "node: {name: n1}\nzones:\n  - apex: Example.COM\n" + ns
	if text != "" {
		y += "    file: db.example\n"
		if err := os.WriteFile(filepath.Join(dir, "db.example"), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if len(records) > 0 {
		y += "    records:\n"
		for _, r := range records {
			y += "      - '" + r + "'\n"
		}
	}
	y += "  - apex: sub2.example.com\n    ns: [{name: ns.example.net}]\n"
	if len(services) > 0 {
		y += "services:" + strings.Join(services, "")
	}
	path := filepath.Join(dir, "outlast.yaml")
	if err := os.WriteFile(path, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("config.Load: %v\n%s", err, y)
	}
	return cfg, Check(cfg)
}

const apexNS = "@ 3600 IN SOA ns1 hostmaster 1 2 3 4 5\n@ NS ns1\n@ NS ns2.example.net.\nns1 A 192.0.2.53\n"

// TestCheck: every rule, each problem with where it was written.
func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name     string
		ns       string
		text     string
		records  []string
		services []string
		want     []string // problems, as formatted, after the config file's name; none: valid
	}{
		{name: "static only, no service", text: apexNS + "www A 192.0.2.1\n"},
		{name: "inline only, ns in config", ns: "    ns: [{name: ns.example.net}]\n", records: []string{"@ MX 10 mail.example.net."}},
		{name: "service replaces a name's A records", text: apexNS + "WWW A 192.0.2.1\nwww MX 10 mail\n", services: []string{service("www.example.com")}},
		{name: "service beside a delegation", text: apexNS + "sub NS ns.example.net.\n", services: []string{service("subway.example.com")}},
		{name: "outside the zone", text: apexNS + "www.example.org. A 192.0.2.1\n",
			want: []string{"zones[0].file: db.example:5: www.example.org. is outside zone example.com."}},
		{name: "inside another configured zone", records: []string{"@ NS ns.example.net.", "x.sub2 A 192.0.2.1"},
			want: []string{"zones[0].records[1]: x.sub2.example.com. belongs to zone sub2.example.com., configured on its own; put the record there"}},
		{name: "CNAME beside other data", text: apexNS + "www A 192.0.2.1\n\nWww CNAME elsewhere.example.net.\n",
			want: []string{"zones[0].file: db.example:7: CNAME at Www.example.com. beside other data (A at db.example:5): a CNAME must be alone at its name (RFC 1034 3.6.2)"}},
		{name: "CNAME before other data", text: apexNS + "www CNAME elsewhere.example.net.\nwww TXT \"x\"\n",
			want: []string{"zones[0].file: db.example:5: CNAME at www.example.com. beside other data (TXT at db.example:6)"}},
		{name: "two CNAMEs", text: apexNS + "www CNAME a.example.net.\nwww CNAME b.example.net.\n",
			want: []string{"zones[0].file: db.example:6: CNAME at www.example.com. beside other data (CNAME at db.example:5)"}},
		{name: "CNAME at the apex", text: apexNS + "@ CNAME elsewhere.example.net.\n",
			want: []string{"zones[0].file: db.example:5: CNAME at the apex example.com."}},
		{name: "SOA below the apex", text: apexNS + "child SOA a. b. 1 2 3 4 5\n",
			want: []string{"zones[0].file: db.example:5: SOA at child.example.com., below the apex"}},
		{name: "service below a delegation", text: apexNS + "sub NS ns.example.net.\n", services: []string{service("api.sub.example.com")},
			want: []string{"services[0].name: api.sub.example.com. is at or below the delegation of sub.example.com. (NS at db.example:5)"}},
		{name: "service at a delegation", text: apexNS + "sub NS ns.example.net.\n", services: []string{service("SUB.example.com")},
			want: []string{"services[0].name: sub.example.com. is at or below the delegation of sub.example.com."}},
		{name: "service replaces a CNAME", text: apexNS + "www CNAME elsewhere.example.net.\n", services: []string{service("www.example.com")}},
		{name: "cname service replaces addresses", text: apexNS + "shop A 192.0.2.1\nshop AAAA 2001:db8::1\n", services: []string{cnameService("shop.example.com")}},
		{name: "cname service beside other data", text: apexNS + "shop A 192.0.2.1\nSHOP TXT \"verify\"\n", services: []string{cnameService("shop.example.com")},
			want: []string{"services[0].answer: cname: shop.example.com. also holds TXT records (db.example:6), and a CNAME must be alone at its name; move them, or use answer: flatten"}},
		{name: "wildcard", text: apexNS + "*.www A 192.0.2.1\n",
			want: []string{"zones[0].file: db.example:5: *.www.example.com. is a wildcard, which outlast does not serve"}},
		{name: "DNAME", text: apexNS + "old DNAME new.example.net.\n",
			want: []string{"zones[0].file: db.example:5: DNAME at old.example.com.: outlast does not serve DNAME"}},
		{name: "data below a delegation", text: apexNS + "sub NS ns.sub\nns.sub A 192.0.2.53\nsub DS 1 13 2 " + strings.Repeat("ab", 32) + "\nwww.sub TXT x\nsub MX 10 mail\n",
			want: []string{
				"zones[0].file: db.example:8: www.sub.example.com. TXT is at or below the delegation of sub.example.com. (NS at db.example:5)",
				"zones[0].file: db.example:9: sub.example.com. MX is at or below the delegation of sub.example.com. (NS at db.example:5)"}},
		{name: "no nameservers anywhere", records: []string{"www A 192.0.2.1"},
			want: []string{"zones[0].ns: zone example.com. has no nameservers: none in ns and no NS records at the apex of its records"}},
		{name: "ns disagree", ns: "    ns: [{name: ns1.example.com, addresses: [192.0.2.53]}, {name: ns3.example.net}]\n", text: apexNS,
			want: []string{"zones[0].ns: ns names ns1.example.com., ns3.example.net. but the apex NS records (db.example:2) name ns1.example.com., ns2.example.net.; they must agree"}},
		{name: "glue disagrees", ns: "    ns: [{name: ns1.example.com, addresses: [192.0.2.54]}, {name: ns2.example.net}]\n", text: apexNS,
			want: []string{"zones[0].ns[0].addresses: [192.0.2.54], but the records give ns1.example.com. the addresses [192.0.2.53]; they must agree"}},
		{name: "in-zone nameserver without glue", text: apexNS + "@ NS ns3\n",
			want: []string{"zones[0].ns: nameserver ns3.example.com. (NS at db.example:2) is inside zone example.com., so the records need its A or AAAA (glue)"}},
		{name: "ns agree", ns: "    ns: [{name: NS1.example.com, addresses: [192.0.2.53]}, {name: ns2.example.net}]\n", text: apexNS},
		{name: "syntax error", text: apexNS + "www A 192.0.2.1\nmail MX ten mail\n",
			want: []string{`zones[0].file: db.example:6:12: bad MX Pref: "ten"`}},
		{name: "every problem at once", text: apexNS + "@ CNAME x.example.net.\nwww.example.org. A 192.0.2.1\n",
			want: []string{"zones[0].file: db.example:5: CNAME at the apex", "zones[0].file: db.example:6: www.example.org. is outside"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(t, tc.ns, tc.text, tc.records, tc.services...)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("want valid, got:\n%v", err)
				}
				return
			}
			var cerr *config.Error
			if !errors.As(err, &cerr) {
				t.Fatalf("want a *config.Error, got %v", err)
			}
			if len(cerr.Problems) != len(tc.want) {
				t.Errorf("%d problems, want %d:\n%v", len(cerr.Problems), len(tc.want), err)
			}
			for i, p := range cerr.Problems[:min(len(tc.want), len(cerr.Problems))] {
				got := p.Format("outlast.yaml")
				if want := "outlast.yaml: " + tc.want[i]; !strings.HasPrefix(got, want) {
					t.Errorf("problem %d:\n got %s\nwant %s…", i, got, want)
				}
			}
		})
	}
}

// TestCheckFillsFromTheFile: a zone of just apex and file takes its
// nameservers, glue and SOA names from the file, and the hash covers them.
func TestCheckFillsFromTheFile(t *testing.T) {
	cfg, err := load(t, "", apexNS, nil)
	if err != nil {
		t.Fatal(err)
	}
	z := cfg.Zones[0]
	if len(z.NS) != 2 || z.NS[0].Name != "ns1.example.com." || len(z.NS[0].Addresses) != 1 ||
		z.NS[0].Addresses[0].String() != "192.0.2.53" || z.NS[1].Name != "ns2.example.net." || len(z.NS[1].Addresses) != 0 {
		t.Errorf("ns from the file: %+v", z.NS)
	}
	if z.SOA.MName != "ns1.example.com." || z.SOA.RName != "hostmaster.example.com." {
		t.Errorf("soa names from the file: %q %q", z.SOA.MName, z.SOA.RName)
	}
	// The file's "1 2 3 4 5" and its TTL: what a BIND operator expects served.
	want := config.SOA{MName: z.SOA.MName, RName: z.SOA.RName, Serial: 1, Refresh: 2 * time.Second,
		Retry: 3 * time.Second, Expire: 4 * time.Second, Minimum: 5 * time.Second, TTL: time.Hour}
	if z.SOA != want {
		t.Errorf("soa from the file: %+v, want %+v", z.SOA, want)
	}
	if cfg.Hash != cfg.Shared().Hash() {
		t.Errorf("Hash %s is not the hash of the completed zones (%s)", cfg.Hash, cfg.Shared().Hash())
	}
	if err := Check(cfg); err != nil {
		t.Errorf("Check must accept what it completed (a node receiving it checks it again): %v", err)
	}
	rrs, err := Records(z)
	if err != nil {
		t.Fatal(err)
	}
	if len(rrs) != 1 || rrs[0].Header().Name != "ns1.example.com." {
		t.Errorf("Records leaves out the apex SOA and NS: %v", rrs)
	}
}

// TestCheckFileChangesTheHash: the file's text is part of what is hashed.
func TestCheckFileChangesTheHash(t *testing.T) {
	a, errA := load(t, "", apexNS+"www A 192.0.2.1\n", nil)
	b, errB := load(t, "", apexNS+"www A 192.0.2.2\n", nil)
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	if a.Hash == b.Hash {
		t.Errorf("two different zone files give the same hash %s", a.Hash)
	}
}

// TestCheckBoundsProblems: thousands of bad records give at most
// config.MaxProblems problems and one line saying how many more.
func TestCheckBoundsProblems(t *testing.T) {
	var b strings.Builder
	b.WriteString(apexNS)
	for range 500 {
		b.WriteString("x.example.org. A 192.0.2.1\n")
	}
	_, err := load(t, "", b.String(), nil)
	var cerr *config.Error
	if !errors.As(err, &cerr) || len(cerr.Problems) != config.MaxProblems+1 || cerr.Omitted != 400 {
		t.Fatalf("want %d problems and a last line of 400 omitted, got %v", config.MaxProblems, err)
	}
}
