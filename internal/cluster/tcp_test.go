package cluster

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// tcpNode is one node over real loopback TCP with mutual TLS.
type tcpNode struct {
	id    string
	addr  string
	dir   string
	ca    *testCA
	c     *Cluster
	m     *logMachine
	posts *postLog
	// dial, when set, opens the node's connections (Options.Dial).
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// protocol is Options.Protocol; checked makes its Machine a Checker.
	protocol int
	checked  bool
}

func (n *tcpNode) cluster() *Cluster { return n.c }

// postLog is an Options.Handler that records what Post delivered.
type postLog struct {
	mu  sync.Mutex
	got []string
}

func (p *postLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	p.mu.Lock()
	p.got = append(p.got, fmt.Sprintf("%s %s from %s", r.URL.Path, body, PeerName(r)))
	p.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (p *postLog) list() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.got)
}

// listen binds a loopback port for a node that starts later.
func listenLoopback(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// startTCP starts a node on ln (or on its old address when ln is nil).
func startTCP(t *testing.T, n *tcpNode, ln net.Listener, bootstrap []Peer) {
	t.Helper()
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", n.addr); err != nil {
			t.Fatalf("listen again on %s: %v", n.addr, err)
		}
	}
	n.addr = ln.Addr().String()
	if n.dir == "" {
		n.dir = filepath.Join(t.TempDir(), n.id)
	}
	server, client := n.ca.tlsFor(t, n.id)
	n.m, n.posts = &logMachine{}, &postLog{}
	var machine Machine = n.m
	if n.checked {
		machine = checkedMachine{n.m}
	}
	c, err := New(Options{
		Protocol:  n.protocol,
		NodeID:    n.id,
		Listener:  ln,
		DataDir:   n.dir,
		Bootstrap: bootstrap,
		ServerTLS: server,
		ClientTLS: client,
		Machine:   machine,
		Handler:   n.posts,
		Logger:    testLogger(t, n.id),
		Dial:      n.dial,
	})
	if err != nil {
		t.Fatalf("start %s: %v", n.id, err)
	}
	n.c = c
	t.Cleanup(func() { c.Shutdown() })
}

// newTCPCluster starts size nodes that bootstrap together; prepare, when
// set, adjusts each node before any starts.
func newTCPCluster(t *testing.T, ca *testCA, size int, prepare ...func(*tcpNode)) []*tcpNode {
	var nodes []*tcpNode
	var lns []net.Listener
	var peers []Peer
	for i := range size {
		ln := listenLoopback(t)
		n := &tcpNode{id: fmt.Sprintf("n%d", i+1), addr: ln.Addr().String(), ca: ca}
		for _, f := range prepare {
			f(n)
		}
		nodes, lns = append(nodes, n), append(lns, ln)
		peers = append(peers, Peer{ID: n.id, Address: n.addr})
	}
	for i, n := range nodes {
		startTCP(t, n, lns[i], peers)
	}
	return nodes
}

func tcpMachines(nodes []*tcpNode) []*logMachine {
	var out []*logMachine
	for _, n := range nodes {
		out = append(out, n.m)
	}
	return out
}

func followerOf(nodes []*tcpNode, leader *tcpNode) *tcpNode {
	for _, n := range nodes {
		if n != leader {
			return n
		}
	}
	return nil
}

// alertSays reports whether err is the TLS alert the other end sent,
// named by its description: crypto/tls hands a received alert over as a
// *net.OpError "remote error" around an unexported type, so its text is
// all there is to tell one alert from another.
func alertSays(err error, description string) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "remote error" && op.Err.Error() == "tls: "+description
}

