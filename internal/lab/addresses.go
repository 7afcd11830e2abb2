package lab

import (
	"errors"
	"fmt"
	"net"
	"strings"
)

// The lab gives every region, backend and node its own loopback address, as
// DNS answers carry addresses only. Linux routes all of 127.0.0.0/8 to the
// loopback interface; macOS and the BSDs have only 127.0.0.1 until an
// operator adds aliases. Checking every address first turns the bind error
// deep inside the lab into one message that says what to run.

// The i-th node's, region proxy's and backend's addresses.
func nodeIP(i int) string     { return fmt.Sprintf("%s%d", nodeSubnet, i+1) }
func endpointIP(i int) string { return fmt.Sprintf("%s%d", endpointSubnet, i+1) }
func backendIP(i int) string  { return fmt.Sprintf("%s%d", backendSubnet, i+1) }

// addresses lists every loopback address the lab binds.
func addresses() []string {
	var ips []string
	for i := range nodeSpecs {
		ips = append(ips, nodeIP(i))
	}
	for i := range regionSpecs {
		ips = append(ips, endpointIP(i), backendIP(i))
	}
	for i := range dbSpecs {
		ips = append(ips, dbIP(i))
	}
	for _, a := range clientAreas {
		ips = append(ips, a.source)
	}
	return append(ips, providerDNSIP)
}

// checkAddresses binds each address once through listen and reports those
// the system does not have, with the commands that add them.
func checkAddresses(ips []string, listen func(network, addr string) (net.Listener, error)) error {
	var missing []string
	for _, ip := range ips {
		ln, err := listen("tcp", net.JoinHostPort(ip, "0"))
		if err != nil {
			missing = append(missing, ip)
			continue
		}
		ln.Close()
	}
	if len(missing) == 0 {
		return nil
	}
	var fix strings.Builder
	for _, ip := range missing {
		fmt.Fprintf(&fix, "\n  sudo ifconfig lo0 alias %s up", ip)
	}
	return errors.New("lab: this system cannot bind the loopback addresses " + strings.Join(missing, ", ") +
		"; Linux has all of 127.0.0.0/8, while macOS and the BSDs need an alias for each (they last until a reboot):" +
		fix.String())
}
