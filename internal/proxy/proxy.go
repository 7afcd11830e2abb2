package proxy

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"outlast/internal/balance"
	"outlast/internal/outlier"
	"outlast/internal/retrybudget"
	"outlast/internal/upstream"
)

// Defaults of Options.
const (
	DefaultRetries = 1
	// MaxRetries bounds Options.Retries: each retry goes to another
	// endpoint, and services have a handful.
	MaxRetries           = 5
	DefaultPerTryTimeout = 3 * time.Second
	DefaultMaxReplayBody = 64 << 10
	DefaultMaxBody       = 16 << 20
	// DefaultConnectTimeout bounds dialing an endpoint, within the per-try
	// timeout: a region that drops packets fails over after this.
	DefaultConnectTimeout = 2 * time.Second
)

// DefaultRetryOn are the statuses retried by default: the gateway errors
// an endpoint or the load balancer in front of it answers when it fails.
var DefaultRetryOn = []int{http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout}

// Options configure a Proxy. Zero fields take the defaults above (Retries
// is taken as given: 0 turns retries off).
type Options struct {
	Retries          int
	PerTryTimeout    time.Duration
	RetryOn          []int
	IdempotentHeader string
	Budget           retrybudget.Budget
	Outlier          outlier.Config
	SlowStart        balance.SlowStart
	MaxReplayBody    int64
	MaxBody          int64
	// Area sorts a client into its geo area ("" for none); nil sorts
	// every client into none.
	Area func(netip.Addr) string
	// Observer hears of every request, try, retry and ejection (metrics,
	// the health engine); nil hears nothing.
	Observer Observer
	// AccessLog, when set, gets one line per request.
	AccessLog *slog.Logger
	Logger    *slog.Logger
	Now       func() time.Time
	// Rand draws the random numbers picks are made with (default:
	// math/rand/v2's Uint64); tests make it repeatable.
	Rand func() uint64
}

func (o Options) withDefaults() Options {
	o.Retries = min(max(o.Retries, 0), MaxRetries)
	if o.PerTryTimeout <= 0 {
		o.PerTryTimeout = DefaultPerTryTimeout
	}
	if o.RetryOn == nil {
		o.RetryOn = DefaultRetryOn
	}
	if o.MaxReplayBody <= 0 {
		o.MaxReplayBody = DefaultMaxReplayBody
	}
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.Area == nil {
		o.Area = func(netip.Addr) string { return "" }
	}
	if o.Observer == nil {
		o.Observer = nopObserver{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Uint64
	}
	o.Budget = o.Budget.WithDefaults()
	o.Outlier = o.Outlier.WithDefaults()
	return o
}

// Observer hears what the proxy does. Its methods are called on the
// request path and must not block.
type Observer interface {
	// Request is one client request answered with code after tries
	// upstream (0: none was sent) in d.
	Request(service string, code, tries int, d time.Duration)
	// Upstream is one try's outcome: ok unless it failed to connect, timed
	// out or answered 5xx.
	Upstream(service, endpoint string, ok bool, d time.Duration)
	Retry(service string)
	BudgetExhausted(service string)
	// Ejection is an endpoint this node's proxy stopped sending to.
	Ejection(service string, c outlier.Change)
}

type nopObserver struct{}

func (nopObserver) Request(string, int, int, time.Duration)      {}
func (nopObserver) Upstream(string, string, bool, time.Duration) {}
func (nopObserver) Retry(string)                                 {}
func (nopObserver) BudgetExhausted(string)                       {}
func (nopObserver) Ejection(string, outlier.Change)              {}

// Proxy forwards requests; it is an http.Handler. Update gives it where
// to send them.
type Proxy struct {
	opts   Options
	routes *routes
	plans  atomic.Pointer[plans]
	budget *retrybudget.Tracker
	rp     *httputil.ReverseProxy

	// pools are the routes' connection pools (transports), for Close.
	pools []pool
}

// pool is a route's connection pool: upstream's for plain HTTP,
// net/http's Transport for HTTPS.
type pool interface {
	http.RoundTripper
	CloseIdleConnections()
}

// New returns a proxy for routes that sends nothing anywhere until Update.
func New(opts Options, rs []Route) (*Proxy, error) {
	opts = opts.withDefaults()
	if err := opts.SlowStart.Validate(); err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	budget, err := retrybudget.New(opts.Budget)
	if err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	table, err := newRoutes(rs)
	if err != nil {
		return nil, err
	}
	p := &Proxy{opts: opts, routes: table, budget: budget}
	if err := p.transports(); err != nil {
		return nil, err
	}
	p.plans.Store(&plans{})
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			// ReverseProxy drops the client's X-Forwarded-For before
			// Rewrite; the chain is kept and this hop appended to it.
			pr.Out.Header["X-Forwarded-For"] = pr.In.Header["X-Forwarded-For"]
			pr.SetXForwarded()
			pr.Out.Host = pr.In.Host
			pr.Out.Header.Add("Via", via(pr.In))
		},
		Transport:    p,
		ErrorHandler: p.upstreamFailed,
		BufferPool:   buffers{},
		ErrorLog:     slog.NewLogLogger(opts.Logger.Handler(), slog.LevelDebug),
	}
	return p, nil
}

