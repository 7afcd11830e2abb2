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
	var out, errOut bytes.Buffer
	code = tlsCmd(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestTLSCmdInitAndNode(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	code, out, errOut := runTLS("init", "--dir", dir, "--name", "prod")
	if code != exitOK || !strings.Contains(out, filepath.Join(dir, "ca.pem")) || !strings.Contains(out, "next: outlast tls node") {
		t.Fatalf("tls init: exit %d, stdout %q, stderr %q; want exit 0 naming ca.pem and the next step", code, out, errOut)
	}
	// Flags after the node name, a repeated --host and a comma list.
	code, out, errOut = runTLS("node", "aws-use1", "--dir", dir, "--host", "10.0.0.7", "--host", "ns1.example.com,2001:db8::7")
	if code != exitOK {
		t.Fatalf("tls node: exit %d, stderr %q", code, errOut)
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
	if code, _, errOut := runTLS("node", "--dir", dir, "gcp-usc1"); code != exitOK {
		t.Errorf("tls node with flags first: exit %d, stderr %q", code, errOut)
	}
}

func TestTLSCmdRefusesToOverwrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	if code, _, errOut := runTLS("init", "--dir", dir); code != exitOK {
		t.Fatalf("tls init: exit %d, stderr %q", code, errOut)
	}
	code, _, errOut := runTLS("init", "--dir", dir)
	if code != exitFailure || !strings.Contains(errOut, "ca.pem") || !strings.Contains(errOut, "docs/tls.md") {
		t.Errorf("second tls init: exit %d, stderr %q; want exit 1 naming ca.pem and how to rotate", code, errOut)
	}
	if code, _, errOut := runTLS("node", "n1", "--dir", dir); code != exitOK {
		t.Fatalf("tls node: exit %d, stderr %q", code, errOut)
	}
	before, _ := os.ReadFile(filepath.Join(dir, "n1.pem"))
	code, _, errOut = runTLS("node", "n1", "--dir", dir)
	if code != exitFailure || !strings.Contains(errOut, "--force") {
		t.Errorf("second tls node: exit %d, stderr %q; want exit 1 suggesting --force", code, errOut)
	}
	code, out, errOut := runTLS("node", "n1", "--dir", dir, "--force")
	after, _ := os.ReadFile(filepath.Join(dir, "n1.pem"))
	if code != exitOK || bytes.Equal(before, after) || !strings.Contains(out, "no restart") {
		t.Errorf("tls node --force: exit %d, stdout %q, stderr %q; want exit 0 and a new certificate", code, out, errOut)
	}
}

func TestTLSCmdFailures(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := runTLS("node", "n1", "--dir", dir); code != exitFailure || !strings.Contains(errOut, "tls init") {
		t.Errorf("tls node without a CA: exit %d, stderr %q; want exit 1 pointing at tls init", code, errOut)
	}
	if code, _, _ := runTLS("init", "--dir", filepath.Join(dir, "ca")); code != exitOK {
		t.Fatal("tls init failed")
	}
	if code, _, errOut := runTLS("node", "bad/name", "--dir", filepath.Join(dir, "ca")); code != exitFailure || errOut == "" {
		t.Errorf("tls node with a bad name: exit %d, stderr %q; want exit 1 and a reason", code, errOut)
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
