package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"outlast/internal/zonediff"
)

// The signed-zone lab: Knot serves the root and test. (unsigned, test.
// holding example.test's DS), two outlast nodes serve example.test signed
// with one key, and unbound validates with that DS as its trust anchor.
const (
	signedRoot    = "127.0.0.194"
	signedNode1   = "127.0.0.195"
	signedNode2   = "127.0.0.196"
	signedBackA   = "127.0.0.197" // the failover service's primary
	signedBackB   = "127.0.0.198"
	signedUnbound = "127.0.0.199"
	signedPort    = 18081 // the backends' HTTP port
)

// signedNodeConfig is one node of the lab: a zone from a file, signed with
// the key in keys/, and a failover service whose check is fast.
const signedNodeConfig = `node: {name: n%[1]s, location: local/lab}
dns:
  listen: "%[1]s:53"
  key_dir: keys
  rate_limit: {exempt: [127.0.0.0/8]}
http: {listen: "%[1]s:0"}
zones:
  - apex: example.test
    file: example.test.zone
    dnssec: {keys: [%[2]s]}
services:
  - name: api.example.test
    ttl: 2s
    check: {type: http, port: %[3]d, interval: 500ms, fall: 2, rise: 2}
    endpoints:
      - {name: a, location: aws/us-east-1, addresses: [%[4]s]}
      - {name: b, location: gcp/us-central1, addresses: [%[5]s], priority: 2}
`

// signedUnboundConfig validates example.test from its DS (the trust
// anchor), resolving from the lab's root; caches are kept short so a
// failover shows within the service's TTL.
const signedUnboundConfig = `server:
  verbosity: 1
  interface: %[1]s
  port: 53
  do-ip6: no
  access-control: 127.0.0.0/8 allow
  do-not-query-localhost: no
  do-daemonize: no
  chroot: ""
  username: ""
  directory: %[2]q
  pidfile: %[5]q
  use-syslog: no
  logfile: ""
  root-hints: %[3]q
  trust-anchor: %[4]q
  val-log-level: 2
  qname-minimisation: no
  prefetch: no
  cache-max-ttl: 2
  cache-max-negative-ttl: 2
  local-zone: "test." nodefault
  module-config: "validator iterator"
remote-control:
  control-enable: no
`

