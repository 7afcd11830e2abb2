package main

import (
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestEveryPackageHasOneDoc holds the habit that each package says, once,
// what it owns (tailscale enforces the same).
func TestEveryPackageHasOneDoc(t *testing.T) {
	root := "../.."
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata") {
			return filepath.SkipDir
		}
		files, _ := filepath.Glob(filepath.Join(path, "*.go"))
		var docs []string
		sources := 0
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			sources++
			file, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.PackageClauseOnly|parser.ParseComments)
			if err != nil {
				return err
			}
			if file.Doc != nil {
				docs = append(docs, filepath.Base(f))
			}
		}
		if sources > 0 && len(docs) != 1 {
			t.Errorf("package %s has a package doc comment in %d files %v, want exactly one", path, len(docs), docs)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestPurePackagesDoNoIO holds the design rule that the decision logic is
// pure: nothing the pure packages link may reach the network, Raft, DNS,
// gRPC, metrics or a logger (tailscale's deptest idea).
func TestPurePackagesDoNoIO(t *testing.T) {
	for _, pkg := range []string{"model", "clock", "config", "health", "steer", "state", "audit", "ipranges", "geo", "balance", "outlier", "retrybudget", "primary", "rrl", "dnscookie", "zoneserial"} {
		out, err := exec.Command("go", "list", "-deps", "outlast/internal/"+pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps outlast/internal/%s: %v", pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			if doesIO(dep) {
				t.Errorf("package %s depends on %s; it must stay pure", pkg, dep)
			}
		}
	}
}

func doesIO(pkg string) bool {
	if pkg == "net" || pkg == "log" || pkg == "log/slog" || pkg == "os/exec" {
		return true
	}
	if strings.HasPrefix(pkg, "net/") && pkg != "net/netip" {
		return true
	}
	for _, prefix := range []string{"github.com/miekg/dns", "github.com/hashicorp/", "google.golang.org/grpc", "github.com/prometheus/"} {
		if strings.HasPrefix(pkg, prefix) {
			return true
		}
	}
	return false
}
