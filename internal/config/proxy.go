package config

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Proxy is this node's HTTP failover proxy: an optional data plane that
// forwards requests to a healthy endpoint of a service and retries another
// failure domain within the request. Local: each node has its own
// listeners, certificates and limits (default: off). Zero fields take the
// defaults given; they are internal/proxy's.
type Proxy struct {
	// Listen is the plain-HTTP listener, IP:port (default: none).
	Listen string `yaml:"listen"`
	// TLS is the HTTPS listener (HTTP/1.1 and HTTP/2) (default: none).
	TLS ProxyTLS `yaml:"tls"`
	// Routes send requests by Host (and path prefix) to services. At least
	// one when a listener is set.
	Routes []ProxyRoute `yaml:"routes"`
	// Retries is how many more times an idempotent request is sent, each
	// to another endpoint, preferably in another failure domain (default
	// 1; 0 turns retries off).
	Retries *int `yaml:"retries"`
	// PerTryTimeout bounds one try until its response headers arrive
	// (default 3s); the body then streams for as long as it takes.
	PerTryTimeout time.Duration `yaml:"per_try_timeout,nonzero"`
	// RetryOn are the response statuses retried, besides connect failures,
	// resets and per-try timeouts (default [502, 503, 504]).
	RetryOn []int `yaml:"retry_on"`
	// IdempotentHeader names a request header that, set to true, marks a
	// request of any method safe to retry; GET, HEAD, OPTIONS, PUT, DELETE
	// and TRACE always are (default: none).
	IdempotentHeader string `yaml:"idempotent_header"`
	// RetryBudget caps retries in flight (default: 20% of the requests in
	// flight, at least 3), as Envoy's retry_budget.
	RetryBudget ProxyRetryBudget `yaml:"retry_budget"`
	// MaxReplayBody is the largest request body kept to be sent again on a
	// retry, in bytes; larger bodies are sent once (default 65536).
	MaxReplayBody int64 `yaml:"max_replay_body,nonzero"`
	// MaxBody is the largest request body accepted, in bytes (default
	// 16777216, 16 MiB); larger ones get 413.
	MaxBody int64 `yaml:"max_body,nonzero"`
	// Outlier ejects an endpoint that fails consecutive requests from this
	// node's proxy for a while (Envoy's outlier detection).
	Outlier ProxyOutlier `yaml:"outlier"`
	// SlowStart is how long an endpoint that comes back up takes to get its
	// full share of requests, growing linearly from 10% (default 0s: at once).
	SlowStart time.Duration `yaml:"slow_start"`
	// AccessLog writes one log line per request (default false).
	AccessLog bool `yaml:"access_log"`
}

// ProxyTLS is the proxy's HTTPS listener. The certificate and key are read
// again when they change; a pair that does not load keeps the last good one.
type ProxyTLS struct {
	// Listen is the HTTPS listener, IP:port (default: none).
	Listen string `yaml:"listen"`
	// CertFile is the PEM certificate chain served. Required with Listen.
	CertFile string `yaml:"cert_file"`
	// KeyFile is its PEM private key. Required with Listen.
	KeyFile string `yaml:"key_file"`
}

// ProxyRoute sends the requests for one host, and optionally one path
// prefix, to the endpoints of a service.
type ProxyRoute struct {
	// Host is the request host matched: a name, or *.example.com for any
	// name below example.com. Required.
	Host string `yaml:"host"`
	// PathPrefix limits the route to paths under it, matched at /
	// boundaries (default /: every path).
	PathPrefix string `yaml:"path_prefix"`
	// Service is the name of the service whose endpoints get the
	// requests. Required; it must be one of services[].
	Service string `yaml:"service"`
	// Port of the endpoints the requests go to (default 80, 443 with tls).
	Port int `yaml:"port,nonzero"`
	// TLS sends the requests to the endpoints over HTTPS (default false).
	TLS bool `yaml:"tls"`
	// ServerName is the name the endpoints' certificates are checked
	// against, and sent as SNI (default: the route's host; required with tls on a *. host).
	ServerName string `yaml:"server_name"`
}

// ProxyRetryBudget caps the retries in flight.
type ProxyRetryBudget struct {
	// Percent of the requests in flight that retries may add (default 20).
	Percent float64 `yaml:"percent,nonzero"`
	// MinConcurrency is how many retries are always allowed at once (default 3).
	MinConcurrency int `yaml:"min_concurrency,nonzero"`
}

// ProxyOutlier configures passive failure detection.
type ProxyOutlier struct {
	// Consecutive failures (connect failures, resets, timeouts, 5xx) that
	// eject an endpoint (default 5).
	Consecutive int `yaml:"consecutive,nonzero"`
	// BaseEjection is how long the first ejection lasts; each one in a row
	// lasts one BaseEjection more (default 30s).
	BaseEjection time.Duration `yaml:"base_ejection,nonzero"`
	// MaxEjection caps one ejection (default 300s).
	MaxEjection time.Duration `yaml:"max_ejection,nonzero"`
	// MaxEjectedPercent of a service's endpoints may be ejected at once,
	// at least one and never all (default 50).
	MaxEjectedPercent int `yaml:"max_ejected_percent,nonzero"`
}

// Enabled reports whether the proxy listens at all.
func (p *Proxy) Enabled() bool { return p.Listen != "" || p.TLS.Listen != "" }

