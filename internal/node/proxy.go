package node

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"
	"time"

	"outlast/internal/balance"
	"outlast/internal/config"
	"outlast/internal/dnsserver"
	"outlast/internal/metrics"
	"outlast/internal/model"
	"outlast/internal/outlier"
	"outlast/internal/proxy"
	"outlast/internal/retrybudget"
	"outlast/internal/state"
	"outlast/internal/steer"
	"outlast/internal/tlsca"
)

// proxyDrain is how long a stopping node lets proxied requests finish.
const proxyDrain = 10 * time.Second

// httpProxy is the node's HTTP failover proxy, when proxy.listen or
// proxy.tls.listen is set: the proxy, its listeners, and the client-area
// table the answer loop publishes for it.
type httpProxy struct {
	p     *proxy.Proxy
	srv   *proxy.Server
	areas atomic.Pointer[areaTable]
}

// areaTable is an immutable client-area lookup (the DNS snapshot's).
type areaTable struct {
	table dnsserver.Areas
	names []string
}

// startProxy builds and binds the proxy of cfg.Proxy; nil when it is off.
func (n *Node) startProxy(cfg *config.Proxy) (*httpProxy, error) {
	if !cfg.Enabled() {
		return nil, nil
	}
	h := &httpProxy{}
	retries := proxy.DefaultRetries
	if cfg.Retries != nil {
		retries = *cfg.Retries
	}
	opts := proxy.Options{
		Retries:          retries,
		PerTryTimeout:    cfg.PerTryTimeout,
		RetryOn:          cfg.RetryOn,
		IdempotentHeader: cfg.IdempotentHeader,
		Budget:           retrybudget.Budget{Percent: cfg.RetryBudget.Percent, MinConcurrency: cfg.RetryBudget.MinConcurrency},
		Outlier: outlier.Config{Consecutive: cfg.Outlier.Consecutive, BaseEjection: cfg.Outlier.BaseEjection,
			MaxEjection: cfg.Outlier.MaxEjection, MaxEjectedPercent: cfg.Outlier.MaxEjectedPercent},
		SlowStart:     balance.SlowStart{Window: cfg.SlowStart},
		MaxReplayBody: cfg.MaxReplayBody,
		MaxBody:       cfg.MaxBody,
		Area:          h.area,
		Observer:      proxyObserver{m: n.metrics, n: n},
		Logger:        n.opts.Logger.With("component", "proxy"),
	}
	if cfg.AccessLog {
		opts.AccessLog = n.opts.Logger.With("component", "proxy-access")
	}
	routes := make([]proxy.Route, len(cfg.Routes))
	for i, r := range cfg.Routes {
		routes[i] = proxy.Route{Host: r.Host, PathPrefix: r.PathPrefix, Service: r.Service, Port: r.Port, TLS: r.TLS, ServerName: r.ServerName}
	}
	p, err := proxy.New(opts, routes)
	if err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}
	l := proxy.Listeners{Plain: cfg.Listen, TLS: cfg.TLS.Listen}
	if cfg.TLS.Listen != "" {
		l.Certs, err = tlsca.LoadServer(cfg.TLS.CertFile, cfg.TLS.KeyFile,
			tlsca.Options{Logger: n.log.With("files", "proxy.tls")})
		if err != nil {
			return nil, fmt.Errorf("node: proxy.tls: %w", err)
		}
	}
	if h.srv, err = proxy.Listen(p, l, n.opts.Logger.With("component", "proxy")); err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}
	h.p = p
	return h, nil
}

// area sorts a proxied request's client into its geo area.
func (h *httpProxy) area(addr netip.Addr) string {
	t := h.areas.Load()
	if t == nil || t.table == nil {
		return ""
	}
	if i, _, ok := t.table.Area(addr); ok {
		return t.names[i]
	}
	return ""
}

