package fulldisk

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestFillLeavesNoRoom(t *testing.T) {
	if why := Unavailable(); why != "" {
		t.Skip(why)
	}
	dir := filepath.Join(t.TempDir(), "disk")
	Mount(t, dir, "2m")
	written, err := Fill(filepath.Join(dir, "filler"))
	if err != nil || written < 1<<20 {
		t.Fatalf("Fill wrote %d bytes, err %v; want the 2 MiB tmpfs full", written, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "one-more"), []byte("x"), 0o600); !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("a one-byte write after Fill: %v, want ENOSPC", err)
	}
	if err := os.Remove(filepath.Join(dir, "filler")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "one-more"), []byte("x"), 0o600); err != nil {
		t.Errorf("after removing the filler: %v", err)
	}
}
