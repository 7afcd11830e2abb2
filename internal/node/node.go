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
	"sync/atomic"
	"time"

	"outlast/internal/clock"
	"outlast/internal/config"
	"outlast/internal/dnsserver"
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
	opts    Options
	log     *slog.Logger
	metrics *metrics.Metrics
	dns     *dnsserver.Server
	status  atomic.Pointer[statusBoard] // what HTTP handlers read
	obs     chan model.Observation
	reloads chan reload

	// gen is the configuration being served; only the decide loop touches it once started.
	gen       *generation
	listeners [2]string // dns.listen and http.listen, fixed for the node's life

	started  time.Time
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
	n := &Node{
		opts:      opts,
		log:       opts.Logger.With("component", "node", "node", cfg.Node.Name),
		metrics:   metrics.New(opts.Version),
		obs:       make(chan model.Observation, 1024),
		reloads:   make(chan reload),
		listeners: [2]string{cfg.DNS.Listen, cfg.HTTP.Listen},
	}
	gen, err := n.newGeneration(cfg, nil)
	if err != nil {
		return nil, err
	}
	snap, err := n.steer(gen)
	if err != nil {
		return nil, err
	}
	n.gen = gen
	n.status.Store(gen.status)
	n.dns = dnsserver.New(dnsserver.Options{Logger: opts.Logger, OnQuery: n.metrics.DNSQuery}, snap)
	n.metrics.Config(opts.ConfigFile, cfg.Hash, true)
	return n, nil
}

// Start binds the DNS and HTTP listeners and starts probing. It returns
// once the node answers queries, or with the error that kept it from doing so.
func (n *Node) Start() error {
	udp, _, err := n.dns.Start(n.listeners[0])
	if err != nil {
		return fmt.Errorf("node: dns: %w", err)
	}
	n.dnsAddr = udp
	ln, err := net.Listen("tcp", n.listeners[1])
	if err != nil {
		_ = n.dns.Shutdown(context.Background())
		return fmt.Errorf("node: http: %w", err)
	}
	n.httpAddr = ln.Addr()
	n.httpSrv = &http.Server{Handler: n.httpHandler(), ReadHeaderTimeout: 5 * time.Second}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	n.started = time.Now()
	n.startProbing(n.gen)
	n.goRun(func() { _ = n.httpSrv.Serve(ln) })
	n.goRun(n.decideLoop)
	n.log.Info("serving", "dns", n.dnsAddr.String(), "http", n.httpAddr.String(),
		"services", len(n.gen.cfg.Services), "endpoints", len(n.gen.endpoints))
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

// startProbing runs a scheduler for gen's endpoints until gen is retired or the node stops.
func (n *Node) startProbing(gen *generation) {
	ctx, cancel := context.WithCancel(n.ctx)
	gen.stop = cancel
	sched := scheduler.New(scheduler.Options{
		Clock:   n.opts.Clock,
		Vantage: gen.cfg.Node.Name,
		Probe:   n.opts.Probe,
		Emit: func(o model.Observation) {
			// Block rather than drop: a lost failure would delay a failover.
			// A retired generation's results are no longer wanted.
			select {
			case n.obs <- o:
			case <-ctx.Done():
			}
		},
		Logger: n.opts.Logger,
	}, jobs(gen.cfg))
	n.goRun(func() {
		defer close(gen.stopped)
		_ = sched.Run(ctx)
	})
}
