//go:build linux

package benchkit

import (
	"fmt"
	"time"

	"github.com/prometheus/procfs"
)

// ClockTicks is USER_HZ, the unit of the CPU times in /proc: 100 on every
// Linux architecture Go runs on (procfs assumes the same).
const ClockTicks = 100

// ProcCPU is the user and the system CPU a process has used so far, from
// /proc/PID/stat.
func ProcCPU(pid int) (user, sys time.Duration, err error) {
	st, err := procStat(pid)
	if err != nil {
		return 0, 0, err
	}
	tick := time.Second / ClockTicks
	return time.Duration(st.UTime) * tick, time.Duration(st.STime) * tick, nil
}

// Memory is a process's memory and threads now, from /proc/PID/status and
// /proc/PID/stat.
type Memory struct {
	PeakRSS, RSS uint64 // bytes: VmHWM, VmRSS
	Threads      int
}

// ProcMemory reads a process's Memory.
func ProcMemory(pid int) (Memory, error) {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return Memory{}, fmt.Errorf("benchkit: process %d: %w", pid, err)
	}
	status, err := p.NewStatus()
	if err != nil {
		return Memory{}, fmt.Errorf("benchkit: /proc/%d/status: %w", pid, err)
	}
	st, err := p.Stat()
	if err != nil {
		return Memory{}, fmt.Errorf("benchkit: /proc/%d/stat: %w", pid, err)
	}
	return Memory{PeakRSS: status.VmHWM, RSS: status.VmRSS, Threads: st.NumThreads}, nil
}

func procStat(pid int) (procfs.ProcStat, error) {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return procfs.ProcStat{}, fmt.Errorf("benchkit: process %d: %w", pid, err)
	}
	st, err := p.Stat()
	if err != nil {
		return procfs.ProcStat{}, fmt.Errorf("benchkit: /proc/%d/stat: %w", pid, err)
	}
	return st, nil
}

// MachineCPU is the whole machine's CPU time so far, all cores, from the
// first line of /proc/stat: busy is user, nice, system, irq, softirq and
// steal (guest time is already inside user), total adds idle and iowait.
// Busy over total, times the number of cores, is how many were busy
// between two readings, whatever the kernel's tick accounting lags.
func MachineCPU() (busy, total time.Duration, err error) {
	fs, err := procfs.NewDefaultFS()
	if err != nil {
		return 0, 0, fmt.Errorf("benchkit: /proc: %w", err)
	}
	st, err := fs.Stat()
	if err != nil {
		return 0, 0, fmt.Errorf("benchkit: /proc/stat: %w", err)
	}
	c := st.CPUTotal // seconds
	busySecs := c.User + c.Nice + c.System + c.IRQ + c.SoftIRQ + c.Steal
	return seconds(busySecs), seconds(busySecs + c.Idle + c.Iowait), nil
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
