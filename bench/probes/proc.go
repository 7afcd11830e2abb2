//go:build linux

package main

import "syscall"

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
