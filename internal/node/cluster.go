package node

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/hashicorp/raft"

	"outlast/internal/cluster"
	"outlast/internal/config"
	"outlast/internal/conncap"
	"outlast/internal/httpguard"
	"outlast/internal/metrics"
	"outlast/internal/state"
	"outlast/internal/tlsca"
)

// joinCluster starts this node's Raft membership: over mutual TLS with the
// configured peers, or, without a cluster section, as a cluster of one whose
// log lives in memory.
func (n *Node) joinCluster() (*cluster.Cluster, error) {
	name := n.local.Node.Name
	opts := cluster.Options{
		NodeID:   name,
		Machine:  n.machine,
		Protocol: state.ProtocolVersion,
		Logger:   n.opts.Logger,
	}
	cl := n.local.Cluster
	switch {
	case cl.Listen == "":
		addr, transport := raft.NewInmemTransport("")
		opts.Transport = transport
		opts.Bootstrap = []cluster.Peer{{ID: name, Address: string(addr)}}
		// Alone, there is nobody to wait for: elect at once.
		opts.Timing = cluster.Timing{HeartbeatTimeout: 50 * time.Millisecond, ElectionTimeout: 50 * time.Millisecond,
			LeaderLeaseTimeout: 50 * time.Millisecond}
	default:
		certs := n.certs
		opts.Bind, opts.Advertise, opts.DataDir = cl.Listen, cl.Advertise, cl.DataDir
		opts.Listener, opts.Dial = n.opts.ClusterListener, n.opts.ClusterDial
		opts.Timing = cluster.Timing{}.Scaled(cl.RaftMultiplier)
		opts.ServerTLS, opts.ClientTLS = certs.ServerConfig(), certs.ClientConfig
		if *cl.Bootstrap {
			for _, p := range cl.Peers {
				opts.Bootstrap = append(opts.Bootstrap, cluster.Peer{ID: p.Name, Address: p.Address})
			}
		}
		mux := http.NewServeMux()
		mux.HandleFunc("POST "+observationsPath, n.handleObservations)
		mux.HandleFunc("GET "+allObservationsPath, n.serveLatest)
		opts.Handler = mux
	}
	c, err := cluster.New(opts)
	if err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}
	n.metrics.ClusterTraffic(c.Traffic)
	// New command kinds wait until every voter speaks them (state.Allowed).
	n.machine.GateBy(c.KnownVersion)
	return c, nil
}

// loadCertificates reads the node certificate and the cluster CA, when the
// node is in a cluster; they secure the cluster port and, off loopback, the
// HTTP listener.
func (n *Node) loadCertificates() error {
	cl := n.local.Cluster
	if cl.Listen == "" {
		return nil
	}
	certs, err := tlsca.LoadWithOptions(tlsca.Files{CA: cl.TLS.CAFile, Cert: cl.TLS.CertFile, Key: cl.TLS.KeyFile},
		n.local.Node.Name, tlsca.Options{Logger: n.opts.Logger.With("component", "tls")})
	if err != nil {
		return fmt.Errorf("node: cluster certificates: %w", err)
	}
	n.certs = certs
	return nil
}

// httpListener binds the HTTP listener: plain on loopback, TLS with the
// node certificate anywhere else (it carries API tokens), or everywhere
// with http.tls: always. Under the TLS,
// connections are capped per client and in all (conncap, through
// httpguard), so no client can take the file descriptors the probes need.
func (n *Node) httpListener() (net.Listener, *conncap.Listener, error) {
	raw, err := net.Listen("tcp", n.local.HTTP.Listen)
	if err != nil {
		return nil, nil, fmt.Errorf("node: http: %w", err)
	}
	addr, err := netip.ParseAddrPort(n.local.HTTP.Listen)
	plain := (err != nil || addr.Addr().IsLoopback()) && n.local.HTTP.TLS != config.HTTPAlways
	if !plain && n.certs == nil {
		raw.Close()
		return nil, nil, fmt.Errorf("node: http: %s must be served over TLS (off loopback, or http.tls: always), and there is no node certificate (cluster.tls)", n.local.HTTP.Listen)
	}
	capped := httpguard.NewListener(raw, httpguard.Limits{}, httpguard.Options{Plain: plain})
	if plain {
		return capped, capped, nil
	}
	return tls.NewListener(capped, n.certs.HTTPSConfig()), capped, nil
}

// checkStale decides whether this node answers from stale state: it has
// heard from no leader for longer than cluster.stale_after. It says so once
// on every change, in the log and the metrics; /healthz reads the flag. It
// also keeps the cluster metrics current. Only the answer loop calls it.
func (n *Node) checkStale() {
	st := n.cluster.Status()
	now := time.Now()
	if st.LeaderID != n.lastLeader {
		if n.lastLeader != "" || st.LeaderID == "" {
			n.metrics.LeaderChanged()
		}
		n.lastLeader = st.LeaderID
	}
	fresh := n.local.Cluster.Listen == "" || // alone, a node is never cut off
		st.State == "Leader" ||
		(st.LeaderID != "" && !st.LastContact.IsZero() && now.Sub(st.LastContact) <= n.local.Cluster.StaleAfter)
	stale := !fresh
	n.recordPersist(st)
	facts := metrics.ClusterFacts{Leader: st.State == "Leader", Stale: stale, PersistFailing: n.persist.Load() != nil,
		AppliedIndex: st.AppliedIndex, Term: st.Term}
	if cfg := n.machine.Current().Config; cfg != nil {
		facts.ConfigVersion = cfg.Version
	}
	n.metrics.ClusterState(facts)
	was := n.stale.Swap(stale)
	n.metrics.Ready(len(n.readinessOf(st))+len(stoppedReasons(st)) == 0)
	if was == stale {
		return
	}
	switch {
	case stale && st.AppliedIndex == 0:
		n.log.Info("waiting for the cluster: answering from this node's own file until it agrees",
			"raft_state", st.State, "leader", st.LeaderID)
	case stale:
		n.log.Warn("cut off from the cluster: answering from the last agreed state",
			"raft_state", st.State, "leader", st.LeaderID, "last_contact", st.LastContact, "applied_index", st.AppliedIndex)
	default:
		n.log.Info("in contact with the cluster", "leader", st.LeaderID, "applied_index", st.AppliedIndex)
	}
}

// recordPersist keeps the cluster's report of failing log writes where the
// answer loop and readiness read it, and says so once on every change.
func (n *Node) recordPersist(st cluster.Status) {
	now := persistOf(st)
	was := n.persist.Swap(now)
	switch {
	case now != nil && was == nil:
		n.log.Error("cannot write the Raft log: no longer applying the cluster's decisions; answering from the last applied state, less what this node's own probes see down",
			"err", now.Err, "since", now.Since)
	case now == nil && was != nil:
		n.log.Info("writing the Raft log again", "failed_for", time.Since(was.Since).Round(time.Millisecond))
	}
}

// persistOf is the cluster's report of a store that stops this node from
// applying: a failing log or stable store. A failing snapshot store leaves
// it applying (degraded; the cluster logs it), so it is not one.
func persistOf(st cluster.Status) *persistFailure {
	if st.PersistError == "" || st.PersistStore == "snapshot" {
		return nil
	}
	return &persistFailure{Err: st.PersistError, Since: st.PersistFailingSince}
}
