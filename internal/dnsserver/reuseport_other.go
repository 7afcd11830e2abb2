//go:build !linux

package dnsserver

import "syscall"

// reusePort does nothing where SO_REUSEPORT is not relied on: one socket serves.
func reusePort(_, _ string, _ syscall.RawConn) error { return nil }

const manySockets = false
