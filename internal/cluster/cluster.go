package cluster

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
)

// Peer is a member of the cluster.
type Peer struct {
	// ID is the peer's unique node name.
	ID string
	// Address is where other nodes reach it, host:port (its Advertise).
	Address string
}

// Options configure a Cluster. NodeID and Machine are required, and either
// Bind (or Listener) with ServerTLS and ClientTLS, or Transport.
type Options struct {
	// NodeID is this node's unique name. Required.
	NodeID string
	// Bind is the host:port for raft and the cluster RPC: one TCP port,
	// mutual TLS. Ignored when Listener or Transport is set.
	Bind string
	// Listener, when set, is used instead of listening on Bind: a listener
	// already bound (a test's port 0, socket activation). Cluster closes it.
	Listener net.Listener
	// Dial, when set, opens the TCP connections to other members instead of
	// a net.Dialer: the demo lab uses it, with Listener, to cut a node off.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Advertise is the host:port other nodes reach this one at (default:
	// the bound address, which must then name a specific host).
	Advertise string
	// DataDir holds raft's log and stable store (raft.db, bbolt) and its
	// snapshots (snapshots/, the last 3 kept). Empty keeps everything in
	// memory: state is lost on restart (a single node on its own, tests).
	DataDir string
	// Bootstrap are the initial voters. When the node has no raft state yet
	// and Bootstrap is not empty, it forms a cluster of them, adding itself
	// if it is missing; with state (a restart) Bootstrap is ignored, so the
	// same Options serve every start. Empty: wait to be added with Join.
	Bootstrap []Peer
	// ServerTLS is the TLS config for the listener. It must demand and
	// verify client certificates from the cluster CA
	// (tls.RequireAndVerifyClientCert with ClientCAs): that is all that
	// keeps a stranger out. Required unless Transport is set.
	ServerTLS *tls.Config
	// ClientTLS returns the TLS config for dialing a peer: this node's
	// certificate and the cluster CA as RootCAs. serverName is the peer's
	// node ID when the address belongs to a known member, else the host of
	// the address; it is set as ServerName when the config leaves that
	// empty. Required unless Transport is set.
	ClientTLS func(serverName string) *tls.Config
	// Transport, when set, carries raft instead of the TLS listener, and no
	// listener is made (tests: raft.NewInmemTransport). Without the cluster
	// RPC a follower cannot forward: Apply, Join, Remove and Post work on
	// the leader only and return ErrNoRPC elsewhere.
	Transport raft.Transport
	// Machine is the replicated state machine. Required. When it is a
	// Checker too, the leader checks every command before proposing it.
	Machine Machine
	// Protocol is the protocol version this node speaks: reported in
	// Status and sent with every cluster RPC request and reply
	// (ProtocolHeader), so that ClusterVersion can tell what every voter
	// speaks (default 1).
	Protocol int
	// Handler serves the cluster RPC paths outside /cluster/v1/ on the same
	// mutual-TLS port (observation batches from followers). PeerName tells
	// it which node sent a request. Optional.
	Handler http.Handler
	// Logger receives the cluster's logs, raft's among them (default: discard).
	Logger *slog.Logger
	// Timing tunes failure detection; see Timing for the defaults.
	Timing Timing

	// tune adjusts the raft config; tests use it for snapshot thresholds.
	tune func(*raft.Config)
	// logEvery replaces logEvery, the interval of the summaries of
	// repeated log lines (tests).
	logEvery time.Duration
}

