package geoip

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/maxmind/mmdbwriter"
)

func TestTmpHang(t *testing.T) {
	seed := build(t, mmdbwriter.Options{RecordSize: 24}, world)
	rng := rand.New(rand.NewPCG(1, 2))
	dir := t.TempDir()
	for i := 0; i < 20000; i++ {
		d := append([]byte(nil), seed...)
		for k := 0; k < 1+rng.IntN(4); k++ {
			d[rng.IntN(len(d))] = byte(rng.Uint32())
		}
		p := filepath.Join(dir, "x.mmdb")
		os.WriteFile(p, d, 0o644)
		done := make(chan struct{})
		go func() { Load(p, worldRules, MaxFileSize(1<<20)); close(done) }()
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			os.WriteFile("/tmp/geoip-hang.mmdb", d, 0o644)
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			t.Fatalf("hang at %d\n%s", i, buf[:n])
		}
	}
}
