package main

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"outlast/internal/backend"
	"outlast/internal/lab"
	"outlast/internal/shiftwatch"
	"outlast/internal/wire"
)

func portsFree(ip string, ports []int) bool {
	for _, p := range ports {
		if !lab.PortFree([]string{ip}, p) {
			return false
		}
	}
	return true
}

// The lab of the cluster test: three nodes in three providers, each on its
// own loopback address, and two backends.
var (
	nodeIPs    = []string{"127.0.0.21", "127.0.0.22", "127.0.0.23"}
	nodeNames  = []string{"n1", "n2", "n3"}
	nodePlaces = []string{"aws/us-east-1", "gcp/us-central1", "azure/westeurope"}
)

const (
	clusterPrimary   = "127.0.0.31"
	clusterSecondary = "127.0.0.32"
	// interval × fall + 2 s, the bound issue 3 sets for all three to switch.
	clusterSwitchBound = 1*time.Second*2 + 2*time.Second
)

// labNode is one `outlast serve` process of the cluster test.
type labNode struct {
	name, ip, config  string
	ns                string // network namespace to run in; "" for the test's own
	dnsAddr, httpAddr string
	cmd               *exec.Cmd
	logs              *lockedBuffer
}

type clusterLab struct {
	t       *testing.T
	bin     string
	dir     string
	ports   []int // dns, http, cluster: the same on every node address
	nodes   []*labNode
	primary *filteredBackend
	healthy string // what every node answers while the primary is up
	api     string // an api: section for every node's file, or ""
	// services is the services: section of every node's file (by
	// default api.example.test over the lab's two backends); hookDir the
	// node.hook_dir, or "".
	services string
	hookDir  string
	// dnsExtra is added inside every node's dns: {...} (", key: value"),
	// zoneExtra below its zone's lines; both "" by default.
	dnsExtra, zoneExtra string
}

// TestClusterOfThreeProcesses is issue 3's integration test: three `outlast
// serve` processes on 127.0.0.x over real TCP with mutual TLS.
func TestClusterOfThreeProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a cluster of processes")
	}
	lab := newClusterLab(t)
	lab.startAll()
	lab.waitForLeader(nil, 15*time.Second)
	lab.waitAllAnswer(clusterPrimary, 15*time.Second)
	t.Log("(a) all three nameservers answer", clusterPrimary)
	status := lab.run("cluster", "status", "--config", lab.nodes[0].config)
	if strings.Count(status, "Voter") != 3 || strings.Count(status, "Leader ") != 1 {
		t.Errorf("outlast cluster status should list three voters, one of them leading:\n%s", status)
	}
	t.Logf("outlast cluster status:\n%s", status)

	t.Run("operators: drain on a follower, events elsewhere, auth", lab.operators)
	t.Run("api: every endpoint through a follower", lab.apiEndpoints)
	t.Run("outlast audit of the running cluster through its API", lab.auditLive)
	t.Run("the CLI trusts the cluster CA for an https API", lab.apiOverTLS)
	t.Run("status page: an endpoint turns down without a reload", lab.statusPage)
	t.Run("d: a node whose own probes are blackholed moves nothing", lab.falseAlarm)
	t.Run("c: an endpoint dies and all three switch", lab.endpointDies)
	t.Run("b, e: leader SIGKILLed, new leader, DNS never stops, restarted node catches up", lab.leaderKilled)
	t.Run("f: a node with a certificate from another CA cannot join", lab.foreignNode)
	t.Run("a configuration change applied on a follower reaches every node", lab.followerReload)
	t.Run("outlast drill measures a shift and refuses to remove the last endpoint", lab.drill)
	t.Run("outlast cluster join and remove", lab.joinAndRemove)
}

