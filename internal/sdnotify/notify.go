// Package sdnotify tells the service manager how the service is doing: the
// sd_notify protocol of systemd (READY=1, RELOADING=1, STOPPING=1 as one
// datagram each on the unix socket named by $NOTIFY_SOCKET), and the fact
// that decides readiness for outlast: its own DNS listener answers with
// something other than SERVFAIL (a member answers SERVFAIL while it catches
// up with the cluster, and must not be called ready before that).
//
// Outside systemd (no NOTIFY_SOCKET) every notification is a no-op, so the
// same binary runs under any supervisor, in a container or by hand.
package sdnotify

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
)

// The states outlast reports (sd_notify(3)); a reload begins with
// Reloading(), which adds the time systemd needs.
const (
	Ready     = "READY=1"
	reloading = "RELOADING=1"
	Stopping  = "STOPPING=1"
)

// maxSocketPath is the longest unix socket path the kernel accepts
// (sun_path is 108 bytes, less the terminating NUL).
const maxSocketPath = 107

// Notifier sends states to the socket it was made for; the zero Notifier
// (no socket) sends nothing.
type Notifier struct {
	addr *net.UnixAddr
}

// FromEnv returns the Notifier for $NOTIFY_SOCKET and unsets the variable,
// so that processes outlast starts (probe hooks) do not talk to systemd in
// its name. An unusable value is an error that says why; no variable is not.
func FromEnv() (Notifier, error) {
	path := os.Getenv("NOTIFY_SOCKET")
	os.Unsetenv("NOTIFY_SOCKET")
	return New(path)
}

// New returns a Notifier for the socket at path ("" for none). A path that
// starts with @ names an abstract socket, as systemd allows.
func New(path string) (Notifier, error) {
	switch {
	case path == "":
		return Notifier{}, nil
	case len(path) > maxSocketPath:
		return Notifier{}, fmt.Errorf("sdnotify: NOTIFY_SOCKET is %d bytes long; a unix socket path holds at most %d", len(path), maxSocketPath)
	case !strings.HasPrefix(path, "/") && !strings.HasPrefix(path, "@"):
		return Notifier{}, fmt.Errorf("sdnotify: NOTIFY_SOCKET %q is neither an absolute path nor an abstract socket (@name)", path)
	}
	name := path
	if name[0] == '@' {
		name = "\x00" + name[1:] // Go spells an abstract address with a leading NUL
	}
	return Notifier{addr: &net.UnixAddr{Name: name, Net: "unixgram"}}, nil
}

// Enabled reports whether n sends anything.
func (n Notifier) Enabled() bool { return n.addr != nil }

// Notify sends the states, one per line, as one datagram; with no socket it
// does nothing. Extra lines such as "STATUS=catching up" may follow a state.
func (n Notifier) Notify(states ...string) error {
	if n.addr == nil || len(states) == 0 {
		return nil
	}
	for _, s := range states {
		if s == "" || strings.ContainsRune(s, '\n') || !strings.Contains(s, "=") {
			return fmt.Errorf("sdnotify: %q is not a KEY=VALUE line", s)
		}
	}
	conn, err := net.DialUnix("unixgram", nil, n.addr)
	if err != nil {
		return fmt.Errorf("sdnotify: %w", err)
	}
	defer conn.Close()
	_, err = conn.Write([]byte(strings.Join(states, "\n")))
	if err != nil {
		return fmt.Errorf("sdnotify: %w", err)
	}
	return nil
}

// ErrNotAnswering is WaitAnswering's error when the wait ended before the
// DNS listener gave an answer other than SERVFAIL.
var ErrNotAnswering = errors.New("sdnotify: the DNS listener did not answer in time")