// TestSignedZoneValidates: a zone signed by two outlast nodes validates in
// unbound (AD) for a steered answer before and after a failover, for a
// name that does not exist and for a type a name lacks; delv, validating
// by itself, agrees; Zonemaster's DNSSEC test cases find nothing at
// WARNING or above. Needs root (port 53 for Zonemaster and the root
// zone); CI runs as root with knot, unbound, bind9-dnsutils and
// zonemaster-cli installed.
func TestSignedZoneValidates(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two nodes, Knot, unbound, delv and Zonemaster")
	}
	if os.Geteuid() != 0 {
		t.Skip("the lab's nameservers listen on port 53, which needs root; run as root (CI does)")
	}
	unboundBin := lookProgram(t, "unbound", "/usr/sbin/unbound", "apt-get install unbound")
	dir := t.TempDir()
	bin := buildOutlast(t)
	keys := filepath.Join(dir, "keys")
	if err := os.Mkdir(keys, 0o700); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "dnssec", "keygen", "--zone", "example.test", "--dir", keys).Output()
	if err != nil {
		t.Fatalf("outlast dnssec keygen: %v", err)
	}
	ds := dsLine(t, string(out))
	keyFiles, _ := filepath.Glob(filepath.Join(keys, "*.key"))
	if len(keyFiles) != 1 {
		t.Fatalf("keygen wrote %v, want one key", keyFiles)
	}
	keyBase := strings.TrimSuffix(filepath.Base(keyFiles[0]), ".key")

	startParents(t, signedRoot, signedNode1, signedNode2, dsRecord(ds)+"\n")
	primary := startBackend(t, signedBackA, signedPort)
	startBackend(t, signedBackB, signedPort)
	write(t, filepath.Join(dir, "example.test.zone"), strings.NewReplacer("127.0.0.172", signedNode1, "127.0.0.173", signedNode2).Replace(zonemasterZone))
	for _, ip := range []string{signedNode1, signedNode2} {
		cfg := filepath.Join(dir, ip+".yaml")
		write(t, cfg, fmt.Sprintf(signedNodeConfig, ip, keyBase, signedPort, signedBackA, signedBackB))
		startProcess(t, bin, "serve", "--config", cfg)
		if err := zonediff.WaitForSOA(ip+":53", "example.test."); err != nil {
			t.Fatalf("the node on %s: %v", ip, err)
		}
	}

	hints := filepath.Join(dir, "hints")
	write(t, hints, ". 3600000 IN NS a.root.\na.root. 3600000 IN A "+signedRoot+"\n")
	ubDir := t.TempDir()
	conf := filepath.Join(ubDir, "unbound.conf")
	write(t, conf, fmt.Sprintf(signedUnboundConfig, signedUnbound, ubDir, hints, dsRecord(ds), filepath.Join(ubDir, "unbound.pid")))
	startProcess(t, unboundBin, "-d", "-c", conf)
	resolver := signedUnbound + ":53"
	waitListening(t, resolver)

	// Before the failover: the primary, validated.
	waitValidated(t, resolver, "api.example.test.", signedBackA, 30*time.Second)
	for _, q := range []struct {
		name  string
		qtype uint16
		what  string
	}{
		{"nothing-here.example.test.", dns.TypeA, "a name that does not exist"},
		{"api.example.test.", dns.TypeTXT, "a type the name lacks (NODATA)"},
		{"example.test.", dns.TypeMX, "a static record"},
	} {
		r := askValidating(t, resolver, q.name, q.qtype)
		if !r.AuthenticatedData || r.Rcode == dns.RcodeServerFailure {
			t.Errorf("%s (%s %s): rcode %s, AD %v; want a validated answer (AD)", q.what, q.name, dns.TypeToString[q.qtype],
				dns.RcodeToString[r.Rcode], r.AuthenticatedData)
		}
		t.Logf("%s: %s AD=%v, %d answers", q.what, dns.RcodeToString[r.Rcode], r.AuthenticatedData, len(r.Answer))
	}
	delvAgrees(t, dir, ds, "api.example.test", "A")
	delvAgrees(t, dir, ds, "nothing-here.example.test", "A")
	compactDenial(t, signedNode1+":53", "nothing-here.example.test.")

	// The failover: the primary's backend goes away.
	if err := primary.Close(); err != nil {
		t.Fatal(err)
	}
	took := waitValidated(t, resolver, "api.example.test.", signedBackB, 30*time.Second)
	t.Logf("the failover showed in validated answers %.1fs after the primary failed (check every 500ms, fall 2, TTL 2s)", took.Seconds())
	delvAgrees(t, dir, ds, "api.example.test", "A")

	zonemasterDNSSEC(t, dir)
}

// compactDenial asks a node itself for a name that does not exist: NOERROR
// with an NSEC whose bitmap holds NXNAME (RFC 9824), and NXDOMAIN for a
// client that sets the Compact Answers OK flag.
func compactDenial(t *testing.T, node, name string) {
	t.Helper()
	for _, co := range []bool{false, true} {
		m := new(dns.Msg)
		m.SetQuestion(name, dns.TypeA)
		m.SetEdns0(1232, true)
		m.IsEdns0().SetCo(co)
		r, _, err := (&dns.Client{Timeout: 3 * time.Second}).Exchange(m, node)
		if err != nil {
			t.Fatalf("asking %s: %v", node, err)
		}
		want := dns.RcodeSuccess
		if co {
			want = dns.RcodeNameError
		}
		nxname := false
		for _, rr := range r.Ns {
			if n, ok := rr.(*dns.NSEC); ok && n.Hdr.Name == name {
				nxname = slices.Contains(n.TypeBitMap, dns.TypeNXNAME)
			}
		}
		if r.Rcode != want || !nxname || r.IsEdns0() == nil || r.IsEdns0().Co() != co {
			t.Errorf("%s with CO=%v: rcode %s, NSEC with NXNAME %v, CO back %v; want %s, true, %v:\n%s", name, co,
				dns.RcodeToString[r.Rcode], nxname, r.IsEdns0() != nil && r.IsEdns0().Co(), dns.RcodeToString[want], co, r)
		}
	}
}

// dsRecord is keygen's DS line as a one-line record.
func dsRecord(ds string) string { return strings.Join(strings.Fields(ds), " ") }

// startBackend serves 200 OK on ip:port until closed or the test's end.
func startBackend(t *testing.T, ip string, port int) *http.Server {
	t.Helper()
	ln, err := net.Listen("tcp", fmt.Sprintf("%s:%d", ip, port))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

// askValidating asks the resolver with DO set.
func askValidating(t *testing.T, resolver, name string, qtype uint16) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.SetEdns0(1232, true)
	m.AuthenticatedData = true
	c := &dns.Client{Timeout: 3 * time.Second}
	for try := 0; ; try++ {
		r, _, err := c.Exchange(m, resolver)
		if err == nil {
			return r
		}
		if try == 3 {
			t.Fatalf("asking %s for %s: %v", resolver, name, err)
		}
	}
}

