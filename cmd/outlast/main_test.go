package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	buildOnce sync.Once
	binDir    string
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// buildOutlast builds the binary once for the tests that run it as a process.
func buildOutlast(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if binDir, buildErr = os.MkdirTemp("", "outlast-test-"); buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "outlast")
		if out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func runCmd(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestConfigCheck(t *testing.T) {
	code, out, _ := runCmd("config", "check", "../../examples/single-node.yaml")
	if code != exitOK || out != "../../examples/single-node.yaml: ok\n" {
		t.Errorf("valid example: exit %d, output %q; want exit 0 and \"...: ok\"", code, out)
	}

	bad := filepath.Join(t.TempDir(), "bad.yaml")
	example, err := os.ReadFile("../../examples/single-node.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(example), "      fall: 2", "      fall: 2\n      retries: 3", 1)
	text = strings.Replace(text, "addresses: [127.0.0.12]", "addresses: [127.0.0.1234]", 1)
	if err := os.WriteFile(bad, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCmd("config", "check", bad)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != exitFailure || len(lines) != 2 {
		t.Fatalf("broken config: exit %d, output:\n%s\nwant exit 1 and two problems", code, out)
	}
	for i, want := range []string{"services[0].check.retries: unknown field", "services[0].endpoints[1].addresses[0]: \"127.0.0.1234\" is not an IP address"} {
		if !strings.HasPrefix(lines[i], bad+":") || !strings.Contains(lines[i], want) {
			t.Errorf("problem %d = %q, want it to start with the file and say %q", i, lines[i], want)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{}, {"frobnicate"}, {"config"}, {"serve", "--no-such-flag"}, {"backend", "extra"}} {
		if code, _, _ := runCmd(args...); code != exitUsage {
			t.Errorf("outlast %v: exit %d, want %d (usage)", args, code, exitUsage)
		}
	}
	if code, out, _ := runCmd("version"); code != exitOK || !strings.HasPrefix(out, "outlast ") {
		t.Errorf("outlast version: exit %d, output %q", code, out)
	}
	if code, _, stderrText := runCmd("serve", "--config", "/nonexistent.yaml"); code != exitFailure || !strings.Contains(stderrText, "no such file") {
		t.Errorf("serve with a missing config: exit %d, stderr %q; want exit 1 naming the problem", code, stderrText)
	}
}

// TestNoSilentExit: every way of getting a command line wrong says what
// was wrong, and `serve FILE` says how to give the file.
func TestNoSilentExit(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "outlast.yaml"}, {"serve", "--nope"}, {"backend", "extra"}, {"status", "extra"},
		{"endpoints", "a", "b"}, {"events", "extra"}, {"drain"}, {"force", "sideways"},
		{"config"}, {"config", "get", "extra"}, {"tls"}, {"tls", "init", "extra"}, {"token"},
		{"token", "new", "extra"}, {"audit", "extra"}, {"cluster"}, {"cluster", "status", "a", "b"},
		{"demo"}, {"drill"}, {"nope"}, {},
	} {
		code, _, stderr := runCmd(args...)
		if code != exitUsage || strings.TrimSpace(stderr) == "" {
			t.Errorf("outlast %s: exit %d, stderr %q; want %d and what to fix", strings.Join(args, " "), code, stderr, exitUsage)
		}
	}
	_, _, stderr := runCmd("serve", "prod.yaml")
	if !strings.Contains(stderr, "outlast serve --config prod.yaml") {
		t.Errorf("outlast serve prod.yaml says %q; want it to say: outlast serve --config prod.yaml", stderr)
	}
	if code, _, stderr := runCmd("serve", "-h"); code != exitOK || !strings.Contains(stderr, "-config") {
		t.Errorf("outlast serve -h: exit %d, stderr %q; want 0 and the flags", code, stderr)
	}
}
