package main

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/miekg/dns"

	"outlast/internal/audit"
	"outlast/internal/statuspage/statuspagetest"
	"outlast/internal/tlsca"
)

// auditRun runs outlast audit in this process and returns its exit code and output.
func auditRun(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(append([]string{"audit"}, args...), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// auditJSON runs the audit with -o json and decodes the report.
func auditJSON(t *testing.T, args ...string) (int, *audit.Report) {
	t.Helper()
	code, out, stderrText := auditRun(t, append(args, "-o", "json")...)
	var r audit.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("outlast audit %v -o json: %v\nstdout: %s\nstderr: %s", args, err, out, stderrText)
	}
	return code, &r
}

// findingKeys renders the findings at warning and above as "severity check domain subject".
func findingKeys(r *audit.Report) []string {
	var out []string
	for _, f := range r.Findings {
		if f.Severity >= audit.Warning {
			out = append(out, strings.Join(strings.Fields(fmt.Sprintf("%s %s %s %s", f.Severity, f.Check, f.Domain, f.Subject)), " "))
		}
	}
	return out
}

// TestAuditExamples: every example configuration gives the findings a
// person reading it would expect, and the exit code a pipeline needs.
func TestAuditExamples(t *testing.T) {
	cases := []struct {
		file string
		code int
		want []string // every finding at warning or above, in order
	}{
		{"three-providers.yaml", 0, nil},
		// One node: the quorum and vantage findings of single-node.yaml;
		// both areas' nearest regions are AWS's, so losing AWS moves both.
		{"geo.yaml", 1, []string{
			"critical quorum-lost hetzner outlast",
			"warning location-unknown ns1.example.com.",
			"warning vantage-points use1",
			"warning vantage-points euw1",
			"warning vantage-points usc1",
			"warning capacity-lost aws api.example.com.",
			"warning geo-shared-first aws api.example.com.",
		}},
		{"cluster/n1.yaml", 0, nil},
		{"quorum-trap.yaml", 1, []string{
			"critical failover-stuck aws api.example.com.",
			"critical quorum-lost aws outlast",
		}},
		{"one-provider.yaml", 1, []string{
			"critical service-down aws api.example.com.",
			"critical quorum-lost aws outlast",
			"critical nameservers aws example.com.",
			"critical rto api.example.com.",
		}},
		{"single-node.yaml", 1, []string{
			"critical quorum-lost local outlast",
			"critical nameservers local example.test.",
			"warning vantage-points primary",
			"warning vantage-points secondary",
		}},
		// Its targets are not looked up here (the test stays off the
		// network): each is an info finding, placed where it is declared.
		{"proxy.yaml", 1, []string{
			"critical quorum-lost hetzner outlast",
			"warning location-unknown ns1.example.com.",
			"warning vantage-points use1",
			"warning vantage-points usc1",
		}},
		{"primary.yaml", 1, []string{
			"critical quorum-lost hetzner outlast",
			"warning location-unknown ns1.example.com.",
			"warning vantage-points pg-use1",
			"warning vantage-points pg-usc1",
			"warning vantage-points patroni-use1",
			"warning vantage-points patroni-usc1",
		}},
		{"hostnames.yaml", 1, []string{
			"critical quorum-lost hetzner outlast",
			"warning location-unknown ns1.example.com.",
			"warning vantage-points alb-use1",
			"warning vantage-points cdn-standby",
			"warning vantage-points www-alb-use1",
			"warning vantage-points www-cdn-standby",
		}},
	}
	files, _ := filepath.Glob("../../examples/*.yaml")
	more, _ := filepath.Glob("../../examples/*/n1.yaml")
	if len(files)+len(more) != len(cases) {
		t.Errorf("examples/ has %d configurations (%v %v) but %d are audited here: add the new one", len(files)+len(more), files, more, len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			code, r := auditJSON(t, "--config", "../../examples/"+tc.file, "--resolve-targets=false")
			if got := findingKeys(r); code != tc.code || !slices.Equal(got, tc.want) {
				t.Errorf("exit %d, want %d; findings:\n\t%s\nwant:\n\t%s", code, tc.code, strings.Join(got, "\n\t"), strings.Join(tc.want, "\n\t"))
			}
		})
	}
}

