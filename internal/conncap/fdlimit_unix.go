//go:build unix

package conncap

import "syscall"

// OpenFileLimit is the process's soft limit on open files (Go raises it to
// the hard limit at start), 0 if it cannot be read.
func OpenFileLimit() uint64 {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0
	}
	return uint64(r.Cur)
}
