// Package node runs one outlast node: it probes every endpoint, takes part
// in the cluster's agreement (Raft), and answers DNS and /healthz from the
// state the cluster agreed on. On the leader it also runs the health engine
// over every node's observations and commits the verdict changes. It is the
// wiring between the pure decision packages and the IO at the edges; it
// decides nothing itself.
//
// A node without a cluster section is a cluster of one, with its Raft log in
// memory: the same code path decides, so a single node behaves as a cluster does.
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

	"outlast/internal/cluster"
	"outlast/internal/config"
	"outlast/internal/conncap"
	"outlast/internal/dnsserver"
	"outlast/internal/httpguard"
	"outlast/internal/metrics"
	"outlast/internal/model"
	"outlast/internal/rrl"
	"outlast/internal/scheduler"
	"outlast/internal/state"
	"outlast/internal/tlsca"
	"outlast/internal/zone"
)

// evaluateEvery is how often the leader recomputes verdicts and followers
// send their batched observations. Deciding on a short tick rather than per
// observation keeps the cost flat with thousands of endpoints, for at most
// this much delay.
const evaluateEvery = 50 * time.Millisecond

// sendEvery is how often a follower sends its observations to the leader
// (when it has any): a few times per check interval, so the leader's view
// is never more than a fraction of an interval behind.
const sendEvery = 250 * time.Millisecond

