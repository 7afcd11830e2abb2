package proxy

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"outlast/internal/balance"
)

// errPerTry is the error of a try that got no response headers within the
// per-try timeout.
var errPerTry = errors.New("no response within the per-try timeout")

// errNoTarget is the error of a request whose service has no endpoint to
// send it to.
var errNoTarget = errors.New("no endpoint to send the request to")

// request is what the transport needs of one proxied request, put in its
// context by ServeHTTP, with the writer that records its status (one
// allocation for both).
type request struct {
	recorder
	route *Route
	sp    *servicePlan
	tiers []tier
	// tries counts the requests sent upstream, for the access log.
	tries int
	// endpoint is the last one tried.
	endpoint string
	// tried and domains are the endpoints tried and their failure
	// domains, first tries[:tries].
	tried, domains [MaxRetries + 1]string
}

type requestKey struct{}

// RoundTrip sends req to an endpoint of its route's service and, when that
// fails in a way worth retrying, to another, as the package doc says.
func (p *Proxy) RoundTrip(req *http.Request) (*http.Response, error) {
	rq, _ := req.Context().Value(requestKey{}).(*request)
	if rq == nil {
		return nil, errors.New("proxy: a request without its route")
	}
	body, replayable, err := p.replayableBody(req)
	if err != nil {
		return nil, err
	}
	retries := 0
	if replayable && p.idempotent(req) {
		retries = p.opts.Retries
	}
	var (
		lastResp *http.Response
		lastErr  error
	)
	for attempt := 0; attempt <= retries; attempt++ {
		now := p.opts.Now()
		t, ok := rq.pick(now, p.opts.Rand, rq.tried[:rq.tries], rq.domains[:rq.tries])
		if !ok {
			break
		}
		if attempt > 0 {
			admitted, release := p.admitRetry(req, lastErr)
			if !admitted {
				p.opts.Observer.BudgetExhausted(rq.route.Service)
				break
			}
			defer release()
			p.opts.Observer.Retry(rq.route.Service)
			discard(lastResp)
		}
		name := t.picker.Candidate(t.i).Name
		rq.tried[rq.tries], rq.domains[rq.tries] = name, t.picker.Candidate(t.i).Domain
		rq.tries, rq.endpoint = rq.tries+1, name
		start := time.Now()
		resp, err := p.try(req, rq.route, t.addr(), body, replayable, attempt+1)
		if req.Context().Err() != nil {
			// The client went away: nothing to judge the endpoint by,
			// nobody to retry for.
			discard(resp)
			return nil, req.Context().Err()
		}
		failed := err != nil || resp.StatusCode >= 500
		p.opts.Observer.Upstream(rq.route.Service, name, !failed, time.Since(start))
		if c := rq.sp.detector.Result(name, !failed, now); c.Ejected {
			p.opts.Observer.Ejection(rq.route.Service, c)
		}
		if err == nil && !p.retryStatus(resp.StatusCode) {
			return resp, nil
		}
		lastResp, lastErr = resp, err
	}
	if lastResp != nil {
		return lastResp, nil // the last answer, retryable status and all
	}
	return nil, cmp.Or(lastErr, errNoTarget)
}

// picked is a target chosen for one try.
type picked struct {
	tier
	i    int
	draw uint64
}

func (t picked) addr() netip.Addr {
	addrs := t.addrs[t.i]
	return addrs[t.draw%uint64(len(addrs))]
}

// pick chooses the endpoint of the next try: the first tier with an
// endpoint not ejected and not tried, preferring failure domains not yet
// tried; when every untried one is ejected, an ejected one rather than
// none (outlier ejects at most all but one, but tiers may hold fewer).
func (rq *request) pick(now time.Time, draw func() uint64, tried, domains []string) (picked, bool) {
	det := rq.sp.detector
	rules := []func(c *balance.Candidate) bool{
		func(c *balance.Candidate) bool {
			return slices.Contains(tried, c.Name) || slices.Contains(domains, c.Domain) || det.Ejected(c.Name, now)
		},
		func(c *balance.Candidate) bool { return slices.Contains(tried, c.Name) || det.Ejected(c.Name, now) },
		func(c *balance.Candidate) bool { return slices.Contains(tried, c.Name) },
	}
	for _, exclude := range rules {
		for _, t := range rq.tiers {
			if i, ok := t.picker.Pick(now, draw(), exclude); ok {
				return picked{tier: t, i: i, draw: draw()}, true
			}
		}
	}
	return picked{}, false
}