// waitValidated asks until name's A answer is want alone, with AD; it
// returns how long that took.
func waitValidated(t *testing.T, resolver, name, want string, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	var last string
	for time.Since(start) < limit {
		r := askValidating(t, resolver, name, dns.TypeA)
		var addrs []string
		for _, rr := range r.Answer {
			if a, ok := rr.(*dns.A); ok {
				addrs = append(addrs, a.A.String())
			}
		}
		last = fmt.Sprintf("%s AD=%v %v", dns.RcodeToString[r.Rcode], r.AuthenticatedData, addrs)
		if r.AuthenticatedData && slices.Equal(addrs, []string{want}) {
			return time.Since(start)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s A through the validating resolver: last %s; want %s with AD within %s", name, last, want, limit)
	return 0
}

// delvAgrees runs delv (BIND's validating lookup, validating by itself)
// through the lab's resolver with example.test's DS as its trust anchor.
func delvAgrees(t *testing.T, dir, ds, name, qtype string) {
	t.Helper()
	delv, err := exec.LookPath("delv")
	if err != nil {
		t.Log("delv is not installed (Debian: bind9-dnsutils; .ci/run installs it): not asked")
		return
	}
	f := strings.Fields(ds) // owner ttl IN DS tag alg digesttype digest
	anchors := filepath.Join(dir, "delv-anchors.conf")
	write(t, anchors, fmt.Sprintf("trust-anchors {\n  example.test. static-ds %s %s %s %q;\n};\n", f[4], f[5], f[6], strings.Join(f[7:], "")))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, delv, "@"+signedUnbound, "-a", anchors, "+root=example.test", name, qtype).CombinedOutput()
	// A denial reads "; negative response, fully validated".
	if err != nil || !strings.Contains(string(out), "fully validated") {
		t.Errorf("delv %s %s: %v; want \"fully validated\":\n%s", name, qtype, err, out)
		return
	}
	t.Logf("delv %s %s: %s", name, qtype, strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0]))
}

// zonemasterDNSSEC runs Zonemaster's DNSSEC test module over the zone:
// nothing at WARNING or above but the loopback findings.
func zonemasterDNSSEC(t *testing.T, dir string) {
	t.Helper()
	zonemaster, err := exec.LookPath("zonemaster-cli")
	if err != nil {
		t.Log("zonemaster-cli is not installed (.ci/run installs it): Zonemaster not run")
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, zonemaster, "--hints", filepath.Join(dir, "hints"), "--no-ipv6", "--level", "INFO",
		"--test", "dnssec", "--json", "--raw", "example.test").Output()
	if err != nil {
		t.Fatalf("zonemaster-cli --test dnssec: %v\n%s", err, out)
	}
	var findings []struct {
		Level, Tag, Testcase string
		Args                 map[string]any
	}
	if err := json.Unmarshal(out, &findings); err != nil {
		t.Fatalf("zonemaster-cli --json: %v\n%s", err, out)
	}
	// What Zonemaster says at INFO shows it saw a signed zone at all.
	want := map[string]bool{"ALGORITHM_OK": false, "DS10_HAS_NSEC": false, "DS15_HAS_CDS_AND_CDNSKEY": false}
	for _, f := range findings {
		t.Logf("Zonemaster %s %s %s: %v", f.Level, f.Testcase, f.Tag, f.Args)
		if _, ok := want[f.Tag]; ok {
			want[f.Tag] = true
		}
		if _, loopback := loopbackFindings[f.Tag]; !loopback && f.Level != "INFO" && f.Level != "NOTICE" && f.Level != "DEBUG" {
			t.Errorf("Zonemaster %s %s %s: %v", f.Level, f.Testcase, f.Tag, f.Args)
		}
	}
	for tag, seen := range want {
		if !seen {
			t.Errorf("Zonemaster did not report %s: did it see the zone signed?", tag)
		}
	}
}

// lookProgram finds a program on PATH or at fallback, or skips the test.
func lookProgram(t *testing.T, name, fallback, install string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if fileExists(fallback) {
		return fallback
	}
	t.Skipf("%s is not installed (Debian: %s; .ci/run installs it)", name, install)
	return ""
}

// waitListening waits until addr accepts TCP.
func waitListening(t *testing.T, addr string) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); ; {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listened on %s within 15s: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
