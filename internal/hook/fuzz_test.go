package hook

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzResolve holds the hook directory's promise for any program name a
// configuration could carry: what resolve accepts is a regular file strictly
// inside the directory, and a name containing ".." is always refused.
func FuzzResolve(f *testing.F) {
	root := f.TempDir()
	dir := filepath.Join(root, "hooks")
	outside := filepath.Join(root, "outside")
	for _, d := range []string{dir, outside, filepath.Join(dir, "sub")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			f.Fatal(err)
		}
	}
	for _, p := range []string{filepath.Join(dir, "promote"), filepath.Join(dir, "sub", "demote"), filepath.Join(outside, "evil")} {
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
			f.Fatal(err)
		}
	}
	links := map[string]string{"out": filepath.Join(outside, "evil"), "in": "promote", "updir": "..", "sub/back": "../promote"}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			f.Fatal(err)
		}
	}
	for _, seed := range []string{"promote", "sub/demote", "out", "in", "updir/outside/evil", "sub/back",
		"../outside/evil", filepath.Join(outside, "evil"), filepath.Join(dir, "promote"), dir, "/", "", ".", "./promote", "sub//demote"} {
		f.Add(seed)
	}
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		f.Fatal(err)
	}
	r := &Runner{Dir: dir}
	f.Fuzz(func(t *testing.T, name string) {
		path, err := r.resolve(name)
		if err != nil {
			return
		}
		if strings.Contains(name, "..") {
			t.Fatalf("%q contains \"..\" and was accepted as %s", name, path)
		}
		if !strings.HasPrefix(path, realDir+string(filepath.Separator)) {
			t.Fatalf("%q resolved to %s, outside %s", name, path, realDir)
		}
		if fi, err := os.Lstat(path); err != nil || !fi.Mode().IsRegular() {
			t.Fatalf("%q resolved to %s, not a regular file", name, path)
		}
	})
}

// FuzzBounded holds Output's bound for any bytes a program or server sends.
func FuzzBounded(f *testing.F) {
	f.Add([]byte("ok\n"), 1)
	f.Add([]byte("€"), 2000)
	f.Fuzz(func(t *testing.T, chunk []byte, times int) {
		times = max(0, min(times, 10000))
		var c capture
		for range times {
			c.Write(chunk)
		}
		out := c.String()
		total := len(chunk) * times
		if len(out) > MaxOutput {
			t.Fatalf("%d bytes written gave %d bytes of output", total, len(out))
		}
		if total <= MaxOutput && out != strings.Repeat(string(chunk), times) {
			t.Fatalf("%d bytes written, within the bound, changed", total)
		}
		if total > MaxOutput && !strings.HasSuffix(out, truncated) {
			t.Fatalf("%d bytes written, output not marked truncated", total)
		}
		if utf8.Valid(chunk) && !utf8.ValidString(out) {
			t.Fatalf("valid UTF-8 in, invalid out: %q", out[max(0, len(out)-30):])
		}
	})
}
