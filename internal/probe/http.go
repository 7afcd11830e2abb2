package probe

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"outlast/internal/config"
	"outlast/internal/model"
)

// HTTP probes t with one HTTP or HTTPS request (by c.Type) on a fresh
// connection: the status must fall in c.HTTP.ExpectStatus and, when set,
// c.HTTP.BodyContains must appear in the first 64 KiB of the body. Redirects
// are not followed; a 3xx is judged by the status range like any other code.
func HTTP(ctx context.Context, t Target, c config.Check) model.Result {
	ctx, cancel := withTimeout(ctx, c)
	defer cancel()
	start := time.Now()

	req, err := newHTTPRequest(ctx, t, c)
	if err != nil {
		return failed(start, model.ReasonError, fmt.Sprintf("probe: http: %v", err))
	}
	transport := newTransport(ctx, t, c)
	defer transport.CloseIdleConnections()
	client := &http.Client{
		Transport:     transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		res := failedErr(start, err, c)
		addFailedCertInfo(&res, err)
		return res
	}
	defer resp.Body.Close()

	res := judgeHTTP(start, resp, c)
	if resp.TLS != nil {
		addCertInfo(&res, resp.TLS.PeerCertificates, c, time.Now())
	}
	return res
}

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
	req.Header.Set("User-Agent", "outlast-probe")
	return req, nil
}

// newTransport builds a single-use transport. Keep-alives are off so every
// probe dials: a pooled connection could keep answering from a backend the
// load balancer has already lost, or hide a dead listener. Proxies from the
// environment are ignored; the probe must see the endpoint itself.
func newTransport(ctx context.Context, t Target, c config.Check) *http.Transport {
	return &http.Transport{
		DialContext:            deadlineDialer(ctx, t.dialer("tcp")),
		TLSClientConfig:        tlsConfig(serverName(t, c), c),
		DisableKeepAlives:      true,
		DisableCompression:     true,
		MaxResponseHeaderBytes: 64 << 10,
	}
}

// deadlineDialer puts the probe's deadline on the connection itself, so no
// read or write can outlive the probe even where a context is not checked.
func deadlineDialer(probeCtx context.Context, d *net.Dialer) func(context.Context, string, string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		if deadline, ok := probeCtx.Deadline(); ok {
			if err := conn.SetDeadline(deadline); err != nil {
				conn.Close()
				return nil, err
			}
		}
		return conn, nil
	}
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
