//go:build linux

package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"outlast/bench/internal/benchkit"
)

// startCPUProfile, with --profile, asks outlast's --pprof listener for a
// CPU profile over the window; the channel says when it is written. The
// profiler's own cost (a few percent) then lands in the window's CPU.
func (b *bench) startCPUProfile(ctx context.Context) <-chan error {
	if b.o.profileDir == "" {
		return nil
	}
	done := make(chan error, 1)
	secs := int(math.Max(1, math.Round(b.o.duration.Seconds())))
	url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", b.pprofAddr, secs)
	go func() { done <- fetchTo(ctx, url, filepath.Join(b.o.profileDir, "cpu.pprof")) }()
	return done
}

// finishProfiles waits for the CPU profile, takes a heap profile and
// returns the top functions of each, as go tool pprof prints them.
func (b *bench) finishProfiles(ctx context.Context, cpuDone <-chan error) []string {
	if cpuDone == nil {
		return nil
	}
	var out []string
	cpu := filepath.Join(b.o.profileDir, "cpu.pprof")
	if err := <-cpuDone; err != nil {
		out = append(out, "cpu profile: "+err.Error())
	} else {
		out = append(out, pprofTop(ctx, b.bin, cpu, "-top", "-nodecount=25"),
			pprofTop(ctx, b.bin, cpu, "-top", "-cum", "-nodecount=25"))
	}
	heap := filepath.Join(b.o.profileDir, "heap.pprof")
	if err := fetchTo(ctx, "http://"+b.pprofAddr+"/debug/pprof/heap", heap); err != nil {
		return append(out, "heap profile: "+err.Error())
	}
	return append(out, pprofTop(ctx, b.bin, heap, "-top", "-sample_index=inuse_space", "-nodecount=20"))
}

func fetchTo(ctx context.Context, url, path string) error {
	data, err := benchkit.Get(ctx, url, 0)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

func pprofTop(ctx context.Context, bin, profile string, args ...string) string {
	args = append([]string{"tool", "pprof"}, args...)
	out, err := exec.CommandContext(ctx, "go", append(args, bin, profile)...).CombinedOutput()
	if err != nil {
		return fmt.Sprintf("go tool pprof %s: %v\n%s", strings.Join(args[2:], " "), err, out)
	}
	return fmt.Sprintf("$ go tool pprof %s %s\n%s", strings.Join(args[2:], " "), profile, out)
}
