//go:build linux

package main

import (
	"runtime"

	"outlast/bench/internal/benchkit"
)

// cpuSeconds is the user+system CPU time of one process, 0 if it cannot
// be read.
func cpuSeconds(pid int) float64 {
	user, sys, _ := benchkit.ProcCPU(pid)
	return (user + sys).Seconds()
}

// busyCores is how many cores the whole machine kept busy between a and b.
func busyCores(a, b cpuMark) float64 {
	if b.total <= a.total {
		return 0
	}
	return float64(b.busy-a.busy) / float64(b.total-a.total) * float64(runtime.NumCPU())
}
