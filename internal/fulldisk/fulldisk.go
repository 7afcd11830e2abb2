// Package fulldisk gives tests a real full disk: a small tmpfs mounted on a
// directory (root only) and a file that fills it to the last byte. A full
// data directory is one of the faults outlast must survive (a follower that
// cannot write its Raft log), and a mock store would not show what raft and
// bbolt really do on ENOSPC. Test support only: nothing the server links
// imports it.
package fulldisk

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// Unavailable says why a tmpfs cannot be mounted here ("" when it can):
// not root, or a system that refuses the mount. Tests skip with it.
func Unavailable() string {
	if os.Geteuid() != 0 {
		return "not root: a full disk needs a tmpfs mount (CI runs as root)"
	}
	probe, err := os.MkdirTemp("", "fulldisk-probe-")
	if err != nil {
		return err.Error()
	}
	defer os.Remove(probe)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", probe).CombinedOutput(); err != nil {
		return fmt.Sprintf("mount -t tmpfs failed: %v: %s", err, strings.TrimSpace(string(out)))
	}
	_ = exec.Command("umount", probe).Run()
	return ""
}

// Mount mounts a tmpfs of size (such as "32m") on dir, creating dir, and
// unmounts it when the test ends. Call it before starting what will use the
// directory: cleanups run last registered first, so the unmount comes after
// that is stopped.
func Mount(t testing.TB, dir, size string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount a tmpfs on %s: %v: %s", dir, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Logf("umount %s: %v: %s; detaching it lazily", dir, err, out)
			_ = exec.Command("umount", "-l", dir).Run()
		}
	})
}

// maxFill bounds Fill on a file system that is not the small tmpfs it expects.
const maxFill = 1 << 30

// Fill writes the file at path until its file system has no room left, to
// the last byte, and returns how many bytes it wrote. Remove the file to
// free the space again.
func Fill(path string) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	chunk := make([]byte, 256<<10)
	var written int64
	for len(chunk) > 0 && written < maxFill {
		n, err := f.Write(chunk)
		written += int64(n)
		switch {
		case errors.Is(err, syscall.ENOSPC):
			chunk = chunk[:len(chunk)/2] // the last chunk went in part: fill what is left
		case err != nil:
			return written, err
		}
	}
	if written >= maxFill {
		return written, fmt.Errorf("fulldisk: wrote %d bytes to %s without filling it: is it on the tmpfs?", written, path)
	}
	return written, nil
}