// AttemptHeader tells an endpoint which try of a request it is getting
// (1 for the first), as Envoy's x-envoy-attempt-count does, so a service
// can see retries in its own logs.
const AttemptHeader = "X-Outlast-Attempt"

// attempts are the AttemptHeader values, made once and only read.
var attempts = func() [][]string {
	out := make([][]string, MaxRetries+2)
	for i := range out {
		out[i] = []string{strconv.Itoa(i)}
	}
	return out
}()

// try sends req to addr, the attempt-th try. req is ReverseProxy's copy
// of the client's request, the proxy's to change: tries follow one
// another, so each rewrites its URL and headers in place. The per-try
// timeout is the transport's (connect, TLS handshake, response headers);
// the body then streams for as long as it takes.
func (p *Proxy) try(req *http.Request, route *Route, addr netip.Addr, body func() io.ReadCloser, replayable bool, attempt int) (*http.Response, error) {
	req.URL.Scheme, req.URL.Host = "http", hostPort(addr, route.Port)
	if route.TLS {
		req.URL.Scheme = "https"
	}
	req.Body = body()
	req.GetBody = nil
	if replayable && req.Body != http.NoBody {
		// The pool may send it again on a new connection when the one it
		// reused turns out closed; a body read as it comes cannot be.
		req.GetBody = func() (io.ReadCloser, error) { return body(), nil }
	}
	req.Header[AttemptHeader] = attempts[min(attempt, len(attempts)-1)]
	resp, err := route.transport.RoundTrip(req)
	if err != nil && isTimeout(err) && req.Context().Err() == nil {
		return nil, fmt.Errorf("%s: %w", req.URL.Host, errPerTry)
	}
	return resp, err
}

func isTimeout(err error) bool {
	var timeout interface{ Timeout() bool }
	return errors.As(err, &timeout) && timeout.Timeout()
}

// hostPort is addr:port for a URL.
func hostPort(addr netip.Addr, port int) string {
	return netip.AddrPortFrom(addr, uint16(port)).String()
}

// replayableBody reads a body of up to MaxReplayBody bytes so that every
// try can send it; a larger one is sent once as it comes.
func (p *Proxy) replayableBody(req *http.Request) (func() io.ReadCloser, bool, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return func() io.ReadCloser { return http.NoBody }, true, nil
	}
	if req.ContentLength > p.opts.MaxReplayBody {
		once := req.Body
		return func() io.ReadCloser { return once }, false, nil
	}
	buf, err := io.ReadAll(io.LimitReader(req.Body, p.opts.MaxReplayBody+1))
	if err != nil {
		return nil, false, fmt.Errorf("reading the request body: %w", err)
	}
	if int64(len(buf)) > p.opts.MaxReplayBody {
		once := io.NopCloser(io.MultiReader(bytes.NewReader(buf), req.Body))
		return func() io.ReadCloser { return once }, false, nil
	}
	req.ContentLength = int64(len(buf))
	return func() io.ReadCloser { return io.NopCloser(bytes.NewReader(buf)) }, true, nil
}

// idempotent reports whether req may be sent twice: its method says so,
// or the header the operator named does.
func (p *Proxy) idempotent(req *http.Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete, http.MethodTrace:
		return true
	}
	if h := p.opts.IdempotentHeader; h != "" {
		v, err := strconv.ParseBool(req.Header.Get(h))
		return err == nil && v
	}
	return false
}

// admitRetry asks the retry budget for a retry after a try that failed
// with err (nil: a retryable status). A try that got no answer at all
// (timeout, reset, refused) may wait a quarter of the per-try timeout for
// room: the requests in flight to a region that hangs all time out at
// once, and their retries, quick on a healthy endpoint, fit one after the
// other where refusing all but a few would turn them into client errors.
// A retryable status is refused at once when the budget is full: an
// endpoint answering 503 under load is what the budget protects.
func (p *Proxy) admitRetry(req *http.Request, err error) (bool, func()) {
	if err != nil {
		return p.budget.AwaitRetry(req.Context(), p.opts.PerTryTimeout/4)
	}
	return p.budget.TryRetry()
}

func (p *Proxy) retryStatus(code int) bool { return slices.Contains(p.opts.RetryOn, code) }

// discard closes a response that will not be forwarded, after reading a
// little of it so its connection can be reused.
func discard(resp *http.Response) {
	if resp == nil {
		return
	}
	_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
	resp.Body.Close()
}