// Timing sets how fast the cluster notices a dead leader. The defaults
// elect a new leader about 1.5 to 3 s after the old one dies, and tolerate
// round trips of a few hundred milliseconds between providers. Shorter
// timeouts fail over faster, but a busy node or a slow link then triggers
// needless elections.
type Timing struct {
	// HeartbeatTimeout: a follower that hears nothing from the leader for
	// this long (randomized up to twice as long) calls an election. The
	// leader heartbeats several times within it. (default 500ms)
	HeartbeatTimeout time.Duration
	// ElectionTimeout: a candidate that wins no election in this long
	// (randomized up to twice as long) tries again. (default 500ms)
	ElectionTimeout time.Duration
	// LeaderLeaseTimeout: a leader that reaches no quorum for this long
	// steps down, so a partitioned leader stops acting alone. At most
	// HeartbeatTimeout. (default 250ms)
	LeaderLeaseTimeout time.Duration
	// CommitTimeout: how long the leader waits for more commands to batch
	// before it sends a heartbeat carrying the commit index. (default 50ms)
	CommitTimeout time.Duration
}

// withDefaults fills unset timings.
func (t Timing) withDefaults() Timing {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	// Half of raft's LAN defaults: a dead leader is replaced in about one to
	// two seconds instead of two to four, well inside the five seconds
	// outlast promises, and still ten round trips of slack on a link
	// between providers (50 ms).
	def(&t.HeartbeatTimeout, 500*time.Millisecond)
	def(&t.ElectionTimeout, 500*time.Millisecond)
	def(&t.LeaderLeaseTimeout, 250*time.Millisecond)
	def(&t.CommitTimeout, 50*time.Millisecond)
	return t
}

// Scaled returns t, defaults filled, with the failure-detection timeouts
// (heartbeat, election, leader lease) multiplied by m, as Consul's
// raft_multiplier does; the commit timeout, a batching delay, stays.
func (t Timing) Scaled(m int) Timing {
	t = t.withDefaults()
	f := time.Duration(max(m, 1))
	t.HeartbeatTimeout *= f
	t.ElectionTimeout *= f
	t.LeaderLeaseTimeout *= f
	return t
}

// Cluster is this node's membership in a raft cluster. Its methods are safe
// for concurrent use.
type Cluster struct {
	id       string
	addr     string // this node's raft address: Advertise, or the Transport's
	logger   *slog.Logger
	sampled  *sampledLog // repeated warnings: refused connections, raft's
	handler  http.Handler
	machine  Machine
	protocol int // Options.Protocol, at least 1
	// version is the cluster version watchVersion last decided, 0 while
	// unknown; stopped is whether the Machine had stopped at its last look.
	version  atomic.Int32
	stopped  atomic.Bool
	raft     *raft.Raft
	rafts    atomic.Pointer[raft.Raft] // for dials raft makes while NewRaft runs
	stores   io.Closer                 // the bolt store, nil in memory
	persist  persistWatch              // the stores' last write failures
	net      *netParts                 // nil with a custom Transport
	observer *raft.Observer
	leaderCh chan bool
	done     chan struct{}
	wg       sync.WaitGroup

	shutdownOnce sync.Once
	shutdownErr  error
}

// New starts this node's raft. It returns once raft runs, usually before a
// leader is known; use LeaderCh or Leader to learn when one is.
func New(opts Options) (*Cluster, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	every := cmp.Or(opts.logEvery, logEvery)
	c := &Cluster{
		id:       opts.NodeID,
		logger:   opts.Logger.With("component", "cluster"),
		handler:  opts.Handler,
		machine:  opts.Machine,
		protocol: protocolOf(opts.Protocol),
		leaderCh: make(chan bool, 1),
		done:     make(chan struct{}),
	}
	c.sampled = newSampledLog(c.logger, every)
	c.persist.now = time.Now
	if err := c.start(opts); err != nil {
		if c.raft != nil {
			c.stopWaiting()
			c.raft.Shutdown().Error()
		}
		c.abort()
		c.sampled.report(true)
		return nil, err
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		c.sampled.reportLoop(every, c.done)
	}()
	c.wg.Add(1)
	go c.watchVersion(versionEvery)
	return c, nil
}

