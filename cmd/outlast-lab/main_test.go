package main

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"outlast/internal/statuspage/statuspagetest"
)

// buildLab builds this command as `go run` would, once per test run.
func buildLab(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "outlast-lab")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestDemoRegionOutageJSON runs the README's first command for one
// scenario, as a user would script it, and holds the figures to issue 4's
// bounds.
func TestDemoRegionOutageJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("plays an outage in real time")
	}
	html := filepath.Join(t.TempDir(), "report.html")
	cmd := exec.Command(buildLab(t), "--scenario", "region-outage", "--json", "--html", html)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("outlast-lab --scenario region-outage --json: %v\n%s", err, out)
	}
	var report struct {
		Scenarios []map[string]any `json:"scenarios"`
	}
	if err := json.Unmarshal(out, &report); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if len(report.Scenarios) != 1 {
		t.Fatalf("want one scenario, got %d", len(report.Scenarios))
	}
	s := report.Scenarios[0]
	for _, key := range []string{"name", "detection_s", "steering_s", "client_recovery_s", "client_errors",
		"client_success_pct_after", "false_failovers", "flaps", "return_s", "pass"} {
		if _, ok := s[key]; !ok {
			t.Errorf("scenario JSON lacks %q", key)
		}
	}
	t.Logf("region-outage: detection %v s, steering %v s, client recovery %v s, errors %v, success after %v%%",
		s["detection_s"], s["steering_s"], s["client_recovery_s"], s["client_errors"], s["client_success_pct_after"])
	num := func(k string) float64 { v, _ := s[k].(float64); return v }
	if d := num("detection_s"); d < 0 || d > 3 {
		t.Errorf("detection %v s, want within 3 s", d)
	}
	if d := num("steering_s"); d < 0 || d > 4 {
		t.Errorf("steering %v s, want within 4 s", d)
	}
	if p := num("client_success_pct_after"); p < 99 {
		t.Errorf("client success %v%% from TTL + 5 s after the fault, want at least 99%%", p)
	}
	if s["name"] != "region-outage" || s["pass"] != true || num("false_failovers") != 0 || num("flaps") != 0 {
		t.Errorf("scenario result: %v", s)
	}
	t.Run("its HTML report in Chromium", func(t *testing.T) { demoReportInChromium(t, html) })
}

// TestDemoProxyRegionOutageJSON runs issue 16's command: the region
// outage with half the devices through the nodes' HTTP proxies, which must
// see 100.00% success and not one error, beside the DNS-only devices'
// errors.
func TestDemoProxyRegionOutageJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("plays an outage in real time")
	}
	out, err := exec.Command(buildLab(t), "--scenario", "proxy-region-outage", "--json", "--html", "").Output()
	if err != nil {
		t.Fatalf("outlast-lab --scenario proxy-region-outage --json: %v\n%s", err, out)
	}
	type group struct {
		ClientErrors     *int     `json:"client_errors"`
		ClientRequests   int      `json:"client_requests"`
		ClientSuccessPct float64  `json:"client_success_pct"`
		MaxLatencyS      *float64 `json:"max_latency_s"`
	}
	var report struct {
		Scenarios []struct {
			Name    string `json:"name"`
			Pass    bool   `json:"pass"`
			DNSOnly *group `json:"dns_only"`
			Proxied *group `json:"proxied"`
		} `json:"scenarios"`
	}
	if err := json.Unmarshal(out, &report); err != nil || len(report.Scenarios) != 1 {
		t.Fatalf("want the JSON of one scenario, got %v:\n%s", err, out)
	}
	s := report.Scenarios[0]
	if s.Name != "proxy-region-outage" || !s.Pass || s.DNSOnly == nil || s.Proxied == nil ||
		s.DNSOnly.ClientErrors == nil || s.Proxied.ClientErrors == nil || s.Proxied.MaxLatencyS == nil {
		t.Fatalf("want a passing proxy-region-outage with dns_only and proxied figures, got\n%s", out)
	}
	p, d := s.Proxied, s.DNSOnly
	t.Logf("proxied: %d/%d errors, %.2f%%, slowest %.3f s; dns-only: %d/%d errors, %.2f%%",
		*p.ClientErrors, p.ClientRequests, p.ClientSuccessPct, *p.MaxLatencyS, *d.ClientErrors, d.ClientRequests, d.ClientSuccessPct)
	if *p.ClientErrors != 0 || p.ClientRequests == 0 || p.ClientSuccessPct != 100 {
		t.Errorf("proxied clients: %d/%d errors, %.2f%% success; want 0 errors and 100.00%%", *p.ClientErrors, p.ClientRequests, p.ClientSuccessPct)
	}
}

