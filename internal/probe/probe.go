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

// Target is the endpoint a probe talks to.
type Target struct {
	// Endpoint is the endpoint's configured name; probes use it only in details.
	Endpoint string
	// Addr is the probed address (the endpoint's probe address).
	Addr netip.Addr
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

// AddrPort is the probed address and port.
func (t Target) AddrPort() netip.AddrPort {
	return netip.AddrPortFrom(t.Addr, uint16(t.Port))
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
