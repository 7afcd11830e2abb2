package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"outlast/internal/zonediff"
)

// zonemasterZone is a small production-like zone: two nameservers with
// glue, mail, SPF, CAA and a web name, in the file an operator brings.
const zonemasterZone = `$ORIGIN example.test.
$TTL 3600
@     IN SOA ns1.example.test. hostmaster.example.test. 2026120401 7200 3600 1209600 300
@     IN NS  ns1
@     IN NS  ns2
ns1   IN A   127.0.0.172
ns2   IN A   127.0.0.173
@     IN MX  10 mail
@     IN TXT "v=spf1 mx -all"
@     IN CAA 0 issue "letsencrypt.org"
mail  IN A   192.0.2.25
www   IN A   192.0.2.80
`

// loopbackFindings are what Zonemaster says of any zone whose nameservers
// sit on 127/8: the lab has no other addresses, and no reverse zone for
// them. Anything else at WARNING or above fails the test.
var loopbackFindings = map[string]string{
	"NAMESERVER_IP_PRIVATE_NETWORK": "the nameservers are on loopback (127/8), as everything in a test is",
	"NAMESERVER_IP_WITHOUT_REVERSE": "no reverse zone exists for the loopback addresses",
}

// TestZonemaster serves a zone from a master file on two outlast nodes,
// delegated from a root and a parent zone that Knot serves, and runs
// Zonemaster (Debian zonemaster-cli) over it: nothing at WARNING or above
// besides the loopback findings. Nameservers must answer on port 53, so it
// needs root; CI runs as root and installs zonemaster-cli and knot.
func TestZonemaster(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Zonemaster against two nodes")
	}
	if os.Geteuid() != 0 {
		t.Skip("Zonemaster asks nameservers on port 53, which needs root; run as root (CI does)")
	}
	zonemaster, err := exec.LookPath("zonemaster-cli")
	if err != nil {
		t.Skip("zonemaster-cli is not installed (Debian: apt-get install zonemaster-cli; .ci/run installs it)")
	}
	const root = "127.0.0.174"
	startParents(t, root, "127.0.0.172", "127.0.0.173", "")
	dir := t.TempDir()
	write(t, filepath.Join(dir, "example.test.zone"), zonemasterZone)
	bin := buildOutlast(t)
	for _, ip := range []string{"127.0.0.172", "127.0.0.173"} {
		cfg := filepath.Join(dir, ip+".yaml")
		write(t, cfg, fmt.Sprintf(`node: {name: n%[1]s, location: local/lab}
dns: {listen: "%[1]s:53"}
http: {listen: "%[1]s:0"}
zones:
  - apex: example.test
    file: example.test.zone
`, ip))
		startProcess(t, bin, "serve", "--config", cfg)
		if err := zonediff.WaitForSOA(ip+":53", "example.test."); err != nil {
			t.Fatalf("the node on %s: %v", ip, err)
		}
	}
	hints := filepath.Join(dir, "hints")
	write(t, hints, ". 3600000 IN NS a.root.\na.root. 3600000 IN A "+root+"\n")

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, zonemaster, "--hints", hints, "--no-ipv6", "--level", "WARNING",
		"--json", "--raw", "example.test").Output()
	if err != nil {
		t.Fatalf("zonemaster-cli: %v\n%s", err, out)
	}
	var findings []struct {
		Level, Tag, Testcase string
		Args                 map[string]any
	}
	if err := json.Unmarshal(out, &findings); err != nil {
		t.Fatalf("zonemaster-cli --json: %v\n%s", err, out)
	}
	seen := map[string]bool{}
	for _, f := range findings {
		if _, loopback := loopbackFindings[f.Tag]; loopback {
			seen[f.Tag] = true
			continue
		}
		t.Errorf("Zonemaster %s %s %s: %v", f.Level, f.Testcase, f.Tag, f.Args)
	}
	// The allowances must still be what Zonemaster says, or the list is stale.
	for tag, why := range loopbackFindings {
		if !seen[tag] {
			t.Errorf("Zonemaster no longer reports %s (allowed because %s): remove it from loopbackFindings", tag, why)
		}
	}
	t.Logf("Zonemaster: %d findings at WARNING or above, all of them the loopback ones (%s)", len(findings),
		strings.Join(keys(seen), ", "))
}

// startParents serves the root and test. from Knot on root:53, test.
// delegating example.test to nameservers ns1 and ns2 (with glue), plus
// extra lines in test. (a DS record, say).
func startParents(t *testing.T, root, ns1, ns2, extra string) {
	t.Helper()
	zonediff.StartKnotAt(t, root+":53",
		zonediff.Zone{Apex: ".", Text: `$TTL 86400
. IN SOA a.root. hostmaster.root. 1 1800 900 604800 86400
. IN NS a.root.
a.root. IN A ` + root + `
test. IN NS a.root.
`},
		zonediff.Zone{Apex: "test.", Text: `$ORIGIN test.
$TTL 86400
@ IN SOA a.root. hostmaster.root. 1 1800 900 604800 86400
@ IN NS a.root.
example IN NS ns1.example
example IN NS ns2.example
ns1.example IN A ` + ns1 + `
ns2.example IN A ` + ns2 + `
` + extra})
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