func (o *Options) validate() error {
	switch {
	case o.NodeID == "":
		return errors.New("cluster: NodeID is required")
	case o.Machine == nil:
		return errors.New("cluster: Machine is required")
	case o.Transport == nil && (o.ServerTLS == nil || o.ClientTLS == nil):
		return errors.New("cluster: ServerTLS and ClientTLS are required without a Transport")
	case o.Transport == nil && o.ServerTLS.ClientAuth != tls.RequireAndVerifyClientCert:
		return errors.New("cluster: ServerTLS must require and verify client certificates")
	case o.Transport == nil && o.Listener == nil && o.Bind == "":
		return errors.New("cluster: Bind is required without a Transport")
	}
	return nil
}

// start builds the stores, the transport and raft, then bootstraps.
func (c *Cluster) start(opts Options) error {
	logs, stable, snaps, err := c.openStores(opts.DataDir)
	if err != nil {
		return err
	}
	trans := opts.Transport
	if trans == nil {
		if trans, err = c.listen(opts); err != nil {
			return err
		}
	}
	conf, notify := c.raftConfig(opts)
	r, err := raft.NewRaft(conf, fsm{opts.Machine}, logs, stable, snaps, trans)
	if err != nil {
		return fmt.Errorf("cluster: start raft: %w", err)
	}
	c.raft = r
	if c.net != nil {
		c.net.trans.raft.Store(r)
	}
	c.rafts.Store(r)
	c.addr = string(trans.LocalAddr())
	if err := c.bootstrap(opts.Bootstrap, trans.LocalAddr()); err != nil {
		return err
	}
	obs := make(chan raft.Observation, 16)
	c.observer = raft.NewObserver(obs, false, func(o *raft.Observation) bool {
		_, ok := o.Data.(raft.LeaderObservation)
		return ok
	})
	r.RegisterObserver(c.observer)
	c.wg.Add(1)
	go c.watch(notify, obs)
	if c.net != nil {
		c.net.serve(c)
	}
	return nil
}

// raftConfig returns raft's config and the channel it reports leadership on.
func (c *Cluster) raftConfig(opts Options) (*raft.Config, chan bool) {
	t := opts.Timing.withDefaults()
	conf := raft.DefaultConfig()
	conf.LocalID = raft.ServerID(opts.NodeID)
	conf.HeartbeatTimeout = t.HeartbeatTimeout
	conf.ElectionTimeout = t.ElectionTimeout
	conf.LeaderLeaseTimeout = t.LeaderLeaseTimeout
	conf.CommitTimeout = t.CommitTimeout
	conf.Logger = newRaftLogger(c.logger, c.sampled)
	conf.NoLegacyTelemetry = true
	notify := make(chan bool, 1)
	conf.NotifyCh = notify
	if opts.tune != nil {
		opts.tune(conf)
	}
	return conf, notify
}

// bootstrap forms the cluster on first start. Raft refuses once it has
// state, which is what makes a restart with the same Options harmless.
func (c *Cluster) bootstrap(peers []Peer, self raft.ServerAddress) error {
	if len(peers) == 0 {
		return nil
	}
	var conf raft.Configuration
	found := false
	for _, p := range peers {
		if p.ID == c.id {
			found = true
			if c.net != nil && p.Address != string(self) {
				return fmt.Errorf("cluster: bootstrap lists %s at %s, but it advertises %s", p.ID, p.Address, self)
			}
		}
		conf.Servers = append(conf.Servers, raft.Server{Suffrage: raft.Voter, ID: raft.ServerID(p.ID), Address: raft.ServerAddress(p.Address)})
	}
	if !found {
		conf.Servers = append(conf.Servers, raft.Server{Suffrage: raft.Voter, ID: raft.ServerID(c.id), Address: self})
	}
	err := c.raft.BootstrapCluster(conf).Error()
	if err != nil && !errors.Is(err, raft.ErrCantBootstrap) {
		return fmt.Errorf("cluster: bootstrap: %w", err)
	}
	if err == nil {
		c.logger.Info("cluster: bootstrapped", "voters", len(conf.Servers))
	}
	return nil
}

