package dnsserver

import (
	"errors"
	"syscall"

	"golang.org/x/sys/unix"
)

// reusePort sets SO_REUSEPORT, so several sockets share the port and the
// kernel spreads the queries over them.
func reusePort(_, _ string, c syscall.RawConn) error {
	var sockErr error
	err := c.Control(func(fd uintptr) {
		sockErr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
	})
	return errors.Join(err, sockErr)
}

// manySockets: with SO_REUSEPORT, one UDP socket per CPU.
const manySockets = true
