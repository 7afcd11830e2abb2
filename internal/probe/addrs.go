package probe

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"outlast/internal/model"
)

// MaxAddrs bounds how many of a target's addresses one probe tries: a
// hostname with many addresses must not make one probe dial them all, nor
// cut the check's timeout into slices too thin for any to connect.
const MaxAddrs = 3

// minDialShare is the least time an attempt other than the last is given to
// connect: a far region's handshake takes a few hundred milliseconds, and a
// thinner share would fail a healthy address for being far.
const minDialShare = 250 * time.Millisecond

// reasonUnresolved is the Reason of a hostname target with no address. The
// model has no reason of its own for it yet; a failed lookup (a
// *net.DNSError) is already classified ReasonNetwork, and the detail says
// "unresolved".
const reasonUnresolved = model.ReasonNetwork

// addrCount is how many addresses a probe of t may try.
func (t Target) addrCount() int {
	switch {
	case len(t.Addrs) > 0:
		return min(len(t.Addrs), MaxAddrs)
	case t.Addr.IsValid():
		return 1
	default:
		return 0
	}
}

// addrPort is the i-th address to try, with the port.
func (t Target) addrPort(i int) netip.AddrPort {
	a := t.Addr
	if len(t.Addrs) > 0 {
		a = t.Addrs[i]
	}
	return netip.AddrPortFrom(a, uint16(t.Port))
}

// noAddress is the Result of a target with nothing to dial, and whether
// that is so. For a hostname it means the node's resolver holds no address
// for it (it never resolved, or its last good addresses outlived
// max_stale): the endpoint is down from this vantage point, and the detail
// says why, so nobody hunts for a dead server.
func (t Target) noAddress() (model.Result, bool) {
	if t.addrCount() > 0 {
		return model.Result{}, false
	}
	if t.Host != "" {
		return failed(time.Now(), reasonUnresolved, t.Host+": unresolved: the resolver holds no address for the target, so nothing was probed"), true
	}
	return failed(time.Now(), model.ReasonError, "probe: the target has no address"), true
}

// label puts a hostname target's name, and the address used when one
// connected, in front of a failed result's detail, so "status 503" says
// which of an ALB's addresses answered it. Passing results stay bare:
// observations of passing probes are most of the traffic between nodes.
func (t Target) label(res model.Result, used netip.AddrPort) model.Result {
	if t.Host == "" || res.Up {
		return res
	}
	prefix := t.Host
	if used.IsValid() {
		prefix += ": " + used.String()
	}
	res.Detail = shorten(prefix + ": " + res.Detail)
	return res
}

// hostHeader is the Host a client of host sends: the port only when it is
// not the scheme's default, as browsers and curl do.
func hostHeader(host string, port int, tls bool) string {
	if (tls && port == 443) || (!tls && port == 80) {
		return host
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// dialAny connects to the first of t's addresses that accepts, trying at
// most MaxAddrs in order, and puts ctx's deadline on the connection so no
// read or write can outlive the probe. Each attempt but the last gets an
// even share of the time left (at least minDialShare), so an address that
// drops connections does not spend the whole timeout; one that refuses
// costs next to nothing. It returns the address connected to. When none
// connects, the error names every attempt and is classified by the last,
// the one the probe's deadline cut when time ran out.
func dialAny(ctx context.Context, t Target) (net.Conn, netip.AddrPort, error) {
	n := t.addrCount()
	if n == 0 {
		return nil, netip.AddrPort{}, errNoAddress
	}
	d := t.dialer("tcp")
	var errs []error
	for i := range n {
		ap := t.addrPort(i)
		conn, err := dialOne(ctx, d, ap, n-i)
		if err == nil {
			return conn, ap, nil
		}
		if n == 1 {
			return nil, netip.AddrPort{}, err
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, netip.AddrPort{}, &dialError{errs: errs}
}

// errNoAddress is a dial of a target with no address; probes check
// noAddress first, so it is never seen unless that check is lost.
var errNoAddress = errors.New("probe: the target has no address")

// dialOne dials ap with its share of the time left: left is how many
// attempts remain, this one included.
func dialOne(ctx context.Context, d *net.Dialer, ap netip.AddrPort, left int) (net.Conn, error) {
	deadline, ok := ctx.Deadline()
	attempt := ctx
	if ok && left > 1 {
		remaining := time.Until(deadline)
		if share := max(remaining/time.Duration(left), minDialShare); share < remaining {
			var cancel context.CancelFunc
			attempt, cancel = context.WithTimeout(ctx, share)
			defer cancel()
		}
	}
	conn, err := d.DialContext(attempt, "tcp", ap.String())
	if err != nil {
		return nil, err
	}
	if ok {
		if err := conn.SetDeadline(deadline); err != nil {
			conn.Close()
			return nil, err
		}
	}
	return conn, nil
}

// dialError is a probe that tried several addresses and connected to none.
type dialError struct{ errs []error }

func (e *dialError) Error() string {
	parts := make([]string, len(e.errs))
	for i, err := range e.errs {
		parts[i] = err.Error()
	}
	return strings.Join(parts, "; ")
}

// Unwrap gives the last attempt's error, which classifies the failure.
func (e *dialError) Unwrap() error { return e.errs[len(e.errs)-1] }