// TestDemoPrimaryRegionOutageJSON runs issue 17's demo command: the
// primary database's region fails, the replica is promoted through its
// hook, the name moves, and the checker saw no violation of exactly one
// primary.
func TestDemoPrimaryRegionOutageJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("plays an outage in real time")
	}
	out, err := exec.Command(buildLab(t), "--scenario", "primary-region-outage", "--json", "--html", "", "--devices", "50").Output()
	if err != nil {
		t.Fatalf("outlast-lab --scenario primary-region-outage --json: %v\n%s", err, out)
	}
	var report struct {
		Scenarios []struct {
			Name    string `json:"name"`
			Pass    bool   `json:"pass"`
			Primary *struct {
				From       string   `json:"from"`
				To         string   `json:"to"`
				Epoch      uint64   `json:"epoch"`
				PromotedS  float64  `json:"promoted_s"`
				MovedS     float64  `json:"moved_s"`
				DemotedS   float64  `json:"demoted_s"`
				Promotions int      `json:"promotions"`
				Violations *int     `json:"violations"`
				Final      []string `json:"final"`
			} `json:"primary"`
		} `json:"scenarios"`
	}
	if err := json.Unmarshal(out, &report); err != nil || len(report.Scenarios) != 1 {
		t.Fatalf("want the JSON of one scenario, got %v:\n%s", err, out)
	}
	s := report.Scenarios[0]
	if s.Name != "primary-region-outage" || s.Primary == nil || s.Primary.Violations == nil {
		t.Fatalf("want primary-region-outage with its primary figures, got\n%s", out)
	}
	p := s.Primary
	t.Logf("%s → %s at epoch %d: promoted after %v s, name moved after %v s, demoted %v s after the heal; %d promotions, %d violations",
		p.From, p.To, p.Epoch, p.PromotedS, p.MovedS, p.DemotedS, p.Promotions, *p.Violations)
	if !s.Pass || p.To != "db-gcp" || p.Promotions != 1 || *p.Violations != 0 || p.DemotedS < 0 || strings.Join(p.Final, ",") != "db-gcp" {
		t.Errorf("want a pass, one promotion to db-gcp, no violation, db-use1 demoted and the name on db-gcp; got\n%s", out)
	}
}

// demoReportInChromium opens the report the demo wrote, as a user would,
// and wants the scenario's chart laid out, its legend naming the region
// that failed and one that took over, nothing fetched from outside the
// file, and a screenshot ($OUTLAST_SCREENSHOT_DIR, else a temporary
// directory) for a person to look at.
func demoReportInChromium(t *testing.T, html string) {
	p := statuspagetest.Open(t, "file://"+html)
	type chart struct {
		Charts int
		W, H   float64
		Legend string
	}
	got, err := chromedp.Run(p.Context(), chromedp.Evaluate[chart](`(() => {
		const charts = document.querySelectorAll("svg.timeline");
		const box = charts.length ? charts[0].getBoundingClientRect() : {width: 0, height: 0};
		return {Charts: charts.length, W: box.width, H: box.height, Legend: document.body.innerText};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if got.Charts != 1 || got.W <= 0 || got.H <= 0 {
		t.Errorf("the report shows %d charts, the first %.0fx%.0f; want one laid-out chart", got.Charts, got.W, got.H)
	}
	if !strings.Contains(got.Legend, "served by use1") || !regexp.MustCompile(`served by (usw2|usc1)`).MatchString(got.Legend) {
		t.Errorf("the report's legend names no failed and no surviving region:\n%s", got.Legend)
	}
	p.WantSelfContained(t)
	p.SaveScreenshot(t, "demo-region-outage.png", 0)
}

func TestUsage(t *testing.T) {
	var out, stderr bytes.Buffer
	if code := run([]string{"extra"}, &out, &stderr); code != exitUsage || !strings.Contains(stderr.String(), `unexpected argument "extra"`) {
		t.Errorf("an argument: exit %d, stderr %q; want %d and what was wrong", code, stderr.String(), exitUsage)
	}
	stderr.Reset()
	if code := run([]string{"--scenario", "nope"}, &out, &stderr); code != exitUsage || !strings.Contains(stderr.String(), "region-outage") {
		t.Errorf("an unknown scenario: exit %d, stderr %q; want %d and the scenarios to choose from", code, stderr.String(), exitUsage)
	}
	stderr.Reset()
	if code := run([]string{"-h"}, &out, &stderr); code != exitOK || !strings.Contains(stderr.String(), "-scenario") {
		t.Errorf("-h: exit %d, stderr %q; want 0 and the flags", code, stderr.String())
	}
}