// MaxProxyRetries bounds proxy.retries: each retry goes to another
// endpoint, and services have a handful.
const MaxProxyRetries = 5

// proxy checks the proxy section against the services it routes to.
func (v *validator) proxy(p *Proxy, services []Service) {
	if p.Listen != "" {
		v.listener("proxy.listen", p.Listen)
	}
	if p.TLS.Listen != "" {
		v.listener("proxy.tls.listen", p.TLS.Listen)
		if p.TLS.CertFile == "" || p.TLS.KeyFile == "" {
			v.add("proxy.tls", "listen needs cert_file and key_file (PEM certificate chain and private key)")
		}
	} else if p.TLS.CertFile != "" || p.TLS.KeyFile != "" {
		v.add("proxy.tls.listen", "cert_file and key_file are set but no listen address; add listen, such as 0.0.0.0:443")
	}
	if p.Enabled() && len(p.Routes) == 0 {
		v.add("proxy.routes", "the proxy listens but has no route; add one (host and service) or remove the listeners")
	}
	names := map[string]bool{}
	for _, s := range services {
		names[s.Name] = true
	}
	seen := map[string]int{}
	for i := range p.Routes {
		v.proxyRoute(fmt.Sprintf("proxy.routes[%d]", i), &p.Routes[i], names, seen, i)
	}
	if p.Retries != nil && (*p.Retries < 0 || *p.Retries > MaxProxyRetries) {
		v.add("proxy.retries", "%d is outside 0..%d", *p.Retries, MaxProxyRetries)
	}
	for i, code := range p.RetryOn {
		if code < 500 || code > 599 {
			v.add(fmt.Sprintf("proxy.retry_on[%d]", i), "%d is not a 5xx status; only server errors are retried", code)
		}
	}
	if h := p.IdempotentHeader; h != "" && !validHeaderName(h) {
		v.add("proxy.idempotent_header", "%q is not an HTTP header name", h)
	}
	if b := p.RetryBudget; math.IsNaN(b.Percent) || b.Percent < 0 || b.Percent > 100 || b.MinConcurrency < 0 {
		v.add("proxy.retry_budget", "percent must be in 0..100 and min_concurrency at least 0 (0 means the default), got %v and %d", b.Percent, b.MinConcurrency)
	}
	o := p.Outlier
	if o.Consecutive < 0 || o.BaseEjection < 0 || o.MaxEjection < 0 || o.MaxEjectedPercent < 0 || o.MaxEjectedPercent > 100 {
		v.add("proxy.outlier", "no field may be negative and max_ejected_percent is at most 100 (0 means the default)")
	}
	if o.MaxEjection > 0 && o.BaseEjection > 0 && o.MaxEjection < o.BaseEjection {
		v.add("proxy.outlier.max_ejection", "%s is shorter than base_ejection %s", o.MaxEjection, o.BaseEjection)
	}
	for _, d := range []struct {
		path  string
		value time.Duration
	}{{"per_try_timeout", p.PerTryTimeout}, {"slow_start", p.SlowStart}} {
		if d.value < 0 {
			v.add("proxy."+d.path, "must not be negative, got %s", d.value)
		}
	}
	if p.MaxReplayBody < 0 || p.MaxBody < 0 {
		v.add("proxy", "max_replay_body and max_body must not be negative (0 means the default)")
	}
}

func (v *validator) proxyRoute(path string, r *ProxyRoute, services map[string]bool, seen map[string]int, i int) {
	host := strings.TrimPrefix(r.Host, "*.")
	if !isHostName(host) {
		v.add(path+".host", "%q is not a host name; write www.example.com, or *.example.com for every name below it", r.Host)
	}
	if r.PathPrefix != "" && !strings.HasPrefix(r.PathPrefix, "/") {
		v.add(path+".path_prefix", "%q must start with /", r.PathPrefix)
	}
	if name := canonicalName(r.Service); !services[name] {
		v.add(path+".service", "%q is not one of services[].name", r.Service)
	}
	if r.TLS && r.ServerName == "" && strings.HasPrefix(r.Host, "*.") {
		v.add(path+".server_name", "is required with tls on a wildcard host: the endpoints' certificates are checked against it (a name per client's host would let clients make the proxy keep a connection pool per name they invent)")
	}
	if r.Port < 0 || r.Port > 65535 {
		v.add(path+".port", "%d is not a port", r.Port)
	}
	key := strings.ToLower(r.Host) + " " + strings.TrimSuffix(r.PathPrefix, "/")
	if prev, dup := seen[key]; dup {
		v.add(path, "routes the same host and path prefix as proxy.routes[%d]", prev)
	}
	seen[key] = i
}

// validHeaderName reports whether h is an HTTP field name (RFC 9110 5.1: a token).
func validHeaderName(h string) bool {
	for _, c := range h {
		if c > 127 || !strings.ContainsRune("!#$%&'*+-.^_`|~", c) && !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return h != ""
}

// proxyDefaults fills the route defaults that depend on other fields.
func proxyDefaults(p *Proxy) {
	for i := range p.Routes {
		r := &p.Routes[i]
		r.Service = canonicalName(r.Service)
		if r.Port == 0 {
			r.Port = 80
			if r.TLS {
				r.Port = 443
			}
		}
	}
}