func TestTCPApplyAndPostFromFollower(t *testing.T) {
	nodes := newTCPCluster(t, newTestCA(t, "cluster"), 3)
	leader := leaderOf(t, nodes)
	f := followerOf(nodes, leader)

	if err := f.c.Apply(testCtx(t), []byte("from-follower")); err != nil {
		t.Fatalf("apply on follower %s: %v", f.id, err)
	}
	waitSame(t, 1, tcpMachines(nodes)...)

	err := f.c.Apply(testCtx(t), []byte("bad one"))
	if !errors.Is(err, ErrRejected) || RejectionCode(err) != "bad_command" {
		t.Fatalf("refused command forwarded from %s: got %v, want ErrRejected with the machine's code bad_command (RejectionCode %q)", f.id, err, RejectionCode(err))
	}

	if err := f.c.Post(testCtx(t), "/obs", []byte("hello")); err != nil {
		t.Fatalf("post from follower: %v", err)
	}
	if err := leader.c.Post(testCtx(t), "/obs", []byte("mine")); err != nil {
		t.Fatalf("post on leader: %v", err)
	}
	want := []string{"/obs hello from " + f.id, "/obs mine from " + leader.id}
	if got := leader.posts.list(); !slices.Equal(got, want) {
		t.Errorf("leader's handler got %q, want %q", got, want)
	}
	if err := f.c.Post(testCtx(t), pathPrefix+"apply", nil); err == nil {
		t.Errorf("post to the reserved %s: got no error", pathPrefix)
	}

	s, err := f.c.PeerStatus(testCtx(t), leader.addr)
	if err != nil {
		t.Fatal(err)
	}
	if s.ID != leader.id || s.State != "Leader" || len(s.Members) != 3 || s.AppliedIndex < 3 {
		t.Errorf("leader's status seen from %s: got %+v, want %s as Leader of 3 with applied >= 3", f.id, s, leader.id)
	}
}

func TestTCPJoinAndRemove(t *testing.T) {
	ca := newTestCA(t, "cluster")
	nodes := newTCPCluster(t, ca, 3)
	leader := leaderOf(t, nodes)
	applyN(t, leader.c, "a", 3)

	n4 := &tcpNode{id: "n4", ca: ca}
	startTCP(t, n4, listenLoopback(t), nil)
	f := followerOf(nodes, leader)
	if err := f.c.Join(testCtx(t), n4.id, n4.addr); err != nil {
		t.Fatalf("join %s through follower %s: %v", n4.id, f.id, err)
	}
	all := append(slices.Clone(nodes), n4)
	waitSame(t, 3, tcpMachines(all)...)
	if err := n4.c.Apply(testCtx(t), []byte("from-n4")); err != nil {
		t.Fatalf("apply on the new member: %v", err)
	}
	waitSame(t, 4, tcpMachines(all)...)
	if got := voters(leader.c.Status()); got != "n1 n2 n3 n4" {
		t.Fatalf("voters after join: got %q, want %q", got, "n1 n2 n3 n4")
	}

	if err := f.c.Remove(testCtx(t), n4.id); err != nil {
		t.Fatalf("remove %s through %s: %v", n4.id, f.id, err)
	}
	waitFor(t, "3 voters left on every member", func() (bool, string) {
		var seen []string
		for _, n := range nodes {
			seen = append(seen, voters(n.c.Status()))
		}
		return slices.Equal(seen, []string{"n1 n2 n3", "n1 n2 n3", "n1 n2 n3"}), fmt.Sprintf("%q", seen)
	})
	applyN(t, f.c, "b", 1)
	waitSame(t, 5, tcpMachines(nodes)...)
	if got := n4.m.len(); got != 4 {
		t.Errorf("removed node: holds %d commands, want the 4 from before its removal", got)
	}
	if err := n4.c.Shutdown(); err != nil {
		t.Fatal(err)
	}
	if err := n4.c.Apply(testCtx(t), []byte("x")); !errors.Is(err, ErrShutdown) {
		t.Errorf("apply on a node shut down: got %v, want ErrShutdown", err)
	}
}

func voters(s Status) string {
	var ids []string
	for _, m := range s.Members {
		if m.Suffrage == "Voter" {
			ids = append(ids, m.ID)
		}
	}
	slices.Sort(ids)
	return strings.Join(ids, " ")
}