// via is this hop's Via entry (RFC 9110 7.6.3): the protocol version the
// request came in ("1.1", or "2" for HTTP/2) and "outlast". The common
// versions are constants, so the request path builds no string for it.
func via(r *http.Request) string {
	switch {
	case r.ProtoMajor == 1 && r.ProtoMinor == 1:
		return "1.1 outlast"
	case r.ProtoMajor == 2:
		return "2 outlast"
	case r.ProtoMajor == 1 && r.ProtoMinor == 0:
		return "1.0 outlast"
	case r.ProtoMajor > 2:
		return strconv.Itoa(r.ProtoMajor) + " outlast"
	}
	return fmt.Sprintf("%d.%d outlast", r.ProtoMajor, r.ProtoMinor)
}

// Update replaces where requests go. It is called off the request path
// whenever the agreed state changes.
func (p *Proxy) Update(plan Plan) error {
	next, err := build(plan, p.plans.Load(), p.opts.SlowStart, p.opts.Outlier)
	if err != nil {
		return err
	}
	p.plans.Store(next)
	return nil
}

// Ejections returns, per service, its endpoints' outlier state at now.
func (p *Proxy) Ejections(now time.Time) map[string][]outlier.Status {
	out := map[string][]outlier.Status{}
	for name, sp := range p.plans.Load().services {
		out[name] = sp.detector.Snapshot(now)
	}
	return out
}

// BudgetStats are the retry budget's counters.
func (p *Proxy) BudgetStats() retrybudget.Stats { return p.budget.Stats() }

// ServeHTTP forwards r by its route.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	route, ok := p.routes.match(r.Host, r.URL.Path)
	rq := &request{route: route, recorder: recorder{ResponseWriter: w, code: http.StatusOK}}
	rec := &rq.recorder
	switch {
	case !ok:
		http.Error(rec, "outlast proxy: no route for this host and path", http.StatusNotFound)
	case r.ContentLength > p.opts.MaxBody:
		http.Error(rec, fmt.Sprintf("outlast proxy: request body over %d bytes", p.opts.MaxBody), http.StatusRequestEntityTooLarge)
	default:
		rq.sp = p.plans.Load().service(route.Service)
		if rq.sp != nil {
			rq.tiers = rq.sp.tiersFor(p.opts.Area(clientAddr(r)))
		}
		if len(rq.tiers) == 0 {
			http.Error(rec, "outlast proxy: service "+route.Service+" has no endpoint to send requests to", http.StatusServiceUnavailable)
			break
		}
		p.budget.Start()
		defer p.budget.Done()
		// Bodies stream for as long as they take: Listen's StreamTimeout.
		if r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(rec, r.Body, p.opts.MaxBody)
		}
		p.rp.ServeHTTP(rec, r.WithContext(contextWith(r, rq)))
	}
	service := ""
	if route != nil {
		service = route.Service
	}
	d := time.Since(start)
	p.opts.Observer.Request(service, rec.code, rq.tries, d)
	if l := p.opts.AccessLog; l != nil {
		l.Info("request", "method", r.Method, "host", r.Host, "path", r.URL.Path, "client", r.RemoteAddr,
			"status", rec.code, "service", service, "endpoint", rq.endpoint, "tries", rq.tries, "duration", d)
	}
}

