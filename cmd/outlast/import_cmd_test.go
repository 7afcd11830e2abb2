package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"outlast/internal/config"
	"outlast/internal/errtest"
	"outlast/internal/node/nodetest"
	"outlast/internal/zone"
	"outlast/internal/zonediff"
)

// exampleZoneFile is the zone the differential test serves from Knot.
const exampleZoneFile = "../../internal/zonediff/testdata/example.test.zone"

// importExample runs outlast import on the example zone and parses what it
// writes, as outlast serve would, internal/zone's checks included.
func importExample(t *testing.T) (*config.Config, string) {
	t.Helper()
	code, out, errOut := runCmd("import", exampleZoneFile)
	if code != exitOK || errOut != "" {
		t.Fatalf("outlast import %s: exit %d, stderr %q", exampleZoneFile, code, errOut)
	}
	cfg, err := config.Parse("imported.yaml", []byte(out))
	if err != nil {
		t.Fatalf("the imported configuration does not parse: %v\n%s", err, out)
	}
	if err := zone.Check(cfg); err != nil {
		t.Fatalf("the imported configuration fails zone.Check: %v\n%s", err, out)
	}
	return cfg, out
}

// TestImportRoundTrip holds that outlast import keeps every record of the
// file: the apex SOA's fields and NS set (with glue) in soa and ns, every
// other record as a records line that parses back to the same record.
func TestImportRoundTrip(t *testing.T) {
	cfg, out := importExample(t)
	if len(cfg.Zones) != 1 || cfg.Zones[0].Apex != zonediff.ExampleApex {
		t.Fatalf("zones = %+v, want the one zone %s", cfg.Zones, zonediff.ExampleApex)
	}
	z := cfg.Zones[0]
	soa := config.SOA{MName: "ns1.example.test.", RName: "hostmaster.example.test.", Serial: 2026010101,
		Refresh: 2 * time.Hour, Retry: 15 * time.Minute, Expire: 336 * time.Hour, Minimum: 5 * time.Minute, TTL: time.Hour}
	if z.SOA != soa {
		t.Errorf("soa = %+v, want the file's %+v", z.SOA, soa)
	}
	var ns []string
	for _, n := range z.NS {
		ns = append(ns, fmt.Sprint(strings.ToLower(n.Name), " ", n.Addresses))
	}
	if want := []string{"ns1.example.test. [192.0.2.53 2001:db8::53]", "ns2.example.test. [198.51.100.53]"}; !slices.Equal(ns, want) {
		t.Errorf("ns = %q, want %q", ns, want)
	}

	file := zonediff.MustReadZone(zonediff.ExampleZone, zonediff.ExampleApex)
	var want []string
	for _, rr := range file {
		apex := strings.EqualFold(rr.Header().Name, zonediff.ExampleApex)
		if t := rr.Header().Rrtype; !(apex && (t == dns.TypeSOA || t == dns.TypeNS)) {
			want = append(want, rr.String())
		}
	}
	served, err := zone.Records(z)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, rr := range served {
		got = append(got, rr.String())
	}
	if missing, extra := zonediff.SetDiff(want, got); len(missing)+len(extra) > 0 {
		t.Errorf("records lost by the import:\n%s\nrecords the file does not hold:\n%s\nthe configuration:\n%s",
			strings.Join(missing, "\n"), strings.Join(extra, "\n"), out)
	}
}

// TestImportApexAndFlags holds that --apex may come after FILE, names a
// file of relative names with neither SOA nor $ORIGIN, and that the
// configuration then keeps outlast's SOA defaults.
func TestImportApexAndFlags(t *testing.T) {
	path := writeFile(t, "zone.txt", "@ 300 IN NS ns1\nns1 300 IN A 192.0.2.1\nwww 60 IN A 192.0.2.2\n")
	code, out, errOut := runCmd("import", path, "--apex", "example.org")
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	cfg, err := config.Parse("imported.yaml", []byte(out))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if err := zone.Check(cfg); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if z := cfg.Zones[0]; z.Apex != "example.org." || len(z.NS) != 1 || !strings.Contains(out, `"www 60 IN A 192.0.2.2"`) {
		t.Errorf("zone = %+v; the configuration:\n%s", z, out)
	}
}

