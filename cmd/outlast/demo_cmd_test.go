package main

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

// TestDemoRunsTheLab: in a source checkout, `outlast demo ARGS` builds
// ./cmd/outlast-lab and runs it with ARGS, its output and exit code passed
// through; away from one it says how to get the demo (TestNoSilentExit).
func TestDemoRunsTheLab(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go on the PATH: the demo runs through go run")
	}
	t.Chdir("../..")
	var out, stderr bytes.Buffer
	if code := demoCmd([]string{"--scenario", "nope"}, &out, &stderr); code != exitUsage || !strings.Contains(stderr.String(), "proxy-region-outage") {
		t.Errorf("outlast demo --scenario nope: exit %d, stderr %q; want the lab's usage exit (%d) and its scenarios", code, stderr.String(), exitUsage)
	}
	stderr.Reset()
	if code := demoCmd([]string{"-h"}, &out, &stderr); code != exitOK || !strings.Contains(stderr.String(), "-scenario") {
		t.Errorf("outlast demo -h: exit %d, stderr %q; want 0 and the lab's flags", code, stderr.String())
	}
}