// statusClientClosed is nginx's 499: the client closed the connection
// before the answer.
const statusClientClosed = 499

// upstreamFailed answers a request no endpoint answered.
func (p *Proxy) upstreamFailed(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		// The client went away: there is nobody to answer, and the
		// metrics count it as nginx does, 499, not as the endpoint's 5xx.
		if rec, ok := w.(*recorder); ok {
			rec.code = statusClientClosed
		}
		return
	}
	code := http.StatusBadGateway
	if errors.Is(err, errPerTry) {
		code = http.StatusGatewayTimeout
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		code = http.StatusRequestEntityTooLarge
	}
	p.opts.Logger.Debug("no endpoint answered", "host", r.Host, "path", r.URL.Path, "err", err)
	http.Error(w, "outlast proxy: "+http.StatusText(code)+": no endpoint answered", code)
}

// transports makes the connection pools: one for every plain-HTTP route
// (package upstream, which costs a request far less than net/http's
// Transport: see its doc), one per server name for HTTPS (a Transport,
// certificates checked against the name),
// each made once here, so no request takes a lock or grows a map for it.
// A wildcard route to HTTPS endpoints must name its server_name: keyed by
// the request's host instead, any client could make the proxy keep a pool
// per name it invents.
func (p *Proxy) transports() error {
	byName := map[string]*http.Transport{}
	plain := upstream.New(upstream.Options{ConnectTimeout: min(DefaultConnectTimeout, p.opts.PerTryTimeout), Timeout: p.opts.PerTryTimeout})
	for i := range p.routes.list {
		r := &p.routes.list[i]
		if !r.TLS {
			r.transport = plain
			continue
		}
		name := r.ServerName
		if name == "" {
			if strings.HasPrefix(r.Host, "*.") {
				return fmt.Errorf("proxy: route %s sends requests over TLS but names no server_name to check the endpoints' certificates against; set one", r.Host)
			}
			name = r.Host
		}
		if byName[name] == nil {
			byName[name] = p.newTransport(&tls.Config{ServerName: name, MinVersion: tls.VersionTLS12})
		}
		r.transport = byName[name]
	}
	p.pools = []pool{plain}
	for _, t := range byName {
		p.pools = append(p.pools, t)
	}
	return nil
}

func (p *Proxy) newTransport(tlsConfig *tls.Config) *http.Transport {
	return &http.Transport{
		DialContext: (&net.Dialer{Timeout: min(DefaultConnectTimeout, p.opts.PerTryTimeout), KeepAlive: 30 * time.Second}).DialContext,
		// The per-try timeout, without a timer per try.
		TLSHandshakeTimeout:   p.opts.PerTryTimeout,
		ResponseHeaderTimeout: p.opts.PerTryTimeout,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
		// The client's Accept-Encoding goes through as it asked; the
		// transport must not add gzip and unpack the answer itself.
		DisableCompression: true,
		TLSClientConfig:    tlsConfig,
	}
}

// Close closes idle upstream connections.
func (p *Proxy) Close() {
	for _, t := range p.pools {
		t.CloseIdleConnections()
	}
}

// Logger is the logger the proxy writes to.
func (p *Proxy) Logger() *slog.Logger { return p.opts.Logger }