func TestTCPForeignCertificateIsRefused(t *testing.T) {
	ca := newTestCA(t, "cluster")
	nodes := newTCPCluster(t, ca, 3)
	leader := leaderOf(t, nodes)
	applyN(t, leader.c, "a", 2)
	term := leader.c.Status().Term

	// Mallory's certificate is from another CA; she trusts the cluster CA,
	// so only the members' check of her certificate stops her.
	other := newTestCA(t, "other")
	mallory := &tcpNode{id: "mallory", ca: other}
	startTCP(t, mallory, listenLoopback(t), nil)
	cert := other.node(t, "mallory")
	d := &dialer{
		clientTLS: func(name string) *tls.Config {
			return &tls.Config{
				// Sent even though the server asks for the cluster CA's.
				GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil },
				RootCAs:              ca.pool,
				ServerName:           name,
			}
		},
		serverName: func(string) string { return leader.id },
		conns:      newConnSet(),
	}
	for _, kind := range []byte{kindRaft, kindHTTP} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		conn, err := d.dial(ctx, leader.addr, kind)
		cancel()
		if err == nil {
			conn.Close()
			t.Fatalf("dial %q to %s with a foreign certificate: connected, want refused", kind, leader.id)
		}
		if !alertSays(err, "unknown certificate authority") {
			t.Errorf("dial %q with a foreign certificate: got %v, want the handshake refused for an unknown authority", kind, err)
		}
	}
	if _, err := mallory.c.PeerStatus(testCtx(t), leader.addr); err == nil {
		t.Fatal("status over the RPC from a node of another CA: got an answer, want refused")
	}
	// And members refuse her server certificate.
	if _, err := followerOf(nodes, leader).c.PeerStatus(testCtx(t), mallory.addr); err == nil {
		t.Fatal("status of a node of another CA: got an answer, want refused")
	}

	// Even added as a voter by mistake she gets nothing, and the cluster
	// (3 of 4 voters reachable) keeps committing.
	if err := leader.c.Join(testCtx(t), mallory.id, mallory.addr); err != nil {
		t.Fatalf("join mallory on the leader: %v", err)
	}
	applyN(t, followerOf(nodes, leader).c, "b", 3)
	waitSame(t, 5, tcpMachines(nodes)...)
	if got, id := mallory.m.len(), leaderID(mallory.c); got != 0 || id != "" {
		t.Fatalf("mallory: holds %d commands and knows leader %q, want 0 and none", got, id)
	}
	if err := leader.c.Remove(testCtx(t), mallory.id); err != nil {
		t.Fatalf("remove mallory: %v", err)
	}
	if got := leader.c.Status().Term; got != term {
		t.Errorf("term moved from %d to %d: mallory disturbed the cluster", term, got)
	}
}

func leaderID(c *Cluster) string {
	id, _ := c.Leader()
	return id
}

func TestTCPLeaderFailover(t *testing.T) {
	nodes := newTCPCluster(t, newTestCA(t, "cluster"), 3)
	peers := []Peer{}
	for _, n := range nodes {
		peers = append(peers, Peer{ID: n.id, Address: n.addr})
	}
	want := 0
	for round := range 3 {
		leader := leaderOf(t, nodes)
		applyN(t, leader.c, fmt.Sprintf("r%d", round), 2)
		want += 2
		waitSame(t, want, tcpMachines(nodes)...)

		if err := leader.c.Shutdown(); err != nil {
			t.Fatal(err)
		}
		stopped := time.Now()
		var rest []*tcpNode
		for _, n := range nodes {
			if n != leader {
				rest = append(rest, n)
			}
		}
		// Proposed at once, while the survivors still name the dead leader:
		// Apply must retry until the new one takes it.
		applied := make(chan error, 1)
		go func() { applied <- rest[0].c.Apply(testCtx(t), fmt.Appendf(nil, "r%d-during", round)) }()
		next := leaderOf(t, rest)
		elapsed := time.Since(stopped)
		t.Logf("round %d: leader %s stopped, %s leads after %v", round, leader.id, next.id, elapsed.Round(time.Millisecond))
		if elapsed > 10*time.Second {
			t.Errorf("round %d: new leader after %v, want well under 5s", round, elapsed)
		}
		if err := <-applied; err != nil {
			t.Fatalf("round %d: apply on %s during the election: %v", round, rest[0].id, err)
		}
		want++
		waitSame(t, want, tcpMachines(rest)...)

		// Restarted with its data directory, it catches up.
		startTCP(t, leader, nil, peers)
		waitSame(t, want, tcpMachines(nodes)...)
	}
}
