package node

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"outlast/internal/api"
	"outlast/internal/cluster"
	"outlast/internal/config"
	"outlast/internal/state"
	"outlast/internal/tlsca"
	"outlast/internal/wire"
)

// trioServices is what the three nodes serve: one name, its endpoints on
// addresses nothing listens on (the test proposes, it does not probe).
const trioServices = `zones:
  - apex: example.test
    ns: [{name: ns1.example.test, addresses: [127.0.0.1]}]
services:
  - name: api.example.test
    check: {type: tcp, port: 9, interval: 1s}
    endpoints:
      - {name: primary, location: aws/us-east-1, addresses: [192.0.2.1], priority: 1}
      - {name: secondary, location: gcp/us-central1, addresses: [192.0.2.2], priority: 2}
`

// startTrio starts three nodes that form one cluster over real TCP on
// loopback with mutual TLS, and returns them once all three agreed on the
// configuration.
func startTrio(t *testing.T) []*Node {
	t.Helper()
	dir := t.TempDir()
	if err := tlsca.InitCA(dir, tlsca.CAOptions{}); err != nil {
		t.Fatal(err)
	}
	names := []string{"n1", "n2", "n3"}
	lns := make([]net.Listener, len(names))
	var peers strings.Builder
	for i, name := range names {
		if err := tlsca.IssueNode(dir, name, tlsca.NodeOptions{}); err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns[i] = ln
		fmt.Fprintf(&peers, "    - {name: %s, address: %q}\n", name, ln.Addr().String())
	}
	nodes := make([]*Node, len(names))
	for i, name := range names {
		files := tlsca.NodeFiles(dir, name)
		text := fmt.Sprintf(`node: {name: %s, location: lab/r%d}
dns: {listen: "127.0.0.1:0"}
http: {listen: "127.0.0.1:0"}
cluster:
  listen: %q
  data_dir: %s
  bootstrap: true
  peers:
%s  tls: {ca_file: %s, cert_file: %s, key_file: %s}
%s`, name, i, lns[i].Addr().String(), filepath.Join(dir, name+"-data"), peers.String(), files.CA, files.Cert, files.Key, trioServices)
		cfg, err := config.Parse(name+".yaml", []byte(text))
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, text)
		}
		nodes[i] = startNodeWith(t, cfg, Options{Version: "test", ClusterListener: lns[i]})
	}
	for _, n := range nodes {
		waitForConfig(t, n)
	}
	return nodes
}

// follower returns a node of nodes that follows a leader it knows.
func follower(t *testing.T, nodes []*Node) *Node {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, n := range nodes {
			if c := n.ClusterInfo(); c.State == "Follower" && c.Leader != "" {
				return n
			}
		}
	}
	t.Fatal("no follower of a known leader within 15s")
	return nil
}

// TestForwardedRejectionIsTheSentinel: a configuration change proposed on
// a follower against a version that is not current is forwarded to the
// leader, whose state machine refuses it; the follower's caller gets
// state.ErrVersionConflict, the same sentinel the leader's machine
// returned (its code crossed the cluster RPC, not its text), and the API
// answers it 409 version_conflict, which the client matches with
// wire.ErrVersionConflict.
func TestForwardedRejectionIsTheSentinel(t *testing.T) {
	nodes := startTrio(t)
	f := follower(t, nodes)
	current := f.State().Config
	shared := f.Config().Shared()
	cmd := state.Command{Kind: state.SetConfig, At: time.Now(), Who: "test", Why: "conflict",
		Config: &shared, ConfigHash: "other", BaseVersion: current.Version + 5}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := f.Propose(ctx, cmd)
	if !errors.Is(err, state.ErrVersionConflict) || !errors.Is(err, cluster.ErrRejected) {
		t.Fatalf("a stale base version proposed on follower %s: %v, want state.ErrVersionConflict (and cluster.ErrRejected)", f.local.Node.Name, err)
	}
	for _, other := range []error{state.ErrInvalid, state.ErrUnknownEndpoint, state.ErrUnknownCommand} {
		if errors.Is(err, other) {
			t.Errorf("the conflict also matches %v", other)
		}
	}

	// The API of a node whose proposal met that refusal. The API refuses a
	// stale base version itself before proposing, so the refusal is handed
	// to it as the real follower's Propose returned it.
	srv := httptest.NewServer(api.New(refusing{Node: f, err: err}, config.API{PublicStatus: true,
		Tokens: []config.Token{{Name: "alice", Scope: config.ScopeAdmin, SHA256: sha256Hex(trioToken)}}}, nil))
	defer srv.Close()
	_, applyErr := wire.NewClient(srv.URL, trioToken).ApplyConfig(ctx, []byte(configText(freePort(t))), current.Version, "test")
	if !wire.IsStatus(applyErr, 409) || !errors.Is(applyErr, wire.ErrVersionConflict) {
		t.Fatalf("the API of a conflict forwarded from a follower: %v, want 409 version_conflict", applyErr)
	}
}

const trioToken = "admin-token-0123456789"

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// refusing is a node whose proposals meet err.
type refusing struct {
	*Node
	err error
}

func (r refusing) Propose(context.Context, state.Command) error { return r.err }
