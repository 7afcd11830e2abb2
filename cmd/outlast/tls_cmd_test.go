package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"outlast/internal/tlsca"
)

func runTLS(args ...string) (code int, stdout, stderr string) {
	var out, stderrText bytes.Buffer
	code = tlsCmd(args, &out, &stderrText)
	return code, out.String(), stderrText.String()
}

func TestTLSCmdInitAndNode(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	code, out, stderrText := runTLS("init", "--dir", dir, "--name", "prod")
	if code != exitOK || !strings.Contains(out, filepath.Join(dir, "ca.pem")) || !strings.Contains(out, "next: outlast tls node") {
		t.Fatalf("tls init: exit %d, stdout %q, stderr %q; want exit 0 naming ca.pem and the next step", code, out, stderrText)
	}
	// Flags after the node name, a repeated --host and a comma list.
	code, out, stderrText = runTLS("node", "aws-use1", "--dir", dir, "--host", "10.0.0.7", "--host", "ns1.example.com,2001:db8::7")
	if code != exitOK {
		t.Fatalf("tls node: exit %d, stderr %q", code, stderrText)
	}
	for _, want := range []string{"aws-use1.pem", "aws-use1-key.pem", "10.0.0.7", "ns1.example.com", "2001:db8::7", "cert_file: /etc/outlast/tls/aws-use1.pem"} {
		if !strings.Contains(out, want) {
			t.Errorf("tls node output lacks %q:\n%s", want, out)
		}
	}
	files := tlsca.NodeFiles(dir, "aws-use1")
	if _, err := tlsca.Load(files, "aws-use1"); err != nil {
		t.Fatalf("files written by tls node do not load: %v", err)
	}
	if info, err := os.Stat(files.Key); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("node key: %v %v, want mode 0600", info.Mode(), err)
	}
	// Flags before the name work too.
	if code, _, stderrText := runTLS("node", "--dir", dir, "gcp-usc1"); code != exitOK {
		t.Errorf("tls node with flags first: exit %d, stderr %q", code, stderrText)
	}
}

func TestTLSCmdRefusesToOverwrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	if code, _, stderrText := runTLS("init", "--dir", dir); code != exitOK {
		t.Fatalf("tls init: exit %d, stderr %q", code, stderrText)
	}
	code, _, stderrText := runTLS("init", "--dir", dir)
	if code != exitFailure || !strings.Contains(stderrText, "ca.pem") || !strings.Contains(stderrText, "docs/tls.md") {
		t.Errorf("second tls init: exit %d, stderr %q; want exit 1 naming ca.pem and how to rotate", code, stderrText)
	}
	if code, _, stderrText := runTLS("node", "n1", "--dir", dir); code != exitOK {
		t.Fatalf("tls node: exit %d, stderr %q", code, stderrText)
	}
	before, _ := os.ReadFile(filepath.Join(dir, "n1.pem"))
	code, _, stderrText = runTLS("node", "n1", "--dir", dir)
	if code != exitFailure || !strings.Contains(stderrText, "--force") {
		t.Errorf("second tls node: exit %d, stderr %q; want exit 1 suggesting --force", code, stderrText)
	}
	code, out, stderrText := runTLS("node", "n1", "--dir", dir, "--force")
	after, _ := os.ReadFile(filepath.Join(dir, "n1.pem"))
	if code != exitOK || bytes.Equal(before, after) || !strings.Contains(out, "no restart") {
		t.Errorf("tls node --force: exit %d, stdout %q, stderr %q; want exit 0 and a new certificate", code, out, stderrText)
	}
}

func TestTLSCmdFailures(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderrText := runTLS("node", "n1", "--dir", dir); code != exitFailure || !strings.Contains(stderrText, "tls init") {
		t.Errorf("tls node without a CA: exit %d, stderr %q; want exit 1 pointing at tls init", code, stderrText)
	}
	if code, _, _ := runTLS("init", "--dir", filepath.Join(dir, "ca")); code != exitOK {
		t.Fatal("tls init failed")
	}
	if code, _, stderrText := runTLS("node", "bad/name", "--dir", filepath.Join(dir, "ca")); code != exitFailure || stderrText == "" {
		t.Errorf("tls node with a bad name: exit %d, stderr %q; want exit 1 and a reason", code, stderrText)
	}
}

func TestTLSCmdUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{}, {"frobnicate"}, {"init", "extra"}, {"init", "--no-such-flag"},
		{"node"}, {"node", "a", "b"}, {"node", "a", "--host"}, {"node", "--force=maybe", "a"},
	} {
		if code, _, _ := runTLS(args...); code != exitUsage {
			t.Errorf("outlast tls %v: exit %d, want %d (usage)", args, code, exitUsage)
		}
	}
	if code, out, _ := runTLS("help"); code != exitOK || !strings.Contains(out, "outlast tls init") {
		t.Errorf("outlast tls help: exit %d, output %q", code, out)
	}
}
