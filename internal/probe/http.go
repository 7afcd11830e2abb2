package probe

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"outlast/internal/config"
	"outlast/internal/model"
)

// HTTP probes t with one HTTP or HTTPS request (by c.Type) on a fresh
// connection: the status must fall in c.HTTP.ExpectStatus and, when set,
// c.HTTP.BodyContains must appear in the first 64 KiB of the body. Redirects
// are not followed; a 3xx is judged by the status range like any other code.
// Every probe dials: a pooled connection could keep answering from a backend
// the load balancer has already lost, or hide a dead listener. No proxy is
// ever used; the probe must see the endpoint itself.
//
// The exchange is written and read on the connection directly rather than
// through an http.Transport: a transport per probe costs two goroutines and
// their buffers, a third of a probe's CPU at 10,000 endpoints a second (see
// docs/performance.md). net/http still writes the request and parses the
// response.
//
// A hostname target is probed at the first of its addresses that connects
// (dialAny), with its hostname as Host and SNI (Target.Host says when the
// check overrides them).
func HTTP(ctx context.Context, t Target, c config.Check) model.Result {
	if res, ok := t.noAddress(); ok {
		return res
	}
	var used netip.AddrPort
	res := probeHTTP(ctx, t, c, &used)
	return t.label(res, used)
}

// probeHTTP is HTTP on a target with an address; it sets *used to the
// address it connected to.
func probeHTTP(ctx context.Context, t Target, c config.Check, used *netip.AddrPort) model.Result {
	ctx, cancel := withTimeout(ctx, c)
	defer cancel()
	start := time.Now()

	req, err := newHTTPRequest(ctx, t, c)
	if err != nil {
		return failed(start, model.ReasonError, fmt.Sprintf("probe: http: %v", err))
	}
	conn, addr, err := dialAny(ctx, t)
	if err != nil {
		return failedErr(start, err, c)
	}
	*used = addr
	defer conn.Close()
	var peerCerts []*x509.Certificate
	if c.Type == config.CheckHTTPS {
		tc := tls.Client(conn, tlsConfig(serverName(t, c), c))
		if err := handshakeFailed(tc.HandshakeContext(ctx)); err != nil {
			res := failedErr(start, err, c)
			addFailedCertInfo(&res, err)
			return res
		}
		peerCerts, conn = tc.ConnectionState().PeerCertificates, tc
	}
	br := readers.Get().(*bufio.Reader)
	br.Reset(io.LimitReader(conn, maxResponse))
	defer func() { // after the body is closed: deferred calls run last first
		br.Reset(nil)
		readers.Put(br)
	}()
	resp, err := exchange(conn, br, req)
	if err != nil {
		return failedErr(start, err, c)
	}
	defer resp.Body.Close()

	res := judgeHTTP(start, resp, c)
	if peerCerts != nil {
		addCertInfo(&res, peerCerts, c, time.Now())
	}
	return res
}

// maxResponse bounds what a probe reads: the head (64 KiB, as
// http.Transport's MaxResponseHeaderBytes was) and the body it may search.
const maxResponse = 64<<10 + bodyLimit

// A probe borrows its buffers: a fresh 4 KiB reader and writer per probe,
// at 10,000 probes a second, were 59% of the bytes a node allocated, and
// collecting them most of the garbage collector's 15% of its CPU
// (docs/performance.md).
var (
	readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4096) }}
	writers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 1024) }}
)

// exchange writes req on conn and reads the response head from br, which
// reads conn; the body is left to read.
func exchange(conn net.Conn, br *bufio.Reader, req *http.Request) (*http.Response, error) {
	bw := writers.Get().(*bufio.Writer)
	bw.Reset(conn)
	err := req.Write(bw) // buffered already, so it does not make its own
	if err == nil {
		err = bw.Flush()
	}
	bw.Reset(nil)
	writers.Put(bw)
	if err != nil {
		return nil, err
	}
	return readResponse(br, req)
}

// readResponse reads the response head. The connection's own failures
// (timeouts, resets, a close, TLS records) come back as they are, to be
// classified like any other; an error of any other kind is net/http finding
// that what the peer sent is not HTTP, and is marked a protocolError here,
// where that is known, so that nothing has to recognise it by its wording.
func readResponse(br *bufio.Reader, req *http.Request) (*http.Response, error) {
	resp, err := http.ReadResponse(br, req)
	if err != nil && !connFailure(err) {
		return nil, &protocolError{err: err}
	}
	return resp, err
}

// connFailure reports whether err came from reading the connection rather
// than from parsing what was read: net and crypto/tls report their
// failures as *net.OpError or tls.RecordHeaderError, a close as io.EOF.
func connFailure(err error) bool {
	var (
		op     *net.OpError
		record tls.RecordHeaderError
	)
	return isTimeout(err) || isReset(err) || errors.As(err, &op) || errors.As(err, &record)
}

// protocolError is an answer that is not HTTP: the peer sent bytes net/http
// could not read as a response (an SSH banner, a line of garbage). Its text
// is net/http's, which says what was wrong.
type protocolError struct{ err error }

func (e *protocolError) Error() string { return e.err.Error() }
func (e *protocolError) Unwrap() error { return e.err }

func newHTTPRequest(ctx context.Context, t Target, c config.Check) (*http.Request, error) {
	scheme := "http"
	if c.Type == config.CheckHTTPS {
		scheme = "https"
	}
	// A zone ("fe80::1%eth0") must be escaped to survive URL parsing.
	host := strings.Replace(t.AddrPort().String(), "%", "%25", 1)
	url := scheme + "://" + host + c.HTTP.Path
	req, err := http.NewRequestWithContext(ctx, c.HTTP.Method, url, nil)
	if err != nil {
		return nil, err
	}
	req.Host = c.HTTP.Host
	if req.Host == "" && t.Host != "" {
		req.Host = hostHeader(t.Host, t.Port, c.Type == config.CheckHTTPS)
	}
	req.Close = true // "Connection: close": the connection serves this probe only
	req.Header.Set("User-Agent", "outlast-probe")
	return req, nil
}

func judgeHTTP(start time.Time, resp *http.Response, c config.Check) model.Result {
	if reason, detail := matchStatus(resp.StatusCode, c.HTTP.ExpectStatus); reason != model.ReasonOK {
		return failed(start, reason, detail)
	}
	reason, detail, err := matchBody(resp.Body, c.HTTP.BodyContains)
	if err != nil {
		return failedErr(start, err, c)
	}
	if reason != model.ReasonOK {
		return failed(start, reason, detail)
	}
	return passed(start)
}
