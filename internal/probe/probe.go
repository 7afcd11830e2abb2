package probe

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"time"

	"outlast/internal/config"
	"outlast/internal/model"
)

// Target is the endpoint a probe talks to. An endpoint named by address
// sets Addr; one named by hostname (an ALB, a CDN) sets Host and the
// addresses the caller's resolver holds for it now, in Addrs (or the one
// address it picked, in Addr). A probe never resolves a name itself: the
// node's resolver, with its cache and its last good answers, does, so a
// probe judges the addresses clients are answered and does not fail because
// a lookup did.
type Target struct {
	// Endpoint is the endpoint's configured name; probes use it only in details.
	Endpoint string
	// Host is the endpoint's target hostname; empty for an endpoint named by
	// address. When set, HTTP probes send it as the Host header (with the
	// port when it is not the scheme's default) unless the check's http.host
	// is set, and TLS probes send it as SNI and verify the certificate
	// against it unless the check's tls.server_name (or, for http and https,
	// http.host) is set. Failed probes' details start with it and the address
	// used ("alb.example: 192.0.2.10:443: status 503").
	Host string
	// Addr is the probed address (the endpoint's probe address). It is used
	// only when Addrs is empty.
	Addr netip.Addr
	// Addrs are the addresses to try, in order, the first that accepts a
	// connection being probed; a hostname endpoint's current addresses. At
	// most MaxAddrs are tried within the check's timeout (see dialAny). DNS
	// checks, over UDP, use the first only. A target with Host and no
	// address at all fails without dialing (reasonUnresolved).
	Addrs []netip.Addr
	// Port is the probed port (the check's port).
	Port int
	// Source, when valid, is the local address probes are sent from
	// (node.probe_source), for hosts that must probe out of one interface.
	Source netip.Addr
}

// dialer returns a dialer that sends from t.Source when one is set.
func (t Target) dialer(network string) *net.Dialer {
	d := &net.Dialer{}
	if t.Source.IsValid() {
		local := netip.AddrPortFrom(t.Source, 0)
		if network == "udp" {
			d.LocalAddr = net.UDPAddrFromAddrPort(local)
		} else {
			d.LocalAddr = net.TCPAddrFromAddrPort(local)
		}
	}
	return d
}

// AddrPort is the first address the probe tries, with the port.
func (t Target) AddrPort() netip.AddrPort {
	return t.addrPort(0)
}

// Run probes t the way c says, dispatching on c.Type. It returns within
// c.Timeout (plus scheduling slack) whatever the endpoint does.
func Run(ctx context.Context, t Target, c config.Check) model.Result {
	switch c.Type {
	case config.CheckHTTP, config.CheckHTTPS:
		return HTTP(ctx, t, c)
	case config.CheckTCP:
		return TCP(ctx, t, c)
	case config.CheckDNS:
		return DNS(ctx, t, c)
	case config.CheckGRPC:
		return GRPC(ctx, t, c)
	default:
		return model.Result{Reason: model.ReasonError, Detail: fmt.Sprintf("probe: unknown check type %q", c.Type)}
	}
}

// withTimeout derives the probe's context. A missing timeout would let a
// hung endpoint hold a probe forever, so it falls back to config's default.
func withTimeout(ctx context.Context, c config.Check) (context.Context, context.CancelFunc) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = time.Second
	}
	return context.WithTimeout(ctx, timeout)
}

// passed is the Result of a probe that saw what it expected.
func passed(start time.Time) model.Result {
	return model.Result{Up: true, Latency: time.Since(start), Reason: model.ReasonOK}
}

// failed is the Result of a probe that saw something other than expected.
func failed(start time.Time, reason model.Reason, detail string) model.Result {
	return model.Result{Latency: time.Since(start), Reason: reason, Detail: shorten(detail)}
}

// failedErr is the Result of a probe that got an error instead of an answer.
func failedErr(start time.Time, err error, c config.Check) model.Result {
	reason := classify(err)
	detail := errDetail(err)
	if reason == model.ReasonTimeout {
		detail = fmt.Sprintf("no answer within %s: %s", c.Timeout, detail)
	}
	return failed(start, reason, detail)
}

const maxDetail = 200

// shorten keeps details short enough for a status page cell and a log line.
func shorten(s string) string {
	if len(s) <= maxDetail {
		return s
	}
	return s[:maxDetail-3] + "..."
}
