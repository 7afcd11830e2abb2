//go:build linux

package chaos

import (
	"outlast/internal/fulldisk"
	"outlast/internal/wire"

	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"outlast/internal/backend"
	"outlast/internal/lab"
)

// The suite's loopback addresses; no other package's tests use them, so
// it can run beside them.
var (
	nodeNames  = []string{"n1", "n2", "n3"}
	nodeIPs    = []string{"127.0.0.61", "127.0.0.62", "127.0.0.63"}
	nodePlaces = []string{"aws/us-east-1", "gcp/us-central1", "azure/westeurope"}
	// nodeGIDs are the group ids the nodes run with (as root), so that an
	// nftables rule can tell one node's outgoing cluster connections from
	// another's: on loopback they all leave from 127.0.0.1.
	nodeGIDs = []uint32{64061, 64062, 64063}
)

const (
	primaryIP   = "127.0.0.71"
	secondaryIP = "127.0.0.72"
	queryName   = "api.example.test."
	adminToken  = "olt_chaos-admin-token-for-tests"
)

// opsEndpoints are the endpoints the suite sets overrides on; they are in
// a name the client does not ask for, so a drain moves no answer.
var opsEndpoints = []string{"ops1", "ops2", "ops3"}

// chaosNode is one `outlast serve` process; mu guards cmd and done, which
// a restart replaces.
type chaosNode struct {
	name, ip, config, dataDir string
	gid                       uint32
	dnsAddr, httpAddr         string
	logs                      *lockedBuffer

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// cluster is the suite's lab: three nodes, two backends, the cluster CA.
type cluster struct {
	t           *testing.T
	bin, dir    string
	ports       []int // dns, http, cluster: the same on every node address
	nodes       []*chaosNode
	backendPort int
	primary     *switchableBackend
	secondary   *switchableBackend
	asRoot      bool
}

func newCluster(t *testing.T, asRoot bool, tmpfsNode int) *cluster {
	c := &cluster{t: t, bin: buildOutlast(t), dir: t.TempDir(), asRoot: asRoot}
	c.ports = freePorts(t, nodeIPs, 3)
	c.backendPort = freePorts(t, []string{primaryIP, secondaryIP}, 1)[0]
	c.primary = startBackend(t, fmt.Sprintf("%s:%d", primaryIP, c.backendPort))
	c.secondary = startBackend(t, fmt.Sprintf("%s:%d", secondaryIP, c.backendPort))
	tlsDir := filepath.Join(c.dir, "tls")
	c.run("tls", "init", "--dir", tlsDir)
	for i, name := range nodeNames {
		c.run("tls", "node", name, "--dir", tlsDir, "--host", nodeIPs[i])
		n := &chaosNode{name: name, ip: nodeIPs[i], gid: nodeGIDs[i], logs: &lockedBuffer{},
			config:   filepath.Join(c.dir, name+".yaml"),
			dataDir:  filepath.Join(c.dir, name+"-data"),
			dnsAddr:  fmt.Sprintf("%s:%d", nodeIPs[i], c.ports[0]),
			httpAddr: fmt.Sprintf("%s:%d", nodeIPs[i], c.ports[1])}
		if err := os.MkdirAll(n.dataDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if i == tmpfsNode {
			fulldisk.Mount(t, n.dataDir, tmpfsSize)
		}
		c.writeConfig(n, nodePlaces[i], tlsDir)
		c.nodes = append(c.nodes, n)
	}
	return c
}

// buildOutlast builds the binary from the module root, found with go env GOMOD.
func buildOutlast(t *testing.T) string {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(out)) == "" {
		t.Fatalf("go env GOMOD: %v %q: run the suite inside the outlast module", err, out)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	bin := filepath.Join(t.TempDir(), "outlast")
	build := exec.Command("go", "build", "-o", bin, "./cmd/outlast")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/outlast: %v\n%s", err, out)
	}
	return bin
}

func (c *cluster) run(args ...string) string {
	out, err := exec.Command(c.bin, args...).CombinedOutput()
	if err != nil {
		c.t.Fatalf("outlast %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func (c *cluster) writeConfig(n *chaosNode, place, tlsDir string) {
	var peers strings.Builder
	for i, name := range nodeNames {
		fmt.Fprintf(&peers, "    - {name: %s, address: \"%s:%d\"}\n", name, nodeIPs[i], c.ports[2])
	}
	text := fmt.Sprintf(`api:
  public_status: true
  tokens:
    - {name: chaos, scope: admin, sha256: %[14]s}
node: {name: %[1]s, location: %[2]s, probe_source: %[3]s}
dns: {listen: "%[3]s:%[4]d"}
http: {listen: "%[3]s:%[5]d"}
cluster:
  listen: "%[3]s:%[6]d"
  data_dir: %[7]s
  peers:
%[8]s  tls: {ca_file: %[9]s/ca.pem, cert_file: %[9]s/%[1]s.pem, key_file: %[9]s/%[1]s-key.pem}
zones:
  - apex: example.test
    ns: [{name: ns1.example.test, addresses: [%[10]s]}, {name: ns2.example.test, addresses: [%[11]s]}, {name: ns3.example.test, addresses: [%[12]s]}]
services:
  - name: api.example.test
    ttl: 5s
    check: {type: http, port: %[13]d, interval: 1s, timeout: 500ms, fall: 2, rise: 2, http: {path: /healthz}}
    endpoints:
      - {name: primary, location: aws/us-east-1, addresses: [%[15]s], priority: 1}
      - {name: secondary, location: gcp/us-central1, addresses: [%[16]s], priority: 2}
  - name: ops.example.test
    check: {type: tcp, port: %[13]d, interval: 1s, timeout: 500ms}
    endpoints:
      - {name: ops1, location: aws/us-east-1, addresses: [%[15]s]}
      - {name: ops2, location: gcp/us-central1, addresses: [%[16]s]}
      - {name: ops3, location: azure/westeurope, addresses: [%[15]s]}
`, n.name, place, n.ip, c.ports[0], c.ports[1], c.ports[2], n.dataDir, peers.String(), tlsDir,
		nodeIPs[0], nodeIPs[1], nodeIPs[2], c.backendPort, tokenHash(adminToken), primaryIP, secondaryIP)
	if err := os.WriteFile(n.config, []byte(text), 0o644); err != nil {
		c.t.Fatal(err)
	}
}

// start runs n's process; as root with n's group id, for the partition rules.
func (c *cluster) start(n *chaosNode) {
	cmd := exec.Command(c.bin, "serve", "--config", n.config)
	cmd.Stdout, cmd.Stderr = n.logs, n.logs
	if c.asRoot {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 0, Gid: n.gid}}
	}
	fmt.Fprintf(n.logs, "--- chaos: starting %s at %s\n", n.name, time.Now().Format("15:04:05.000"))
	if err := cmd.Start(); err != nil {
		c.t.Fatalf("start %s: %v", n.name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	n.mu.Lock()
	n.cmd, n.done = cmd, done
	n.mu.Unlock()
}

// kill SIGKILLs n and waits until it is gone.
func (n *chaosNode) kill() {
	n.mu.Lock()
	cmd, done := n.cmd, n.done
	n.mu.Unlock()
	_ = cmd.Process.Kill()
	<-done
	fmt.Fprintf(n.logs, "--- chaos: SIGKILLed %s at %s\n", n.name, time.Now().Format("15:04:05.000"))
}

func (n *chaosNode) signal(sig syscall.Signal) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	fmt.Fprintf(n.logs, "--- chaos: %s to %s at %s\n", sig, n.name, time.Now().Format("15:04:05.000"))
	return n.cmd.Process.Signal(sig)
}

// stop ends n for good at the end of the test: SIGCONT in case it is
// frozen, SIGTERM, and SIGKILL after 10 s.
func (n *chaosNode) stop(t *testing.T) {
	n.mu.Lock()
	cmd, done := n.cmd, n.done
	n.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGCONT)
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Errorf("%s did not stop within 10 s of SIGTERM", n.name)
	}
}

