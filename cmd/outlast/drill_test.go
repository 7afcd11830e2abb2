package main

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"outlast/internal/errtest"
)

func TestDrillCommandLineSaysWhatIsMissing(t *testing.T) {
	for _, args := range [][]string{
		{"drill"},
		{"drill", "--endpoint", "primary"},
		{"drill", "--endpoint", "primary", "--nameservers", "127.0.0.1:53", "stray"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != exitUsage || stderr.Len() == 0 {
			t.Errorf("%q: exit %d, stderr %q; want %d and a message", args, code, stderr.String(), exitUsage)
		}
	}
}

// TestDrillFindsTheNodesAPIInItsConfig: plain HTTP on a loopback listener,
// https with the cluster CA off loopback (the node serves TLS there), and
// 127.0.0.1 for a listener on every address.
func TestDrillFindsTheNodesAPIInItsConfig(t *testing.T) {
	cases := []struct {
		file, ca, addr, wantCA string
	}{
		{"../../examples/single-node.yaml", "", "127.0.0.1:8080", ""},
		{"../../examples/one-provider.yaml", "", "https://127.0.0.1:8443", "/etc/outlast/ca.pem"},
		{"../../examples/one-provider.yaml", "/tmp/other-ca.pem", "https://127.0.0.1:8443", "/tmp/other-ca.pem"},
	}
	// A node that serves TLS on loopback too (http.tls: always).
	example, err := os.ReadFile("../../examples/one-provider.yaml")
	if err != nil {
		t.Fatal(err)
	}
	always := filepath.Join(t.TempDir(), "always.yaml")
	text := strings.Replace(string(example), "  listen: 0.0.0.0:8443\n", "  listen: 127.0.0.1:8443\n  tls: always\n", 1)
	if err := os.WriteFile(always, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cases = append(cases, struct{ file, ca, addr, wantCA string }{always, "", "https://127.0.0.1:8443", "/etc/outlast/ca.pem"})
	for _, c := range cases {
		addr, ca, err := apiOfConfig(c.file, c.ca)
		if err != nil || addr != c.addr || ca != c.wantCA {
			t.Errorf("%s (--ca %q): %q, CA %q, %v; want %q, %q", c.file, c.ca, addr, ca, err, c.addr, c.wantCA)
		}
	}
	// A missing file stays fs.ErrNotExist, and the error tells the
	// operator the way around it.
	_, _, err = apiOfConfig("no-such.yaml", "")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing file: %v, want fs.ErrNotExist", err)
	}
	errtest.WantMessage(t, err, "no-such.yaml", "--addr")
}
