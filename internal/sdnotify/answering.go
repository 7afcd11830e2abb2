package sdnotify

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/sys/unix"
)

// Reloading returns the lines that say a reload has begun: RELOADING=1 with
// the monotonic time systemd (253 and later) needs to tell this reload from
// an earlier one. READY=1 says it has ended.
func Reloading() []string {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return []string{reloading}
	}
	usec := ts.Sec*1_000_000 + ts.Nsec/1_000
	return []string{reloading, fmt.Sprintf("MONOTONIC_USEC=%d", usec)}
}

// WaitAnswering asks the DNS server listening on addr (the node's own UDP
// listener) every interval until it gives an answer other than SERVFAIL, or
// ctx ends (ErrNotAnswering). An unspecified address (0.0.0.0, ::) is asked
// on loopback. Any other rcode counts: a name outside the zones gets
// REFUSED from a node that answers, SERVFAIL from one still holding.
func WaitAnswering(ctx context.Context, addr net.Addr, interval time.Duration) error {
	target, err := dialable(addr)
	if err != nil {
		return err
	}
	c := &dns.Client{Net: "udp", Timeout: interval}
	q := new(dns.Msg)
	q.SetQuestion("outlast-readiness.invalid.", dns.TypeSOA)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		if r, _, err := c.ExchangeContext(ctx, q, target); err == nil && r.Rcode != dns.RcodeServerFailure {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (asked %s): %w", ErrNotAnswering, target, ctx.Err())
		case <-tick.C:
		}
	}
}

// dialable is addr as a host:port a client can send to.
func dialable(addr net.Addr) (string, error) {
	udp, ok := addr.(*net.UDPAddr)
	if !ok || udp == nil {
		return "", fmt.Errorf("sdnotify: the DNS listener's address %v is not a UDP address", addr)
	}
	ip := udp.IP
	switch {
	case ip == nil || ip.Equal(net.IPv4zero):
		ip = net.IPv4(127, 0, 0, 1)
	case ip.Equal(net.IPv6unspecified):
		ip = net.IPv6loopback
	}
	return net.JoinHostPort(ip.String(), fmt.Sprint(udp.Port)), nil
}
