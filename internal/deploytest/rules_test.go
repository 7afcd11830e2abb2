package deploytest

import (
	"bufio"
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// The alerts deploy/README.md promises; a rename must be deliberate.
var wantAlerts = []string{
	"OutlastEndpointDown", "OutlastNameNotSteering", "OutlastProbeDisagreement", "OutlastCertificateExpiring",
	"OutlastNodeDown", "OutlastNodeStale", "OutlastCannotWriteLog", "OutlastNoLeader", "OutlastLeaderFlapping",
	"OutlastConfigReloadFailed", "OutlastConfigDiverged", "OutlastPrimarySplitBrain", "OutlastPrimaryHeld",
}

type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []rule `yaml:"rules"`
	} `yaml:"groups"`
}

type rule struct {
	Alert       string            `yaml:"alert"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

// decodeStrict decodes YAML rejecting unknown fields, so a misspelt
// "anotations" fails here rather than silently dropping the annotations.
func decodeStrict(t *testing.T, data []byte, v any) {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("deploytest: decode: %v", err)
	}
}

func loadRules(t *testing.T) []rule {
	t.Helper()
	var f ruleFile
	decodeStrict(t, readFile(t, rulesFile), &f)
	var rules []rule
	for _, g := range f.Groups {
		if g.Name == "" || len(g.Rules) == 0 {
			t.Errorf("%s: group %q needs a name and rules", rulesFile, g.Name)
		}
		rules = append(rules, g.Rules...)
	}
	return rules
}

func TestAlertRules(t *testing.T) {
	rules := loadRules(t)
	anchors := headingAnchors(t)
	seen := map[string]bool{}
	for _, r := range rules {
		checkRule(t, r, anchors)
		if seen[r.Alert] {
			t.Errorf("alert %s is defined twice", r.Alert)
		}
		seen[r.Alert] = true
	}
	for _, name := range wantAlerts {
		if !seen[name] {
			t.Errorf("%s has no alert %s", rulesFile, name)
		}
	}
	checkRuleTestsCover(t, seen)

	path := promtool()
	if path == "" {
		t.Log("promtool not on PATH: checked the rules' structure only. PromQL syntax and the rule unit tests " +
			"need promtool (.ci/install-promtool installs it in CI); the Prometheus PromQL parser is too heavy " +
			"a module to import for this.")
		return
	}
	runPromtool(t, path, "check", "rules", rulesFile)
	runPromtool(t, path, "test", "rules", ruleTestsFile)
}

func checkRule(t *testing.T, r rule, anchors map[string]bool) {
	t.Helper()
	if r.Alert == "" || strings.TrimSpace(r.Expr) == "" {
		t.Errorf("rule %q: every rule here is an alert with an expr", r.Alert)
		return
	}
	if _, err := time.ParseDuration(r.For); err != nil {
		t.Errorf("alert %s: for %q: %v", r.Alert, r.For, err)
	}
	if s := r.Labels["severity"]; s != "warning" && s != "critical" {
		t.Errorf("alert %s: severity label is %q, want warning or critical", r.Alert, s)
	}
	for _, key := range []string{"summary", "description", "runbook"} {
		if strings.TrimSpace(r.Annotations[key]) == "" {
			t.Errorf("alert %s: no %s annotation", r.Alert, key)
		}
	}
	anchor, ok := strings.CutPrefix(r.Annotations["runbook"], runbookDoc+"#")
	if !ok || !anchors[anchor] {
		t.Errorf("alert %s: runbook %q is not a section of %s (sections: %v)", r.Alert, r.Annotations["runbook"], runbookDoc, anchors)
	}
}

// checkRuleTestsCover holds the promtool unit tests to alerts that exist,
// and to at least four of them.
func checkRuleTestsCover(t *testing.T, alerts map[string]bool) {
	t.Helper()
	var f struct {
		RuleFiles []string `yaml:"rule_files"`
		Tests     []struct {
			AlertRuleTest []struct {
				AlertName string `yaml:"alertname"`
			} `yaml:"alert_rule_test"`
		} `yaml:"tests"`
	}
	if err := yaml.Unmarshal(readFile(t, ruleTestsFile), &f); err != nil {
		t.Fatalf("deploytest: %s: %v", ruleTestsFile, err)
	}
	if len(f.RuleFiles) != 1 || f.RuleFiles[0] != "outlast-alerts.yml" {
		t.Errorf("%s: rule_files = %v, want [outlast-alerts.yml]", ruleTestsFile, f.RuleFiles)
	}
	tested := map[string]bool{}
	for _, tc := range f.Tests {
		for _, a := range tc.AlertRuleTest {
			if !alerts[a.AlertName] {
				t.Errorf("%s tests alert %q, which the rules do not define", ruleTestsFile, a.AlertName)
			}
			tested[a.AlertName] = true
		}
	}
	if len(tested) < 4 {
		t.Errorf("%s covers %d alerts, want at least 4", ruleTestsFile, len(tested))
	}
}

var nonAnchor = regexp.MustCompile(`[^a-z0-9 _-]`)

// headingAnchors returns the anchors of the runbook document's headings,
// made the way GitHub makes them.
func headingAnchors(t *testing.T) map[string]bool {
	t.Helper()
	anchors := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(readFile(t, runbookDoc)))
	inFence := false
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "```") {
			inFence = !inFence
		}
		if inFence || !strings.HasPrefix(line, "#") {
			continue
		}
		title := strings.ToLower(strings.TrimSpace(strings.TrimLeft(line, "#")))
		anchors[strings.ReplaceAll(nonAnchor.ReplaceAllString(title, ""), " ", "-")] = true
	}
	return anchors
}
