// Package node runs one outlast node: it probes every endpoint, feeds the
// results to the health engine, steers answers from the verdicts and swaps
// them into the DNS server, and serves /healthz and /metrics. It is the
// wiring between the pure decision packages and the IO at the edges; it
// decides nothing itself.
package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"outlast/internal/clock"
	"outlast/internal/config"
	"outlast/internal/dnsserver"
	"outlast/internal/health"
	"outlast/internal/metrics"
	"outlast/internal/model"
	"outlast/internal/scheduler"
)

// evaluateEvery is how often verdicts are recomputed. Observations are folded
// in as they arrive; deciding on a short tick rather than per observation
// keeps the cost flat with thousands of endpoints, for at most this much delay.
const evaluateEvery = 50 * time.Millisecond

// Options are a node's collaborators; every field has a working default.
type Options struct {
	Logger     *slog.Logger // default: discard
	Clock      clock.Clock  // default: the wall clock
	ConfigFile string       // shown in metrics
	Version    string       // shown in metrics and /healthz
	// Probe replaces the real probes; tests of the wiring use it to inject faults.
	Probe func(context.Context, scheduler.Job) model.Result
}

// Node is one running outlast node. Build it with New, then Start and Stop it (or Run).
type Node struct {
	cfg     *config.Config
	opts    Options
	log     *slog.Logger
	metrics *metrics.Metrics
	engine  *health.Engine // owned by the decide loop once started
	dns     *dnsserver.Server
	status  *statusBoard
	obs     chan model.Observation

	httpSrv  *http.Server
	httpAddr net.Addr
	dnsAddr  net.Addr
	ctx      context.Context // done when the node stops
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

// New prepares a node for cfg, which must come from config.Load. It binds nothing yet.
func New(cfg *config.Config, opts Options) (*Node, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	engine, err := health.New(health.Options{StaleAfter: cfg.Health.StaleAfter}, endpointSpecs(cfg), []health.Vantage{
		{Name: cfg.Node.Name, Location: cfg.Node.Location},
	})
	if err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}
	n := &Node{
		cfg:     cfg,
		opts:    opts,
		log:     opts.Logger.With("component", "node", "node", cfg.Node.Name),
		metrics: metrics.New(opts.Version),
		engine:  engine,
		status:  newStatusBoard(cfg, opts.Version),
		obs:     make(chan model.Observation, 1024),
	}
	snap, err := n.steer()
	if err != nil {
		return nil, err
	}
	n.dns = dnsserver.New(dnsserver.Options{
		Logger:  opts.Logger.With("component", "dns"),
		OnQuery: n.metrics.DNSQuery,
	}, snap)
	n.metrics.Config(opts.ConfigFile, cfg.Hash, true)
	return n, nil
}

// Start binds the DNS and HTTP listeners and starts probing. It returns
// once the node answers queries, or with the error that kept it from doing so.
func (n *Node) Start() error {
	udp, _, err := n.dns.Start(n.cfg.DNS.Listen)
	if err != nil {
		return fmt.Errorf("node: dns: %w", err)
	}
	n.dnsAddr = udp
	ln, err := net.Listen("tcp", n.cfg.HTTP.Listen)
	if err != nil {
		_ = n.dns.Shutdown(context.Background())
		return fmt.Errorf("node: http: %w", err)
	}
	n.httpAddr = ln.Addr()
	n.httpSrv = &http.Server{Handler: n.httpHandler(), ReadHeaderTimeout: 5 * time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	n.ctx, n.cancel = ctx, cancel
	sched := scheduler.New(scheduler.Options{
		Clock:   n.opts.Clock,
		Vantage: n.cfg.Node.Name,
		Probe:   n.opts.Probe,
		Emit:    n.emit,
		Logger:  n.opts.Logger.With("component", "scheduler"),
	}, jobs(n.cfg))
	n.goRun(func() { _ = n.httpSrv.Serve(ln) })
	n.goRun(func() { _ = sched.Run(ctx) })
	n.goRun(func() { n.decideLoop(ctx) })
	n.log.Info("serving", "dns", n.dnsAddr.String(), "http", n.httpAddr.String(),
		"services", len(n.cfg.Services), "endpoints", len(endpointSpecs(n.cfg)))
	return nil
}

func (n *Node) goRun(f func()) {
	n.wg.Add(1)
	go func() { defer n.wg.Done(); f() }()
}

// DNSAddr is the bound DNS address (UDP; TCP listens on the same port).
func (n *Node) DNSAddr() net.Addr { return n.dnsAddr }

// HTTPAddr is the bound address of /healthz and /metrics.
func (n *Node) HTTPAddr() net.Addr { return n.httpAddr }

// Stop shuts the node down and waits for its goroutines, bounded by ctx.
func (n *Node) Stop(ctx context.Context) error {
	n.cancel()
	err := errors.Join(n.httpSrv.Shutdown(ctx), n.dns.Shutdown(ctx))
	n.wg.Wait()
	return err
}

// Run starts the node and serves until ctx is done.
func (n *Node) Run(ctx context.Context) error {
	if err := n.Start(); err != nil {
		return err
	}
	<-ctx.Done()
	stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return n.Stop(stopCtx)
}

// emit hands an observation from a probe goroutine to the decide loop. It
// blocks rather than drop: a lost failure would delay a failover.
func (n *Node) emit(o model.Observation) {
	select {
	case n.obs <- o:
	case <-n.ctx.Done():
	}
}
