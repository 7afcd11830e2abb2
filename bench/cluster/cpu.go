//go:build linux

package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"

	"outlast/bench/internal/benchkit"
)

// machineCPU is the whole machine's busy and total CPU time from
// /proc/stat, in ticks, so the report can say how much of the machine was
// busy with something other than this bench (other benches on a shared box).
type machineCPU struct{ busy, total float64 }

func readMachineCPU() (machineCPU, error) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return machineCPU{}, err
	}
	line, _, _ := strings.Cut(string(data), "\n")
	fields := strings.Fields(line)
	if len(fields) < 8 || fields[0] != "cpu" {
		return machineCPU{}, fmt.Errorf("/proc/stat: unexpected first line %q", line)
	}
	var m machineCPU
	for i, f := range fields[1:] {
		v, _ := strconv.ParseFloat(f, 64)
		m.total += v
		if i != 3 && i != 4 { // idle and iowait
			m.busy += v
		}
	}
	return m, nil
}

// busyCores is how many cores were busy on average between a and b.
func busyCores(a, b machineCPU) float64 {
	if b.total <= a.total {
		return 0
	}
	return (b.busy - a.busy) / (b.total - a.total) * float64(runtime.NumCPU())
}

// cpuSeconds is the user+system CPU time of one process, 0 if it cannot
// be read.
func cpuSeconds(pid int) float64 {
	user, sys, _ := benchkit.ProcCPU(pid)
	return (user + sys).Seconds()
}