// TestImportBadInput holds that each kind of bad file gets an error naming
// the file (and its line, for a syntax error) and what to do.
func TestImportBadInput(t *testing.T) {
	for _, c := range []struct {
		name, text string
		args       []string
		want       []string
	}{
		{"syntax error", "$ORIGIN example.test.\n@ 300 IN SOA ns1 h 1 2 3 4 5\n@ 300 IN NS ns1\nns1 300 IN A 192.0.2.300\n",
			nil, []string{"zone.txt:4:", "bad A A"}},
		{"no apex", "@ 300 IN NS ns1.example.test.\n", nil, []string{"zone.txt:", "--apex"}},
		{"outside the zone", "$ORIGIN example.test.\n@ 300 IN SOA ns1 h 1 2 3 4 5\n@ 300 IN NS ns1\nns1 300 IN A 192.0.2.1\nwww.example.net. 300 IN A 192.0.2.2\n",
			nil, []string{"zone.txt:", "www.example.net.", "outside zone example.test."}},
		{"no glue", "$ORIGIN example.test.\n@ 300 IN SOA ns1 h 1 2 3 4 5\n@ 300 IN NS ns1\n",
			nil, []string{"nameserver ns1.example.test. is inside the zone", "glue"}},
		{"CNAME beside data", "$ORIGIN example.test.\n@ 300 IN SOA ns1 h 1 2 3 4 5\n@ 300 IN NS ns1\nns1 300 IN A 192.0.2.1\nwww 300 IN A 192.0.2.2\nwww 300 IN CNAME ns1\n",
			nil, []string{"zone.txt holds what outlast cannot serve", "CNAME"}},
		{"no NS", "$ORIGIN example.test.\n@ 300 IN SOA ns1 h 1 2 3 4 5\n", nil, []string{"no NS records at the apex"}},
		{"apex disagrees", "$ORIGIN example.test.\n@ 300 IN SOA ns1 h 1 2 3 4 5\n@ 300 IN NS ns1\nns1 300 IN A 192.0.2.1\n",
			[]string{"--apex", "example.org"}, []string{"the SOA record is for example.test., not for --apex example.org"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := writeFile(t, "zone.txt", c.text)
			code, out, errOut := runCmd(append([]string{"import", path}, c.args...)...)
			if code != exitFailure || out != "" {
				t.Errorf("exit %d, stdout %q; want exit %d and nothing on stdout", code, out, exitFailure)
			}
			errtest.WantMessage(t, errors.New(errOut), c.want...) // what the operator reads
		})
	}
	if code, _, errOut := runCmd("import"); code != exitUsage || !strings.Contains(errOut, "outlast import FILE") {
		t.Errorf("no file: exit %d, stderr %q; want exit %d and the usage", code, errOut, exitUsage)
	}
	if code, _, errOut := runCmd("import", filepath.Join(t.TempDir(), "missing.txt")); code != exitFailure || !strings.Contains(errOut, "missing.txt") {
		t.Errorf("a missing file: exit %d, stderr %q; want exit %d naming the file", code, errOut, exitFailure)
	}
}

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// importAllowances are the deliberate differences between Knot serving a
// zone file and outlast serving the configuration outlast import made of
// it. Each must change at least one answer, or it is stale.
var importAllowances = []zonediff.Allowance{
	{
		Name: "soa-serial",
		Reason: "outlast serves soa.serial plus the replicated configuration's version (issue 14: the serial " +
			"changes whenever what the zone holds changes), so its serial is not the file's",
		Normalize: zonediff.ZeroSOASerial,
	},
	{
		Name: "name-case",
		Reason: "Knot writes the names of its zone in lower case; outlast keeps the case the file wrote " +
			"(internal/zone's rule). Names compare without case (RFC 4343); the question, which resolvers " +
			"check for DNS 0x20, is still compared exactly",
		Normalize: zonediff.LowerCaseNames,
	},
}