// watch logs leadership changes and passes this node's own on to LeaderCh.
func (c *Cluster) watch(notify <-chan bool, obs <-chan raft.Observation) {
	defer c.wg.Done()
	for {
		select {
		case leader := <-notify:
			c.logger.Info("cluster: this node's leadership changed", "leader", leader)
			select {
			case <-c.leaderCh:
			default:
			}
			c.leaderCh <- leader
		case o := <-obs:
			lo := o.Data.(raft.LeaderObservation)
			if lo.LeaderID == "" {
				c.logger.Info("cluster: no leader known")
				continue
			}
			c.logger.Info("cluster: leader changed", "leader", string(lo.LeaderID), "address", string(lo.LeaderAddr))
		case <-c.done:
			return
		}
	}
}

// IsLeader reports whether this node is the leader now.
func (c *Cluster) IsLeader() bool { return c.raft.State() == raft.Leader }

// Leader returns the leader's node ID and address as this node knows them;
// both are empty while no leader is known.
func (c *Cluster) Leader() (id, addr string) {
	a, i := c.raft.LeaderWithID()
	return string(i), string(a)
}

// LeaderCh delivers true when this node becomes the leader and false when
// it stops being the leader. It holds only the latest change: a receiver
// that falls behind sees the current state, not every flip. It has one
// receiver (the node starts and stops its leader-only work on it).
func (c *Cluster) LeaderCh() <-chan bool { return c.leaderCh }

// Snapshot makes raft take a snapshot now and compact its log (a backup
// before maintenance; tests). Raft also takes them on its own.
func (c *Cluster) Snapshot() error {
	if err := c.raft.Snapshot().Error(); err != nil {
		return fmt.Errorf("cluster: snapshot: %w", err)
	}
	return nil
}

// isShutdown reports whether raft has stopped, by Shutdown or because this
// node was removed from the cluster.
func (c *Cluster) isShutdown() bool { return c.raft.State() == raft.Shutdown }

// Shutdown stops raft, closes the listener, every connection and the
// stores, and waits for the goroutines it started. Calling it again
// returns the first result.
func (c *Cluster) Shutdown() error {
	c.shutdownOnce.Do(func() {
		var errs []error
		c.stopWaiting()
		if err := c.raft.Shutdown().Error(); err != nil {
			errs = append(errs, fmt.Errorf("cluster: raft shutdown: %w", err))
		}
		c.raft.DeregisterObserver(c.observer)
		close(c.done)
		errs = append(errs, c.abort())
		c.wg.Wait()
		c.sampled.report(true) // what the summaries had not told yet
		c.shutdownErr = errors.Join(errs...)
	})
	return c.shutdownErr
}

// stopWaiting ends the transport's waits for unreachable followers; raft's
// shutdown waits for the calls that wait.
func (c *Cluster) stopWaiting() {
	if c.net != nil {
		c.net.trans.stopWaiting()
	}
}

// abort releases the network and stores; it also cleans up a failed New.
func (c *Cluster) abort() error {
	if c.net != nil {
		c.net.close()
	}
	if c.stores != nil {
		if err := c.stores.Close(); err != nil {
			return fmt.Errorf("cluster: close store: %w", err)
		}
	}
	return nil
}

// TransferLeadership asks the leader to hand leadership to the member id and
// waits for the handover. It must be called on the leader. Drills and the
// demo use it to choose which provider holds the leader when it dies.
func (c *Cluster) TransferLeadership(id string) error {
	for _, s := range c.raft.GetConfiguration().Configuration().Servers {
		if string(s.ID) == id {
			if err := c.raft.LeadershipTransferToServer(s.ID, s.Address).Error(); err != nil {
				return fmt.Errorf("cluster: transfer leadership to %s: %w", id, err)
			}
			return nil
		}
	}
	return fmt.Errorf("cluster: transfer leadership: %q is not a member", id)
}