func (lab *clusterLab) drill(t *testing.T) {
	var servers []string
	for _, n := range lab.nodes {
		servers = append(servers, n.dnsAddr)
	}
	out, err := exec.Command(lab.bin, "drill", "--config", lab.nodes[0].config, "--endpoint", "primary",
		"--nameservers", strings.Join(servers, ","), "--timeout", "20s", "--token", adminToken).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "shift away took") || !strings.Contains(string(out), "traffic returned") {
		t.Fatalf("outlast drill: %v\n%s", err, out)
	}
	t.Logf("outlast drill:\n%s", out)
	lab.waitAllAnswer(lab.healthy, 15*time.Second)
	// With the secondary drained, the primary is the last endpoint of
	// api.example.test that serves: forcing it down would leave the name
	// with nothing healthy.
	if out, err := lab.ops(lab.nodes[0], adminToken, "drain", "secondary", "--reason", "drill test: leave one endpoint"); err != nil {
		t.Fatalf("outlast drain: %v\n%s", err, out)
	}
	defer func() {
		if out, err := lab.ops(lab.nodes[0], adminToken, "undrain", "secondary", "--reason", "drill test over"); err != nil {
			t.Errorf("outlast undrain: %v\n%s", err, out)
		}
	}()
	refused := func(endpoint, want string) {
		out, err := exec.Command(lab.bin, "drill", "--config", lab.nodes[0].config, "--endpoint", endpoint,
			"--nameservers", strings.Join(servers, ","), "--token", adminToken).CombinedOutput()
		if err == nil || !strings.Contains(string(out), want) {
			t.Errorf("a drill of %s must be refused with %q, got %v:\n%s", endpoint, want, err, out)
		}
	}
	refused("primary", "last healthy endpoint")
	// www1's check (tcp port 1) never passes: there is no traffic to shift.
	refused("www1", "no traffic to shift away")
}

func newClusterLab(t *testing.T) *clusterLab {
	lab := &clusterLab{t: t, bin: buildOutlast(t), dir: t.TempDir(), healthy: clusterPrimary, api: operatorsAPI()}
	port := freePortsOn(t, []string{clusterPrimary, clusterSecondary}, 1)[0]
	lab.primary = startFilteredBackend(t, fmt.Sprintf("%s:%d", clusterPrimary, port))
	startFilteredBackend(t, fmt.Sprintf("%s:%d", clusterSecondary, port))
	lab.services = fmt.Sprintf(`services:
  - name: api.example.test
    ttl: 5s
    check: {type: http, port: %d, interval: 1s, timeout: 1s, fall: 2, rise: 3, http: {path: /healthz}}
    endpoints:
      - {name: primary, location: aws/us-east-1, addresses: [%s], priority: 1}
      - {name: secondary, location: gcp/us-central1, addresses: [%s], priority: 2}
`, port, clusterPrimary, clusterSecondary)
	lab.addNodes()
	return lab
}

// addNodes makes the cluster's TLS files and writes the three nodes'
// configurations with the lab's services.
func (lab *clusterLab) addNodes() {
	lab.ports = freePortsOn(lab.t, nodeIPs, 3)
	tlsDir := filepath.Join(lab.dir, "tls")
	lab.run("tls", "init", "--dir", tlsDir)
	for i, name := range nodeNames {
		lab.run("tls", "node", name, "--dir", tlsDir, "--host", nodeIPs[i])
	}
	for i, name := range nodeNames {
		n := &labNode{name: name, ip: nodeIPs[i], config: filepath.Join(lab.dir, name+".yaml"),
			dnsAddr:  fmt.Sprintf("%s:%d", nodeIPs[i], lab.ports[0]),
			httpAddr: fmt.Sprintf("%s:%d", nodeIPs[i], lab.ports[1])}
		lab.writeConfig(n, nodePlaces[i], tlsDir, true)
		lab.nodes = append(lab.nodes, n)
	}
}

