//go:build linux

package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// procStatus reads the named kB fields of /proc/PID/status (VmHWM, VmRSS)
// in bytes, and plain counts (Threads) as they are.
func procStatus(pid int, keys ...string) (map[string]float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		for _, want := range keys {
			if k != want {
				continue
			}
			f := strings.Fields(v)
			n, _ := strconv.ParseFloat(f[0], 64)
			if len(f) > 1 && f[1] == "kB" {
				n *= 1024
			}
			out[k] = n
		}
	}
	return out, nil
}

// raiseFileLimit lifts RLIMIT_NOFILE so the server can hold 10,000
// listeners; children inherit it. As root the hard limit can grow too.
func raiseFileLimit(want uint64) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	if lim.Cur >= want {
		return nil
	}
	next := syscall.Rlimit{Cur: want, Max: max(lim.Max, want)}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &next); err != nil {
		// Not root: the hard limit is as far as it goes.
		next = syscall.Rlimit{Cur: lim.Max, Max: lim.Max}
		return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &next)
	}
	return nil
}

// fileLimit is the current soft RLIMIT_NOFILE.
func fileLimit() uint64 {
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) != nil {
		return 0
	}
	return lim.Cur
}