// api is a client of n's operator API with the admin token.
func (n *chaosNode) api(opts ...wire.ClientOption) *wire.Client {
	return wire.NewClient(n.httpAddr, adminToken, opts...)
}

// switchableBackend is a sample service the suite can stop and start:
// a backend dying and coming back.
type switchableBackend struct {
	addr string
	mu   sync.Mutex
	halt func() // nil while stopped
}

func startBackend(t *testing.T, addr string) *switchableBackend {
	b := &switchableBackend{addr: addr}
	if err := b.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.stop)
	return b
}

func (b *switchableBackend) start() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.halt != nil {
		return nil
	}
	var ln net.Listener
	var err error
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if ln, err = net.Listen("tcp", b.addr); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("backend %s: %w", b.addr, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = backend.ServeListener(ctx, ln, backend.New(b.addr))
	}()
	b.halt = func() { cancel(); <-done }
	return nil
}

func (b *switchableBackend) stop() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.halt != nil {
		b.halt()
		b.halt = nil
	}
}

// freePorts finds n distinct ports, TCP and UDP, free on every given address.
func freePorts(t *testing.T, ips []string, n int) []int {
	t.Helper()
	ports, err := lab.FreePorts(ips, n)
	if err != nil {
		t.Fatal(err)
	}
	return ports
}

// lockedBuffer collects a process's output safely, keeping the last limit bytes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf []byte
}

const logLimit = 256 << 10

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - logLimit; over > 0 {
		b.buf = slices.Clone(b.buf[over:])
	}
	return len(p), nil
}

// Tail returns the last n bytes written.
func (b *lockedBuffer) Tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf[max(0, len(b.buf)-n):])
}
