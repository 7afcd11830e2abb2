package probe

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"outlast/internal/config"
	"outlast/internal/model"
)

// GRPC probes t with one grpc.health.v1 Health/Check call for
// c.GRPC.Service on a fresh connection, over TLS when c.TLS.Enabled. The
// endpoint is up only when the answer is SERVING.
//
// The probe dials (and does the TLS handshake) itself instead of leaving it
// to grpc-go, because grpc-go folds dial and handshake errors into an
// Unavailable status with only a message; dialing here keeps the real error
// for classification and the peer's certificates for the expiry check.
//
// A hostname target is called at the first of its addresses that connects,
// with its hostname as the authority and, over TLS, as SNI.
func GRPC(ctx context.Context, t Target, c config.Check) model.Result {
	if res, ok := t.noAddress(); ok {
		return res
	}
	d := &grpcDialer{target: t}
	res := probeGRPC(ctx, t, c, d)
	return t.label(res, d.usedAddr())
}

func probeGRPC(ctx context.Context, t Target, c config.Check, d *grpcDialer) model.Result {
	ctx, cancel := withTimeout(ctx, c)
	defer cancel()
	start := time.Now()

	d.deadline, _ = ctx.Deadline()
	opts := []grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(d.dial),
		grpc.WithDisableRetry(),
	}
	if c.TLS.Enabled {
		name := serverName(t, c)
		d.tls = tlsConfig(name, c, "h2")
		opts = append(opts, grpc.WithAuthority(name))
	} else if t.Host != "" {
		opts = append(opts, grpc.WithAuthority(hostHeader(t.Host, t.Port, false)))
	}
	conn, err := grpc.NewClient("passthrough:///"+t.AddrPort().String(), opts...)
	if err != nil {
		return failed(start, model.ReasonError, fmt.Sprintf("probe: grpc: %v", err))
	}
	defer conn.Close()

	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: c.GRPC.Service})
	state, dialErr := d.result()
	res := judgeGRPC(start, resp, err, dialErr, d.connResult(), ctx.Err(), c)
	if state != nil {
		addCertInfo(&res, state.PeerCertificates, c, time.Now())
	} else if dialErr != nil {
		addFailedCertInfo(&res, dialErr)
	}
	return res
}

// grpcDialer dials for grpc-go and remembers how the last attempt went.
type grpcDialer struct {
	target   Target
	deadline time.Time
	tls      *tls.Config // nil for plaintext

	mu      sync.Mutex
	err     error
	state   *tls.ConnectionState
	used    netip.AddrPort // the address the last attempt connected to
	connErr error          // the first read or write error on a dialed connection
}

// dial connects to the target's addresses (dialAny); grpc-go's address,
// the first of them, only names the connection.
func (d *grpcDialer) dial(ctx context.Context, _ string) (net.Conn, error) {
	// grpc-go's own connect timeout is 20 s; the probe's deadline is shorter.
	ctx, cancel := context.WithDeadline(ctx, d.deadline)
	defer cancel()
	conn, used, err := dialAny(ctx, d.target)
	var state *tls.ConnectionState
	if err == nil {
		conn, state, err = d.handshake(ctx, conn)
	}
	d.mu.Lock()
	d.err, d.state, d.used = err, state, used
	d.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return &watchedConn{Conn: conn, d: d}, nil
}

// watchedConn records the first error reading or writing the connection, so
// a call that fails with Unavailable after the dial worked is told apart by
// what the connection really saw (a timeout, a reset) and not by the words
// grpc-go chose for it.
type watchedConn struct {
	net.Conn
	d *grpcDialer
}

func (c *watchedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.d.noteConnErr(err)
	return n, err
}

func (c *watchedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.d.noteConnErr(err)
	return n, err
}

func (d *grpcDialer) noteConnErr(err error) {
	if err == nil {
		return
	}
	d.mu.Lock()
	if d.connErr == nil {
		d.connErr = err
	}
	d.mu.Unlock()
}

func (d *grpcDialer) handshake(ctx context.Context, raw net.Conn) (net.Conn, *tls.ConnectionState, error) {
	if d.tls == nil {
		return raw, nil, nil
	}
	conn := tls.Client(raw, d.tls)
	if err := handshakeFailed(conn.HandshakeContext(ctx)); err != nil {
		raw.Close()
		return nil, nil, err
	}
	state := conn.ConnectionState()
	return conn, &state, nil
}

func (d *grpcDialer) result() (*tls.ConnectionState, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.state, d.err
}

// usedAddr is the address the last attempt connected to, if any.
func (d *grpcDialer) usedAddr() netip.AddrPort {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.used
}

// connResult is the first error the dialed connection saw, if any.
func (d *grpcDialer) connResult() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.connErr
}

// judgeGRPC classifies the health call's outcome. A failed dial explains
// the call's failure better than the call's status does; so does a timeout
// or reset the connection saw, when grpc-go reports it as Unavailable.
func judgeGRPC(start time.Time, resp *healthpb.HealthCheckResponse, err, dialErr, connErr, ctxErr error, c config.Check) model.Result {
	switch {
	case err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING:
		return passed(start)
	case err == nil:
		return failed(start, model.ReasonNotServing, "status "+resp.GetStatus().String())
	case dialErr != nil:
		return failedErr(start, dialErr, c)
	case errors.Is(ctxErr, context.DeadlineExceeded):
		return failedErr(start, ctxErr, c)
	}
	st := status.Convert(err)
	if st.Code() == codes.Unavailable && connErr != nil && (isTimeout(connErr) || isReset(connErr)) {
		return failedErr(start, connErr, c)
	}
	reason, detail := grpcReason(st), fmt.Sprintf("%s: %s", st.Code(), st.Message())
	if reason == model.ReasonTimeout {
		return failedErr(start, context.DeadlineExceeded, c)
	}
	return failed(start, reason, detail)
}

func grpcReason(st *status.Status) model.Reason {
	switch st.Code() {
	case codes.DeadlineExceeded:
		return model.ReasonTimeout
	case codes.NotFound:
		return model.ReasonNotServing // the health server does not know the service
	case codes.Unimplemented:
		return model.ReasonProtocol // no grpc.health.v1 service at all
	case codes.Unavailable:
		// The dial worked and the connection saw no timeout or reset
		// (judgeGRPC looked): the peer spoke, but not gRPC.
		return model.ReasonProtocol
	default:
		return model.ReasonError
	}
}
