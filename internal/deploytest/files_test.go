package deploytest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// root is the repository root, seen from this package's directory, where go test runs.
const root = "../.."

const (
	rulesFile     = "deploy/prometheus/outlast-alerts.yml"
	ruleTestsFile = "deploy/prometheus/outlast-alerts_test.yml"
	dashboardFile = "deploy/grafana/outlast.json"
	runbookDoc    = "docs/operations.md"
)

func readFile(t *testing.T, rel string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		t.Fatalf("deploytest: %v", err)
	}
	return data
}

// promtool returns promtool's path, or "" when it is not installed
// (.ci/install-promtool installs it in CI).
func promtool() string {
	path, err := exec.LookPath("promtool")
	if err != nil {
		return ""
	}
	return path
}

// runPromtool runs promtool in the repository root and fails the test with its output.
func runPromtool(t *testing.T, path string, args ...string) {
	t.Helper()
	cmd := exec.Command(path, args...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}
