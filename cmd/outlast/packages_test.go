package main

import (
	"go/parser"
	"go/token"
	"os"
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
