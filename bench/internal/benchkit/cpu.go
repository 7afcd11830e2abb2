//go:build linux

package benchkit

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// ClockTicks is USER_HZ, the unit of the CPU times in /proc: 100 on every
// Linux architecture Go runs on.
const ClockTicks = 100

// ProcCPU is the user and the system CPU a process has used so far, from
// /proc/PID/stat.
func ProcCPU(pid int) (user, sys time.Duration, err error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	// The command name may hold spaces; the fields after its ")" do not.
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return 0, 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	var ticks [2]int64
	for i, f := range fields[11:13] { // utime, stime: fields 14 and 15 of proc(5)
		if ticks[i], err = strconv.ParseInt(f, 10, 64); err != nil {
			return 0, 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
	}
	return time.Duration(ticks[0]) * time.Second / ClockTicks, time.Duration(ticks[1]) * time.Second / ClockTicks, nil
}

// MachineCPU is the whole machine's CPU time so far, all cores, from the
// first line of /proc/stat: busy is user, nice, system, irq, softirq and
// steal (guest time is already inside user), total adds idle and iowait.
// Busy over total, times the number of cores, is how many were busy
// between two readings, whatever the kernel's tick accounting lags.
func MachineCPU() (busy, total time.Duration, err error) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, err
	}
	line, _, _ := strings.Cut(string(data), "\n")
	fields := strings.Fields(line)
	if len(fields) < 9 || fields[0] != "cpu" {
		return 0, 0, fmt.Errorf("/proc/stat: unexpected first line %q", line)
	}
	var busyTicks, idleTicks int64
	for i := 1; i <= 8; i++ {
		n, _ := strconv.ParseInt(fields[i], 10, 64)
		if i == 4 || i == 5 { // idle, iowait
			idleTicks += n
		} else {
			busyTicks += n
		}
	}
	tick := time.Second / ClockTicks
	return time.Duration(busyTicks) * tick, time.Duration(busyTicks+idleTicks) * tick, nil
}