// update gives the proxy where requests go at st: per service and area,
// the endpoints in tiers (steer.Ranked) by the health DNS steers the
// service by (healthOf), each with when it came back up.
func (h *httpProxy) update(services []config.Service, st *state.State, now time.Time, healthOf func(*config.Service) func(string) model.Health,
	resolved steer.Resolved, table *areaTable) error {
	if h == nil {
		return nil
	}
	h.areas.Store(table)
	plan := make(proxy.Plan, len(services))
	for i := range services {
		svc := &services[i]
		health := healthOf(svc)
		sp := proxy.ServicePlan{Areas: map[string][][]proxy.Target{"": proxyTargets(svc, svc.Geo.Default, st, now, health, resolved)}}
		for _, e := range svc.Endpoints {
			sp.Endpoints = append(sp.Endpoints, e.Name)
		}
		if svc.Policy == config.PolicyGeo {
			for _, o := range svc.Geo.Areas {
				sp.Areas[o.Area] = proxyTargets(svc, o.Order, st, now, health, resolved)
			}
		}
		plan[svc.Name] = sp
	}
	return h.p.Update(plan)
}

// proxyTargets ranks svc's endpoints for clients ordered by order.
func proxyTargets(svc *config.Service, order []model.Location, st *state.State, now time.Time, health func(string) model.Health, resolved steer.Resolved) [][]proxy.Target {
	var out [][]proxy.Target
	for _, tier := range steer.Ranked(svc, order, health, resolved) {
		ts := make([]proxy.Target, len(tier))
		for i, c := range tier {
			ts[i] = proxy.Target{Name: c.Endpoint.Name, Domain: c.Endpoint.Location.String(), Weight: c.Weight,
				UpSince: st.ReturnedAt(c.Endpoint.Name, now), Addrs: c.Addrs}
		}
		out = append(out, ts)
	}
	return out
}

// stop drains the proxy: no new requests, the ones in flight finish
// within proxyDrain or ctx.
func (h *httpProxy) stop(ctx context.Context) error {
	if h == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, proxyDrain)
	defer cancel()
	err := h.srv.Shutdown(ctx)
	h.p.Close()
	return err
}

// proxyObserver puts what the proxy does in the metrics, and its
// ejections in this node's evidence.
type proxyObserver struct {
	m *metrics.Metrics
	n *Node
}

func (o proxyObserver) Request(service string, code, tries int, d time.Duration) {
	o.m.ProxyRequest(service, code, tries)
}

func (o proxyObserver) Upstream(service, endpoint string, ok bool, d time.Duration) {
	o.m.ProxyUpstream(service, endpoint, ok, d)
}

func (o proxyObserver) Retry(service string)           { o.m.ProxyRetry(service) }
func (o proxyObserver) BudgetExhausted(service string) { o.m.ProxyBudgetExhausted(service) }

// Ejection counts the ejection and reports it as this node's observation
// of the endpoint: a region that fails real requests while passing its
// checks (a gray failure) shows in the evidence. It never blocks the
// request: when the observation queue is full, the metric and the log
// still say it.
func (o proxyObserver) Ejection(service string, c outlier.Change) {
	o.m.ProxyEjection(service, c.Name)
	o.n.log.Warn("proxy ejected an endpoint after consecutive failed requests", "service", service, "endpoint", c.Name, "until", c.Until)
	obs := model.Observation{Vantage: o.n.local.Node.Name, Endpoint: c.Name, At: c.At, Result: model.Result{
		Reason: model.ReasonProxy, Detail: fmt.Sprintf("ejected by this node's proxy until %s after consecutive failed requests", c.Until.UTC().Format(time.TimeOnly)),
	}}
	select {
	case o.n.obs <- obs:
	default:
		o.n.log.Debug("observation queue full: proxy ejection not in the evidence", "endpoint", c.Name)
	}
}

// serve starts the listeners.
func (h *httpProxy) serve() {
	if h != nil {
		h.srv.Serve(h.p.Logger())
	}
}

// addrs are the bound listener addresses, for the log.
func (h *httpProxy) addrs() []string {
	if h == nil {
		return nil
	}
	var out []string
	for _, a := range h.srv.Addrs() {
		out = append(out, a.String())
	}
	return out
}

// ProxyAddrs are the proxy's bound listener addresses (plain first), none
// when it is off.
func (n *Node) ProxyAddrs() []net.Addr {
	if n.proxy == nil {
		return nil
	}
	return n.proxy.srv.Addrs()
}
