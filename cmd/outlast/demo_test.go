package main

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestDemoRegionOutageJSON runs the README's first command for one
// scenario, as a user would script it, and holds the figures to issue 4's
// bounds.
func TestDemoRegionOutageJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("plays an outage in real time")
	}
	html := filepath.Join(t.TempDir(), "report.html")
	cmd := exec.Command(buildOutlast(t), "demo", "--scenario", "region-outage", "--json", "--html", html)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("outlast demo --scenario region-outage --json: %v\n%s", err, out)
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
}