// TestAuditQuorumTrapText is what a person sees: the lost quorum named,
// why, what to change, and the exit code; --fail-on moves the bar.
func TestAuditQuorumTrapText(t *testing.T) {
	code, out, _ := auditRun(t, "--config", "../../examples/quorum-trap.yaml")
	for _, want := range []string{
		"losing aws takes outlast node(s) n1, n2 with it and leaves 1 of 3 voters: the cluster has no Raft quorum",
		"classic trap",
		"fix: Run an odd number of nodes",
		"keeps answering primary",
		"FAIL: 2 finding(s) at or above warning",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the report does not say %q:\n%s", want, out)
		}
	}
	if code != exitFailure {
		t.Errorf("exit %d, want %d", code, exitFailure)
	}
	if code, out, _ := auditRun(t, "--config", "../../examples/three-providers.yaml", "--fail-on", "info"); code != exitFailure || !strings.Contains(out, "FAIL") {
		t.Errorf("--fail-on info must fail on the N-2 info findings: exit %d\n%s", code, out)
	}
}

func TestAuditUsage(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("zones: []\nservices: []\nnode: {nme: x}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		code int
		says string
	}{
		{"nothing to audit", nil, exitUsage, "exactly one of --config FILE or --addr ADDR"},
		{"both", []string{"--config", "x", "--addr", "y"}, exitUsage, "exactly one of"},
		{"bad severity", []string{"--config", "x", "--fail-on", "major"}, exitUsage, `"major" is not a severity`},
		{"bad output", []string{"--config", "x", "-o", "pdf"}, exitUsage, "use text, json or html"},
		{"invalid config", []string{"--config", bad}, exitFailure, "bad.yaml:3:8: node.nme: unknown field"},
		{"missing range file", []string{"--config", "../../examples/three-providers.yaml", "--ip-ranges", "nowhere.json"}, exitFailure, "nowhere.json"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderrText := auditRun(t, tc.args...)
			if code != tc.code || !strings.Contains(stderrText, tc.says) || out != "" {
				t.Errorf("exit %d, want %d; stderr %q should say %q; stdout %q should be empty", code, tc.code, stderrText, tc.says, out)
			}
		})
	}
}

// writeRangeFiles writes small range files in AWS's, Google Cloud's and
// Cloudflare's formats, placing three-providers.yaml's addresses: its
// nodes where they say they are, but api-gcp's address in AWS.
func writeRangeFiles(t *testing.T) (dir string) {
	dir = t.TempDir()
	files := map[string]string{
		"ip-ranges.json": `{"syncToken": "1", "createDate": "2026-11-24-00-00-00", "prefixes": [
			{"ip_prefix": "203.0.113.0/28", "region": "us-east-1", "service": "EC2", "network_border_group": "us-east-1"},
			{"ip_prefix": "203.0.113.16/29", "region": "us-east-1", "service": "EC2", "network_border_group": "us-east-1"},
			{"ip_prefix": "198.51.100.0/28", "region": "us-east-1", "service": "EC2", "network_border_group": "us-east-1"}],
			"ipv6_prefixes": []}`,
		"cloud.json": `{"syncToken": "1", "creationTime": "2026-11-24T00:00:00", "prefixes": [
			{"ipv4Prefix": "198.51.100.16/29", "service": "Google Cloud", "scope": "us-central1"}]}`,
		"cf-v4.txt": "# Cloudflare\n192.0.2.0/25\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestAuditIPRanges reads range files in the providers' formats and flags
// the endpoint whose address is not where its location says.
func TestAuditIPRanges(t *testing.T) {
	dir := writeRangeFiles(t)
	ranges := filepath.Join(dir, "ip-ranges.json") + "," + filepath.Join(dir, "cloud.json")
	code, r := auditJSON(t, "--config", "../../examples/three-providers.yaml", "--ip-ranges", ranges,
		"--ip-ranges", "cloudflare="+filepath.Join(dir, "cf-v4.txt"))
	want := []string{"critical location-mismatch api-gcp"} // 203.0.113.20 is in AWS's 203.0.113.16/29
	if got := findingKeys(r); code != exitFailure || !slices.Equal(got, want) {
		t.Fatalf("exit %d, findings %q; want exit 1 and %q", code, got, want)
	}
	for _, f := range r.Findings {
		if f.Check == audit.CheckLocationMismatch && !strings.Contains(f.Summary, "203.0.113.20 belongs to aws (203.0.113.16/29, us-east-1)") {
			t.Errorf("the mismatch says %q", f.Summary)
		}
	}
}

// TestAuditResolve looks the zone's delegation up in live DNS, from a real
// DNS server on loopback: it delegates to two nameservers of one CDN.
func TestAuditResolve(t *testing.T) {
	mux := dns.NewServeMux()
	mux.HandleFunc(".", func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		name := q.Question[0].Name
		switch {
		case name == "example.com." && q.Question[0].Qtype == dns.TypeNS:
			for _, ns := range []string{"a.cdn-dns.net.", "b.cdn-dns.net."} {
				m.Answer = append(m.Answer, &dns.NS{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeNS, Class: dns.ClassINET, Ttl: 60}, Ns: ns})
			}
		case strings.HasSuffix(name, ".cdn-dns.net.") && q.Question[0].Qtype == dns.TypeA:
			ip := net.ParseIP("192.0.2.1")
			if strings.HasPrefix(name, "b.") {
				ip = net.ParseIP("192.0.2.2")
			}
			m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: ip})
		}
		_ = w.WriteMsg(m)
	})
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: mux}
	go func() { _ = srv.ActivateAndServe() }()
	t.Cleanup(func() { _ = srv.Shutdown() })

	dir := writeRangeFiles(t)
	code, r := auditJSON(t, "--config", "../../examples/three-providers.yaml", "--resolve", "--resolver", pc.LocalAddr().String(),
		"--ip-ranges", "cloudflare="+filepath.Join(dir, "cf-v4.txt"))
	want := []string{"critical nameservers cloudflare example.com.", "warning live-delegation example.com."}
	if got := findingKeys(r); code != exitFailure || !slices.Equal(got, want) {
		t.Fatalf("exit %d, findings %q; want exit 1 and %q", code, got, want)
	}
	if s := r.Findings[0].Summary; !strings.Contains(s, "live DNS delegates example.com. only to nameservers that are in cloudflare (a.cdn-dns.net., b.cdn-dns.net.)") {
		t.Errorf("the nameserver finding says %q", s)
	}
}

