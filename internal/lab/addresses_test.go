package lab

import (
	"net"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// TestCheckAddressesSaysWhatToRun: on a system without the lab's loopback
// aliases (macOS), the demo must fail at once with the commands that add
// them, not with a bind error from deep inside a proxy.
func TestCheckAddressesSaysWhatToRun(t *testing.T) {
	have := map[string]bool{"127.77.0.1": true}
	listen := func(network, addr string) (net.Listener, error) {
		host, _, _ := net.SplitHostPort(addr)
		if !have[host] {
			return nil, &net.OpError{Op: "listen", Net: network, Err: syscall.EADDRNOTAVAIL}
		}
		return net.Listen(network, "127.0.0.1:0")
	}
	err := checkAddresses([]string{"127.77.0.1", "127.77.0.2", "127.77.1.1"}, listen)
	want := "lab: this system cannot bind the loopback addresses 127.77.0.2, 127.77.1.1; " +
		"Linux has all of 127.0.0.0/8, while macOS and the BSDs need an alias for each (they last until a reboot):\n" +
		"  sudo ifconfig lo0 alias 127.77.0.2 up\n  sudo ifconfig lo0 alias 127.77.1.1 up"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	// Here, on Linux, every address the lab uses is there.
	if err := checkAddresses(addresses(), net.Listen); err != nil {
		t.Errorf("on this machine: %v", err)
	}
	if got := len(addresses()); got != len(nodeSpecs)+2*len(regionSpecs)+len(dbSpecs)+len(clientAreas)+1 || !strings.HasPrefix(addresses()[0], "127.77.") {
		t.Errorf("addresses() = %v", addresses())
	}
	// The client areas' devices ask from addresses of their own: macOS needs
	// an alias for those too.
	for _, ip := range []string{"127.77.10.1", "127.77.11.1"} {
		if !slices.Contains(addresses(), ip) {
			t.Errorf("addresses() = %v, want it to hold the client area address %s", addresses(), ip)
		}
	}
}