func (lab *clusterLab) run(args ...string) string {
	out, err := exec.Command(lab.bin, args...).CombinedOutput()
	if err != nil {
		lab.t.Fatalf("outlast %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (lab *clusterLab) writeConfig(n *labNode, place, tlsDir string, bootstrap bool) {
	var peers strings.Builder
	for i, name := range nodeNames {
		fmt.Fprintf(&peers, "    - {name: %s, address: \"%s:%d\"}\n", name, nodeIPs[i], lab.ports[2])
	}
	hookDir := ""
	if lab.hookDir != "" {
		hookDir = ", hook_dir: " + lab.hookDir
	}
	text := fmt.Sprintf(`node: {name: %[1]s, location: %[2]s, probe_source: %[3]s%[11]s}
dns: {listen: "%[3]s:%[4]d"%[12]s}
http: {listen: "%[3]s:%[5]d"}
cluster:
  listen: "%[3]s:%[6]d"
  data_dir: %[7]s
  bootstrap: %[8]t
  peers:
%[9]s  tls: {ca_file: %[10]s/ca.pem, cert_file: %[10]s/%[1]s.pem, key_file: %[10]s/%[1]s-key.pem}
zones:
  - apex: example.test
    ns: [{name: ns1.example.test, addresses: [127.0.0.21]}, {name: ns2.example.test, addresses: [127.0.0.22]}, {name: ns3.example.test, addresses: [127.0.0.23]}]
%[13]s`, n.name, place, n.ip, lab.ports[0], lab.ports[1], lab.ports[2], filepath.Join(lab.dir, n.name+"-data"),
		bootstrap, peers.String(), tlsDir, hookDir, lab.dnsExtra, lab.zoneExtra)
	text = lab.api + text + lab.services
	if err := os.WriteFile(n.config, []byte(text), 0o644); err != nil {
		lab.t.Fatal(err)
	}
}

func (lab *clusterLab) startAll() {
	for _, n := range lab.nodes {
		lab.start(n)
	}
}

func (lab *clusterLab) start(n *labNode) {
	n.logs = &lockedBuffer{}
	args := []string{lab.bin, "serve", "--config", n.config, "--log-level", "debug"}
	if n.ns != "" {
		args = append([]string{"ip", "netns", "exec", n.ns}, args...) // ip execs the node: its pid is the node's
	}
	n.cmd = exec.Command(args[0], args[1:]...)
	n.cmd.Stdout, n.cmd.Stderr = n.logs, n.logs
	if err := n.cmd.Start(); err != nil {
		lab.t.Fatal(err)
	}
	lab.t.Cleanup(func() {
		stopProcess(lab.t, n.cmd)
		if lab.t.Failed() {
			lab.t.Logf("--- %s output:\n%s", n.name, n.logs.String())
		}
	})
}

// falseAlarm: n3's probes of the primary hang (its own network is broken);
// n1 and n2 see the primary fine, so nobody moves.
func (lab *clusterLab) falseAlarm(t *testing.T) {
	lab.primary.blackhole(lab.nodes[2].ip)
	defer lab.primary.blackhole("")
	if moved := holdsAnswer(lab.nodes, clusterPrimary, clusterSwitchBound+3*time.Second); moved != "" {
		t.Fatalf("false failover while only n3's probes were broken: %s", moved)
	}
	services, err := lab.client(lab.nodes[2]).Services(t.Context())
	primary, _ := wire.EndpointNamed(services, "primary")
	own, _ := primary.CheckBy(lab.nodes[2].name)
	probe := own.Reason
	if err != nil || probe != "timeout" {
		t.Errorf("n3's own probes of the primary should time out (its network is broken), its API says %q (err %v)", probe, err)
	}
	t.Logf("(d) n3 saw the primary as %s for %s; every node kept answering %s", probe, clusterSwitchBound+3*time.Second, clusterPrimary)
}

// endpointDies: the primary backend stops; all three switch within the bound.
func (lab *clusterLab) endpointDies(t *testing.T) {
	lab.primary.stop()
	took := lab.waitAllAnswer(clusterSecondary, 3*clusterSwitchBound)
	t.Logf("(c) all three nameservers answered %s %s after the primary died (bound %s)", clusterSecondary, took.Round(time.Millisecond), clusterSwitchBound)
	if took > clusterSwitchBound {
		t.Errorf("switch took %s, want at most interval × fall + 2 s = %s", took, clusterSwitchBound)
	}
	lab.primary.serve()
	lab.waitAllAnswer(clusterPrimary, 15*time.Second)
}

// leaderKilled: SIGKILL the leader; the others elect a new one within 5 s
// and never stop answering DNS; the killed node restarts and catches up.
func (lab *clusterLab) leaderKilled(t *testing.T) {
	leader := lab.waitForLeader(nil, 10*time.Second)
	var survivors []*labNode
	for _, n := range lab.nodes {
		if n != leader {
			survivors = append(survivors, n)
		}
	}
	watch := startDNSWatch(survivors)
	killed := time.Now()
	if err := leader.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = leader.cmd.Wait()
	next := lab.waitForLeader(survivors, 10*time.Second)
	took := time.Since(killed)
	time.Sleep(time.Second) // keep watching DNS a little after the election
	polls, broken := watch.stop()
	t.Logf("(b) %s killed; %s leads %s later; survivors were asked %d times meanwhile", leader.name, next.name, took.Round(time.Millisecond), polls)
	if took > 5*time.Second {
		t.Errorf("new leader after %s, want within 5 s", took)
	}
	if polls == 0 || broken != "" {
		t.Errorf("DNS stopped answering during the election (%d polls): %s", polls, broken)
	}

	// (e) The killed node comes back with its data directory and catches up.
	lab.start(leader)
	want := lab.status(next)
	deadline := time.Now().Add(15 * time.Second)
	for {
		h, err := lab.tryStatus(leader)
		if err == nil && h.Cluster.AppliedIndex >= want.Cluster.AppliedIndex && h.Config.Hash == want.Config.Hash && raftMembers(h) == 3 {
			t.Logf("(e) %s restarted and caught up to index %d (leader at %d when checked)", leader.name, h.Cluster.AppliedIndex, want.Cluster.AppliedIndex)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not catch up within 15 s: %+v (err %v), leader's view %+v", leader.name, h, err, want.Cluster)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Its answers are rebuilt once the applied state shows it caught up:
	// give the answer loop a moment rather than ask at the same instant.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		a, ok := answers(leader.dnsAddr, apiName, lab.healthy)
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("restarted %s answers %s 5 s after catching up, want %s like the others", leader.name, a, lab.healthy)
			break
		}
	}
}

// foreignNode: a node whose certificate comes from another CA asks to join
// and is refused at the TLS handshake; the cluster stays at three.
func (lab *clusterLab) foreignNode(t *testing.T) {
	foreignTLS := filepath.Join(lab.dir, "foreign-tls")
	lab.run("tls", "init", "--dir", foreignTLS)
	lab.run("tls", "node", "n4", "--dir", foreignTLS, "--host", "127.0.0.24")
	// n4 even trusts the cluster's CA, so only the members' own check of
	// its certificate can keep it out.
	clusterCA, err := os.ReadFile(filepath.Join(lab.dir, "tls", "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(foreignTLS, "ca.pem"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(clusterCA); err != nil {
		t.Fatal(err)
	}
	f.Close()
	n4 := &labNode{name: "n4", ip: "127.0.0.24", config: filepath.Join(lab.dir, "n4.yaml")}
	lab.writeConfig(n4, "hetzner/fsn1", foreignTLS, false)
	out, err := exec.Command(lab.bin, "cluster", "join", "--config", n4.config, "--addr",
		fmt.Sprintf("%s:%d", nodeIPs[0], lab.ports[2])).CombinedOutput()
	if err == nil {
		t.Fatalf("a node with a foreign certificate joined:\n%s", out)
	}
	t.Logf("(f) outlast cluster join with a foreign certificate: %v: %s", err, strings.TrimSpace(string(out)))
	for _, n := range lab.nodes {
		if s := lab.status(n); raftMembers(s) != 3 {
			t.Errorf("%s lists members %+v after the foreign join attempt, want the three", n.name, s.Cluster.Members)
		}
	}
}

// followerReload: the apiEndpoints subtest changed the configuration
// through the API (static.example.test), so the nodes' files are behind the cluster. A SIGHUP of such a
// file is refused instead of undoing that change (issue 12, defect 6). Once
// the operator puts the change into the files they are in step again, and
// a SIGHUP on a follower goes through the leader and every node answers
// for the new name.
func (lab *clusterLab) followerReload(t *testing.T) {
	follower := lab.aFollower()
	before := lab.status(follower).Config.Version
	sighup(t, follower, "outlast config apply FILE")
	if v := lab.status(follower).Config.Version; v != before {
		t.Fatalf("the refused reload changed the configuration version %d → %d", before, v)
	}
	// The operator puts the API's change into every file: in step again.
	lab.appendToFiles(t, "static.example.test", "static1")
	sighup(t, follower, "configuration reloaded")
	// As operators are told: the same change in every node's file, then a
	// reload on one of them.
	lab.appendToFiles(t, "www.example.test", "www1")
	sighup(t, follower, "configuration reloaded")
	lab.waitAll("www.example.test", clusterSecondary, 10*time.Second)
	hashes := map[string]bool{}
	for _, n := range lab.nodes {
		hashes[lab.status(n).Config.Hash] = true
	}
	if len(hashes) != 1 {
		t.Errorf("nodes disagree on the configuration hash after the reload: %v", hashes)
	}
	t.Logf("a reload on follower %s reached all three nodes (config hash %v)", follower.name, hashes)
}

// joinAndRemove adds a fourth node with a certificate from the cluster CA
// and removes it again, with the CLI.
func (lab *clusterLab) joinAndRemove(t *testing.T) {
	tlsDir := filepath.Join(lab.dir, "tls")
	lab.run("tls", "node", "n4", "--dir", tlsDir, "--host", "127.0.0.24")
	if !portsFree("127.0.0.24", lab.ports) {
		t.Skip("the lab's ports are taken on 127.0.0.24")
	}
	n4 := &labNode{name: "n4", ip: "127.0.0.24", config: filepath.Join(lab.dir, "n4-member.yaml"),
		dnsAddr: fmt.Sprintf("127.0.0.24:%d", lab.ports[0]), httpAddr: fmt.Sprintf("127.0.0.24:%d", lab.ports[1])}
	lab.writeConfig(n4, "hetzner/fsn1", tlsDir, false)
	lab.start(n4)
	out := lab.run("cluster", "join", "--config", n4.config, "--addr", fmt.Sprintf("%s:%d", nodeIPs[0], lab.ports[2]))
	t.Logf("join: %s", strings.TrimSpace(out))
	waitMembers := func(n *labNode, want int) {
		deadline := time.Now().Add(10 * time.Second)
		for {
			h, err := lab.tryStatus(n)
			if err == nil && raftMembers(h) == want && h.Config.Hash == lab.status(lab.nodes[0]).Config.Hash {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: want %d members and the cluster's config, its status says %+v (err %v)", n.name, want, h, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitMembers(n4, 4)
	if a, ok := answers(n4.dnsAddr, apiName, lab.healthy); !ok {
		t.Errorf("the joined node answers %s, want %s like the others", a, lab.healthy)
	}
	lab.run("cluster", "remove", "--config", lab.nodes[0].config, "n4")
	waitMembers(lab.nodes[0], 3)
	stopProcess(t, n4.cmd)
}

// aFollower waits for a leader and returns one of the other nodes.
func (lab *clusterLab) aFollower() *labNode {
	leader := lab.waitForLeader(nil, 10*time.Second)
	for _, n := range lab.nodes {
		if n != leader {
			return n
		}
	}
	lab.t.Fatal("the cluster has no follower")
	return nil
}

// sighup reloads n's file and waits until its log says want once more.
func sighup(t *testing.T, n *labNode, want string) {
	t.Helper()
	seen := strings.Count(n.logs.String(), want)
	if err := n.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); strings.Count(n.logs.String(), want) == seen; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("after a SIGHUP %s should log %q; it logged:\n%s", n.name, want, n.logs.String())
		}
	}
}

// appendToFiles adds a service of one endpoint at the secondary's address
// to every node's file.
func (lab *clusterLab) appendToFiles(t *testing.T, name, endpoint string) {
	t.Helper()
	for _, n := range lab.nodes {
		text, err := os.ReadFile(n.config)
		if err != nil {
			t.Fatal(err)
		}
		added := string(text) + fmt.Sprintf(`  - name: %s
    check: {type: tcp, port: 1}
    endpoints:
      - {name: %s, location: gcp/us-central1, addresses: [%s]}
`, name, endpoint, clusterSecondary)
		if err := os.WriteFile(n.config, []byte(added), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// waitForLeader polls the status of the given nodes (all when nil) until one leads.
func (lab *clusterLab) waitForLeader(among []*labNode, limit time.Duration) *labNode {
	if among == nil {
		among = lab.nodes
	}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		for _, n := range among {
			if h, err := lab.tryStatus(n); err == nil && h.Cluster.State == "Leader" {
				return n
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	lab.t.Fatalf("no leader among %d nodes within %s", len(among), limit)
	return nil
}

// waitAllAnswer waits until every node answers api.example.test with
// want alone; it returns how long that took.
func (lab *clusterLab) waitAllAnswer(want string, limit time.Duration) time.Duration {
	return lab.waitAll(apiName, want, limit)
}

// waitAll watches every node's DNS until each answers name with want alone
// (shiftwatch's shift, from the call), then asks every node once more, in
// one pass: the nodes all answer want at once, not merely each in its
// turn. It returns when the last node shifted.
func (lab *clusterLab) waitAll(name, want string, limit time.Duration) time.Duration {
	r, err := shiftwatch.Watch(context.Background(), shiftwatch.Options{
		Nameservers: dnsAddrs(lab.nodes), Query: shiftwatch.Query{Name: name},
		Rule: shiftwatch.Rule{Want: shiftwatch.Exactly(netip.MustParseAddr(want))}, Interval: 50 * time.Millisecond, Deadline: limit,
	})
	if err != nil {
		lab.t.Fatalf("the nameservers do not all answer %s with %s: %v", name, want, err)
	}
	for _, n := range lab.nodes {
		if a, ok := answers(n.dnsAddr, name, want); !ok {
			lab.t.Fatalf("%s answered %s with %s, then %s: the nodes do not answer it together", n.name, name, want, a)
		}
	}
	return r.All
}

// status is n's GET /api/v1/status; the test fails when n does not answer.
func (lab *clusterLab) status(n *labNode) *wire.Status {
	s, err := lab.tryStatus(n)
	if err != nil {
		lab.t.Fatalf("the status of %s: %v", n.name, err)
	}
	return s
}

// tryStatus is n's GET /api/v1/status.
func (lab *clusterLab) tryStatus(n *labNode) (*wire.Status, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return lab.client(n).Status(ctx)
}

// client is an API client of n with a read token (when the lab's nodes
// have tokens): over TLS trusting the cluster CA off loopback, where the
// node serves its HTTP listener with its certificate.
func (lab *clusterLab) client(n *labNode) *wire.Client {
	token := ""
	if lab.api != "" {
		token = readToken
	}
	if strings.HasPrefix(n.ip, "127.") {
		return wire.NewClient(n.httpAddr, token)
	}
	return wire.NewClient("https://"+n.httpAddr, token, wire.WithCAFile(filepath.Join(lab.dir, "tls", "ca.pem")))
}

// raftMembers counts the members n's Raft configuration lists (the status
// also lists vantage points the state remembers).
func raftMembers(s *wire.Status) int {
	count := 0
	for _, m := range s.Cluster.Members {
		if m.Suffrage != "" {
			count++
		}
	}
	return count
}

// apiName is the lab's service with a primary and a secondary.
const apiName = "api.example.test"

func dnsAddrs(nodes []*labNode) []string {
	var addrs []string
	for _, n := range nodes {
		addrs = append(addrs, n.dnsAddr)
	}
	return addrs
}

// answers asks one nameserver for name A once and reports whether it
// answered want alone.
func answers(addr, name, want string) (shiftwatch.Answer, bool) {
	a := shiftwatch.Ask(context.Background(), addr, shiftwatch.Query{Name: name})
	return a, a.Kind == shiftwatch.Answered && shiftwatch.Exactly(netip.MustParseAddr(want))(a.Addrs)
}

// holdsAnswer watches the nodes for d and says what, if anything, broke
// the promise that every one of them answers api.example.test with want
// alone at every poll ("" when they all kept it). Any other answer is the
// shift it watches for; a poll without an answer breaks it too.
func holdsAnswer(nodes []*labNode, want string, d time.Duration) string {
	keep := shiftwatch.Exactly(netip.MustParseAddr(want))
	r, _ := shiftwatch.Watch(context.Background(), shiftwatch.Options{
		Nameservers: dnsAddrs(nodes), Query: shiftwatch.Query{Name: apiName},
		Rule:     shiftwatch.Rule{Want: func(addrs []netip.Addr) bool { return !keep(addrs) }},
		Interval: 100 * time.Millisecond, Deadline: d,
	})
	return brokenBy(r, nodes)
}

// brokenBy lists, per node, the polls of a watch that shifted (answered
// what the rule watched for) or got no answer; "" when none did.
func brokenBy(r shiftwatch.Report, nodes []*labNode) string {
	var broken []string
	for i, s := range r.Servers {
		if s.Shifted {
			broken = append(broken, fmt.Sprintf("%s answered otherwise %s after the start (latest: %s)", nodes[i].name, s.At.Round(time.Millisecond), s.Last))
		}
		if s.Failed() > 0 {
			broken = append(broken, fmt.Sprintf("%s got no answer to %d of %d polls (%s)", nodes[i].name, s.Failed(), s.Polls, s.FailureText()))
		}
	}
	return strings.Join(broken, "; ")
}

// dnsWatch asks nameservers for api.example.test until stopped and keeps
// every poll that got no answer or an empty one: DNS must not stop.
type dnsWatch struct {
	cancel context.CancelFunc
	done   chan shiftwatch.Report
	nodes  []*labNode
}

func startDNSWatch(nodes []*labNode) *dnsWatch {
	ctx, cancel := context.WithCancel(context.Background())
	w := &dnsWatch{cancel: cancel, done: make(chan shiftwatch.Report, 1), nodes: nodes}
	go func() {
		r, _ := shiftwatch.Watch(ctx, shiftwatch.Options{
			Nameservers: dnsAddrs(nodes), Query: shiftwatch.Query{Name: apiName},
			Rule:     shiftwatch.Rule{Want: func(addrs []netip.Addr) bool { return len(addrs) == 0 }},
			Interval: 20 * time.Millisecond, Deadline: time.Hour, // until stopped
		})
		w.done <- r
	}()
	return w
}

// stop ends the watch; it returns how many polls were sent and which
// nodes got no answer or an empty one ("" when none did).
func (w *dnsWatch) stop() (polls int, broken string) {
	w.cancel()
	r := <-w.done
	for _, s := range r.Servers {
		polls += s.Polls
	}
	return polls, brokenBy(r, w.nodes)
}

// filteredBackend is the sample service with a switch that blackholes the
// probes of one node: connections from that source address are accepted
// and never answered, as when that node's own network is broken.
type filteredBackend struct {
	t      *testing.T
	addr   string
	mu     sync.Mutex
	banned string
	stopFn func()
}

func startFilteredBackend(t *testing.T, addr string) *filteredBackend {
	b := &filteredBackend{t: t, addr: addr}
	b.serve()
	t.Cleanup(b.stop)
	return b
}

func (b *filteredBackend) blackhole(ip string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.banned = ip
}

func (b *filteredBackend) serve() {
	var ln net.Listener
	var err error
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if ln, err = net.Listen("tcp", b.addr); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		b.t.Fatalf("backend %s: %v", b.addr, err)
	}
	held := &heldConns{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = backend.ServeListener(ctx, &filterListener{Listener: ln, b: b, held: held}, backend.New(b.addr))
	}()
	b.stopFn = func() { cancel(); <-done; held.closeAll() }
}

func (b *filteredBackend) stop() {
	if b.stopFn != nil {
		b.stopFn()
		b.stopFn = nil
	}
}

type filterListener struct {
	net.Listener
	b    *filteredBackend
	held *heldConns
}

func (l *filterListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		l.b.mu.Lock()
		banned := l.b.banned
		l.b.mu.Unlock()
		host, _, _ := net.SplitHostPort(c.RemoteAddr().String())
		if banned == "" || host != banned {
			return c, nil
		}
		l.held.add(c) // accepted, never answered
	}
}

type heldConns struct {
	mu    sync.Mutex
	conns []net.Conn
}

func (h *heldConns) add(c net.Conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.conns = append(h.conns, c)
}

func (h *heldConns) closeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range h.conns {
		c.Close()
	}
	h.conns = nil
}

// freePortsOn finds n distinct ports, TCP and UDP, free on every given address.
func freePortsOn(t *testing.T, ips []string, n int) []int {
	t.Helper()
	ports, err := lab.FreePorts(ips, n)
	if err != nil {
		t.Fatal(err)
	}
	return ports
}

// lockedBuffer collects a process's output safely.
type lockedBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