// TestImportedZoneAnswersAsKnot is issue 14's differential test: Knot
// serves the example zone file, a real outlast node serves the
// configuration outlast import made of it, and every question of the file
// (plus absent names and types, in mixed case, over UDP, TCP and 512-byte
// UDP) gets the same answer from both, but for importAllowances.
func TestImportedZoneAnswersAsKnot(t *testing.T) {
	cfg, _ := importExample(t)
	answersAsKnot(t, cfg)
}

// TestZoneFileAnswersAsKnot is the same differential test with the file
// itself: a zone of just its apex and `file`, whose nameservers and SOA
// come from the file, answers as Knot serving that file.
func TestZoneFileAnswersAsKnot(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "example.test.zone"), zonediff.ExampleZone)
	write(t, filepath.Join(dir, "outlast.yaml"), "node: {name: n1, location: local/lab}\n"+
		"zones:\n  - apex: "+zonediff.ExampleApex+"\n    file: example.test.zone\n")
	cfg, err := loadConfig(filepath.Join(dir, "outlast.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	answersAsKnot(t, cfg)
}

// answersAsKnot serves cfg on a real node and the example zone file on
// Knot, asks both every question of the file (plus absent names and types,
// in mixed case, over UDP, TCP and 512-byte UDP) and wants the same answers
// but for importAllowances.
func answersAsKnot(t *testing.T, cfg *config.Config) {
	t.Helper()
	knot := zonediff.StartKnot(t, "knot", zonediff.ExampleApex, zonediff.ExampleZone)
	cfg.DNS.Listen, cfg.HTTP.Listen = "127.0.0.1:0", "127.0.0.1:0"
	n := nodetest.Start(t, cfg)
	outlast := zonediff.Server{Name: "outlast", Addr: n.DNSAddr().String()}
	if err := zonediff.WaitForSOA(outlast.Addr, zonediff.ExampleApex); err != nil {
		t.Fatalf("the outlast node: %v", err)
	}
	queries := zonediff.Queries(zonediff.ExampleApex, zonediff.MustReadZone(zonediff.ExampleZone, zonediff.ExampleApex))
	res := zonediff.Compare(knot, outlast, queries, importAllowances)
	if r := res.Report(); r != "" {
		t.Error(r)
	}
	if unused := res.Unused(importAllowances); len(unused) > 0 {
		t.Errorf("allowances %q changed no answer: the difference is gone, remove them from importAllowances", unused)
	}
	t.Logf("%d questions, each over %d transports, answered alike", len(queries), len(zonediff.Transports))
}

// FuzzImport holds that import never panics on any file, and that when
// what it writes is accepted (importCmd checks that with checkImported),
// the configuration serves every record the import kept.
func FuzzImport(f *testing.F) {
	f.Add(zonediff.ExampleZone)
	f.Add("$ORIGIN example.test.\n@ 300 IN SOA ns1 h 1 2 3 4 5\n@ 300 IN NS ns1\nns1 300 IN A 192.0.2.1\nt 300 IN TXT \"a\\\"b\\\\c\" \"\\009\"\n")
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > 1<<16 {
			return
		}
		z, err := importZone("zone.txt", text, "")
		if err != nil {
			return
		}
		out := z.yaml("zone.txt")
		cfg, err := config.Parse("imported.yaml", []byte(out))
		if err != nil || zone.Check(cfg) != nil {
			return // refused by importCmd, with the problems
		}
		served, err := zone.Records(cfg.Zones[0])
		if err != nil || len(served) != len(z.records) {
			t.Fatalf("the import kept %d records, the configuration serves %d (%v):\n%s", len(z.records), len(served), err, out)
		}
	})
}
