package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ, the unit of /proc CPU times; 100 on every Linux
// this bench runs on.
const clockTicks = 100

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

// procCPUSeconds is the user+system CPU time of one process.
func procCPUSeconds(pid int) (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name may hold spaces; the fields after its ")" are fixed.
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	utime, _ := strconv.ParseFloat(fields[11], 64)
	stime, _ := strconv.ParseFloat(fields[12], 64)
	return (utime + stime) / clockTicks, nil
}