// TestAuditHTMLInChromium renders the quorum trap's HTML report, as the
// command writes it, in a real browser and saves a screenshot
// ($OUTLAST_SCREENSHOT_DIR, else a temporary directory).
func TestAuditHTMLInChromium(t *testing.T) {
	code, page, stderrText := auditRun(t, "--config", "../../examples/quorum-trap.yaml", "-o", "html")
	if code != exitFailure || stderrText != "" {
		t.Fatalf("exit %d, stderr %q; want 1 and nothing", code, stderrText)
	}
	file := filepath.Join(t.TempDir(), "audit.html")
	if err := os.WriteFile(file, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	p := statuspagetest.Open(t, "file://"+file)
	type matrix struct {
		Rows                 int
		AWS, Quorum, Heading string
	}
	got, err := chromedp.Run(p.Context(), chromedp.Evaluate[matrix](`(() => {
		const row = document.querySelector('#matrix tr[data-domain="aws"]');
		const cells = row ? [...row.querySelectorAll("td")] : [];
		const visible = c => c ? [...c.childNodes].filter(n => !(n.classList && n.classList.contains("sr"))).map(n => n.textContent).join("").trim() : "";
		return {Rows: document.querySelectorAll("#matrix tbody tr[data-domain]").length,
			AWS: visible(cells[0]), Quorum: visible(cells[1]), Heading: document.body.innerText};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if got.Rows != 7 || got.AWS != "⚠ stuck · 50%" || got.Quorum != "✕ lost" ||
		!strings.Contains(got.Heading, "leaves 1 of 3 voters: the cluster has no Raft quorum") {
		t.Errorf("the browser shows %d rows, aws × api %q, aws quorum %q; want 7 rows, \"⚠ stuck · 50%%\", \"✕ lost\" and the lost quorum named", got.Rows, got.AWS, got.Quorum)
	}
	p.SaveScreenshot(t, "audit-quorum-trap.png", 0)
}

// auditLive audits the running cluster through a follower's API: the
// members' locations come from the cluster itself, so the only finding is
// the single-endpoint service the API test applied, while the same node's
// file, whose peers carry no location, cannot be audited as well.
func (lab *clusterLab) auditLive(t *testing.T) {
	n := lab.aFollower()
	code, r := auditJSON(t, "--addr", n.httpAddr, "--token", readToken)
	want := []string{"critical service-down gcp static.example.test."} // its one endpoint is in gcp
	if got := findingKeys(r); code != exitFailure || !slices.Equal(got, want) ||
		!slices.Equal(r.Services, []string{"api.example.test.", "static.example.test."}) {
		t.Errorf("audit --addr %s: exit %d with %q for services %q; want 1 and %q (nodes in aws, gcp and azure)",
			n.httpAddr, code, got, r.Services, want)
	}
	var rows []string
	for _, d := range r.Domains {
		if d.Scope == audit.ScopeSingle {
			rows = append(rows, fmt.Sprintf("%s quorum=%t ns=%d/%d", d.Domain, d.Quorum, d.Nameservers, d.NameserversTotal))
		}
	}
	if want := []string{"aws quorum=true ns=2/3", "azure quorum=true ns=2/3", "gcp quorum=true ns=2/3"}; !slices.Equal(rows, want) {
		t.Errorf("single-failure rows %q, want %q (each nameserver placed on its node)", rows, want)
	}
	code, fromFile := auditJSON(t, "--config", n.config)
	got := findingKeys(fromFile)
	for _, peer := range lab.nodes {
		if peer != n && (code != exitFailure || !slices.Contains(got, "warning location-unknown "+peer.name)) {
			t.Errorf("audit of %s's file: exit %d with %q; want 1 and %s's location unknown", n.name, code, got, peer.name)
		}
	}
	if code, _, stderrText := auditRun(t, "--addr", n.httpAddr); code != exitFailure || !strings.Contains(stderrText, "401") {
		t.Errorf("audit --addr without a token: exit %d, stderr %q; want 1 and the 401", code, stderrText)
	}
}

// TestAuditDocsShowRealOutput keeps docs/audit.md's examples what the
// command really prints.
func TestAuditDocsShowRealOutput(t *testing.T) {
	doc, err := os.ReadFile("../../docs/audit.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, example := range []string{"quorum-trap.yaml", "three-providers.yaml"} {
		_, out, _ := auditRun(t, "--config", "../../examples/"+example)
		out = strings.ReplaceAll(out, "../../examples/", "examples/")
		if !strings.Contains(string(doc), strings.TrimSpace(out)) {
			t.Errorf("docs/audit.md does not show what outlast audit --config examples/%s prints now:\n%s", example, out)
		}
	}
}

// apiOverTLS: off loopback a node serves its API over TLS with a
// certificate from the cluster CA, so the CLI must be able to trust that
// CA. A TLS proxy holding such a certificate stands in for the node here
// (the lab's nodes are on loopback, where they serve plain HTTP).
func (lab *clusterLab) apiOverTLS(t *testing.T) {
	tlsDir := filepath.Join(lab.dir, "tls")
	lab.run("tls", "node", "api-proxy", "--dir", tlsDir, "--host", "127.0.0.1")
	files := tlsca.NodeFiles(tlsDir, "api-proxy")
	cert, err := tls.LoadX509KeyPair(files.Cert, files.Key)
	if err != nil {
		t.Fatal(err)
	}
	n := lab.aFollower()
	srv := httptest.NewUnstartedServer(httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: n.httpAddr}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	defer srv.Close()

	if code, out, stderrText := auditRun(t, "--addr", srv.URL, "--token", readToken, "--ca", files.CA); code != exitFailure ||
		!strings.Contains(out, "outlast audit of "+srv.URL) || !strings.Contains(out, "service-down") {
		t.Errorf("audit over https with --ca: exit %d\n%s%s", code, out, stderrText)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"status", "--addr", srv.URL, "--token", readToken}, &stdout, &stderr); code != exitFailure ||
		!strings.Contains(stderr.String(), "certificate") {
		t.Errorf("status over https without the CA must fail on the certificate: exit %d, %q", code, stderr.String())
	}
	t.Setenv("OUTLAST_CA", files.CA)
	stdout.Reset()
	if code := run([]string{"status", "--addr", srv.URL, "--token", readToken}, &stdout, &stderr); code != exitOK ||
		!strings.Contains(stdout.String(), "MEMBER") {
		t.Errorf("status over https with OUTLAST_CA: exit %d\n%s", code, stdout.String())
	}
}