// Options are a node's collaborators; every field has a working default.
type Options struct {
	Logger     *slog.Logger // default: discard
	ConfigFile string       // shown in metrics
	Version    string       // shown in metrics and /healthz
	// Probe replaces the real probes; the demo lab wraps them to cut a node's network.
	Probe func(context.Context, scheduler.Job) model.Result
	// ClusterListener and ClusterDial, when set, carry the cluster's TCP
	// traffic instead of a listener on cluster.listen and a net.Dialer (the
	// demo lab's cuttable network).
	ClusterListener net.Listener
	ClusterDial     func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Node is one running outlast node. Build it with New, then Start and Stop it (or Run).
type Node struct {
	local   *config.Config // the file this node was started with
	opts    Options
	log     *slog.Logger
	metrics *metrics.Metrics
	dns     *dnsserver.Server
	machine *state.Machine
	cluster *cluster.Cluster
	certs   *tlsca.Reloader // the node certificate, in a cluster

	changed chan struct{}            // the applied state changed
	applied broadcast                // the same, for every write waiting to read itself (awaitApplied)
	obs     chan model.Observation   // from this node's probes
	remote  chan remoteBatch         // from the other nodes, to the leader
	outbox  chan []model.Observation // batches waiting for the sender

	latest  latestBoard                    // every node's latest results that reached this one
	answers atomic.Pointer[[]model.Answer] // what DNS answers now
	own     ownView                        // this node's own probes' judgement
	stale   atomic.Bool                    // no contact with a leader for longer than cluster.stale_after
	// persist holds the cluster's report of a failing log store, nil while
	// writes succeed; checkStale keeps it current.
	persist atomic.Pointer[persistFailure]
	beat    atomic.Int64 // when the answer loop last turned, in Unix nanoseconds
	access  *access
	fileMu  sync.Mutex // guards file
	file    fileSync   // this node's file against the cluster's configuration
	// lastLeader is the leader checkStale saw last; only the answer loop touches it.
	lastLeader string
	// holding: DNS answers SERVFAIL until the node caught up (caughtUp).
	holding atomic.Bool

	started     time.Time
	httpSrv     *http.Server
	httpAddr    net.Addr
	dnsAddr     net.Addr
	ctx         context.Context // done when the node stops
	cancel      context.CancelFunc
	wg          sync.WaitGroup
	static      staticRecords // the zones' records, parsed once per configuration
	signers     zoneSigners   // the signed zones' signers, kept across snapshots
	secondaries secondaries   // zones served to secondaries: journals, notifiers
	serials     zoneSerials   // transferred zones' serials, by content, kept on disk
	zones       zoneBoard     // the zones' facts for the API (zonestatus.go)
	targets     *targets      // the endpoints' target hostnames, resolved
	areas       areas         // the table sorting DNS clients into areas
	proxy       *httpProxy    // the HTTP failover proxy; nil when off
	jar         cachedJar     // the DNS cookie secrets' jar (buildAnswers only)
	// primaries is the leader's work for policy primary services: its
	// proposals and hooks (decide loop only, but for its hooks' goroutines).
	primaries *primaries
}

// New prepares a node for cfg, which must come from config.Load. It binds
// nothing yet. It checks the zones' records (zone.Check, which also
// completes the zones from them), since config.Load cannot parse them.
func New(cfg *config.Config, opts Options) (*Node, error) {
	if err := zone.Check(cfg); err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	n := &Node{
		local:   cfg,
		opts:    opts,
		log:     opts.Logger.With("component", "node", "node", cfg.Node.Name),
		metrics: metrics.New(opts.Version),
		changed: make(chan struct{}, 1),
		obs:     make(chan model.Observation, 1024),
		remote:  make(chan remoteBatch, 64),
		outbox:  make(chan []model.Observation, 1),
	}
	var err error
	if n.targets, err = newTargets(cfg, opts.Logger); err != nil {
		return nil, err
	}
	n.areas.log = n.log
	n.machine = state.NewMachine(func(*state.State) {
		n.signalChange()
		n.applied.Notify()
	})
	// A member starts from an empty or old state: it holds its answers
	// until it has caught up with the cluster (answerLoop). The answers
	// built here only check the configuration builds.
	n.holding.Store(cfg.Cluster.Listen != "")
	st := n.machine.Current()
	snap, err := n.buildAnswers(n.effectiveConfig(st), st, time.Now())
	if err != nil {
		return nil, err
	}
	if n.holding.Load() {
		snap = dnsserver.Holding()
	}
	limit, err := rateLimit(&cfg.DNS.RateLimit)
	if err != nil {
		return nil, err
	}
	n.dns = dnsserver.New(dnsserver.Options{Logger: opts.Logger, OnQuery: n.countQuery, RateLimit: limit}, snap)
	n.metrics.Config(opts.ConfigFile, cfg.Hash, true)
	n.access = n.newAccess(cfg.API)
	n.syncFile(cfg.Hash, 0)
	return n, nil
}

// Start binds the DNS, HTTP and cluster listeners, joins the cluster and
// starts probing. It returns once the node answers queries, or with the
// error that kept it from doing so.
func (n *Node) Start() error {
	handler, err := httpguard.CheckHost(n.local.HTTP.AllowedHosts, n.httpHandler())
	if err != nil { // config.Load checked the names already
		return fmt.Errorf("node: %w", err)
	}
	udp, _, err := n.dns.Start(n.local.DNS.Listen)
	if err != nil {
		return fmt.Errorf("node: dns: %w", err)
	}
	n.dnsAddr = udp
	if err := n.loadCertificates(); err != nil {
		_ = n.dns.Shutdown(context.Background())
		return err
	}
	ln, capped, err := n.httpListener()
	if err != nil {
		_ = n.dns.Shutdown(context.Background())
		return err
	}
	n.primaries = newPrimaries(n)
	if n.proxy, err = n.startProxy(&n.local.Proxy); err != nil {
		ln.Close()
		_ = n.dns.Shutdown(context.Background())
		return err
	}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	if n.cluster, err = n.joinCluster(); err != nil {
		n.cancel()
		ln.Close()
		_ = n.proxy.stop(context.Background())
		_ = n.dns.Shutdown(context.Background())
		return err
	}
	n.started = time.Now()
	n.httpAddr = ln.Addr()
	n.metrics.RefusedConnections(refusals(capped.Stats), refusals(n.dns.TCPStats), n.cluster.Refused)
	n.httpSrv = httpguard.NewServer(handler, httpguard.Limits{}, n.opts.Logger) // it adds component=http
	n.goRun(func() { _ = n.httpSrv.Serve(ln) })
	n.goRun(func() { n.targets.run(n.ctx) })
	n.goRun(n.answerLoop)
	n.goRun(n.decideLoop)
	n.goRun(n.sendLoop)
	n.goRun(n.memberLoop)
	n.signalChange() // the answer loop gives the proxy its first plan
	n.proxy.serve()
	n.log.Info("serving", "dns", n.dnsAddr.String(), "http", n.httpAddr.String(), "cluster", n.local.Cluster.Listen,
		"proxy", n.proxy.addrs())
	return nil
}

// refusals adapts a listener's counters to the metric.
func refusals(stats func() conncap.Stats) metrics.Refusals {
	return func() (uint64, uint64) {
		s := stats()
		return s.RefusedPerClient, s.RefusedTotal
	}
}

// rateLimit is the DNS server's response rate limiting from r.
func rateLimit(r *config.RateLimit) (dnsserver.RateLimit, error) {
	if !r.Enabled() {
		return dnsserver.RateLimit{}, nil
	}
	l, err := rrl.New(r.Limiter())
	if err != nil {
		return dnsserver.RateLimit{}, fmt.Errorf("node: dns.rate_limit: %w", err)
	}
	return dnsserver.RateLimit{Limiter: l, Exempt: r.Exempt}, nil
}

// countQuery counts one answered query (or one rate limiting dropped),
// and the client area of a geo one.
func (n *Node) countQuery(q dnsserver.Query) {
	if q.Limited != rrl.Send {
		n.metrics.DNSRateLimited(q.Limited == rrl.Drop)
		if q.Limited == rrl.Drop {
			return // not answered
		}
	}
	n.metrics.DNSQuery(q.Type, q.Rcode)
	n.metrics.DNSCookie(uint8(q.Cookie))
	if q.DenialToTCP {
		n.metrics.DenialToTCP()
	}
	if q.Geo {
		n.metrics.AreaQuery(q.Area)
	}
}

func (n *Node) goRun(f func()) {
	n.wg.Add(1)
	go func() { defer n.wg.Done(); f() }()
}

// DNSAddr is the bound DNS address (UDP; TCP listens on the same port).
func (n *Node) DNSAddr() net.Addr { return n.dnsAddr }

// HTTPAddr is the bound address of /healthz and /metrics.
func (n *Node) HTTPAddr() net.Addr { return n.httpAddr }

// Raft is the node's cluster membership: leadership, status, proposals.
func (n *Node) Raft() *cluster.Cluster { return n.cluster }

// Stop shuts the node down and waits for its goroutines, bounded by ctx.
func (n *Node) Stop(ctx context.Context) error {
	// The proxy drains first: requests in flight finish while the answers
	// that steer them are still current.
	err := n.proxy.stop(ctx)
	n.cancel()
	err = errors.Join(err, n.httpSrv.Shutdown(ctx), n.dns.Shutdown(ctx))
	n.wg.Wait()
	return errors.Join(err, n.cluster.Shutdown())
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

func (n *Node) signalChange() {
	select {
	case n.changed <- struct{}{}:
	default: // a change is already pending; the loop reads the latest state anyway
	}
}

// State is the agreed state this node has applied. Callers must not modify it.
func (n *Node) State() *state.State { return n.machine.Current() }
