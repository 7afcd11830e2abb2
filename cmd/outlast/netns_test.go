package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestClusterAcrossNamespaces runs the three nodes each in its own network
// namespace, joined by veth pairs to a bridge, and breaks a node's network
// for real by taking its link down. It proves across real interfaces that a
// node cut off moves no traffic and keeps answering from the last agreed
// state, and that a SIGKILLed leader is replaced while DNS keeps answering.
func TestClusterAcrossNamespaces(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a cluster of processes")
	}
	if os.Geteuid() != 0 {
		t.Skip("skipping: network namespaces need root (ip netns, veth, a bridge); CI runs as root, so it runs there")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("skipping: the ip command (iproute2) is not installed")
	}
	net := newNetnsLab(t)
	lab := &clusterLab{t: t, bin: buildOutlast(t), dir: t.TempDir(), ports: []int{53, 8080, 7946}, healthy: net.ip(31)}
	tlsDir := filepath.Join(lab.dir, "tls")
	lab.run("tls", "init", "--dir", tlsDir)
	startFilteredBackend(t, net.ip(31)+":8081")
	startFilteredBackend(t, net.ip(32)+":8081")
	for i, name := range nodeNames {
		ip := net.ip(21 + i)
		lab.run("tls", "node", name, "--dir", tlsDir, "--host", ip)
		n := &labNode{name: name, ip: ip, config: filepath.Join(lab.dir, name+".yaml"),
			dnsAddr: ip + ":53", httpAddr: ip + ":8080"}
		lab.nodes = append(lab.nodes, n)
	}
	lab.writeNetnsConfigs(net, tlsDir)
	for i, n := range lab.nodes {
		lab.startIn(net.ns(i), n)
	}
	lab.waitForLeader(nil, 20*time.Second)
	want := net.ip(31)
	lab.waitAllAnswer(want, 20*time.Second)

	t.Run("d: a node whose link goes down moves nothing and keeps answering", func(t *testing.T) {
		cut := lab.nodes[2]
		net.link(t, 2, "down")
		if moved := holdsAnswer(lab.nodes[:2], want, clusterSwitchBound+5*time.Second); moved != "" {
			t.Fatalf("false failover while only %s's link was down: %s", cut.name, moved)
		}
		// Inside its namespace the cut-off node still answers, from the last agreed state.
		if dig, err := exec.LookPath("dig"); err == nil {
			out, _ := exec.Command("ip", "netns", "exec", net.ns(2), dig, "+short", "+tries=1", "@"+cut.ip, "api.example.test", "A").Output()
			if got := strings.TrimSpace(string(out)); got != want {
				t.Errorf("cut off, %s answers %q inside its namespace, want the last agreed %s", cut.name, got, want)
			}
		}
		out, _ := exec.Command("ip", "netns", "exec", net.ns(2), lab.bin, "cluster", "status", "--config", cut.config).CombinedOutput()
		t.Logf("(d) %s cut off for %s; the others kept answering %s; its own view:\n%s", cut.name, clusterSwitchBound+5*time.Second, want, out)
		net.link(t, 2, "up")
		lab.waitAllAnswer(want, 20*time.Second)
		back := time.Now()
		for lab.status(cut).Cluster.Stale {
			if time.Since(back) > 15*time.Second {
				t.Fatalf("%s still reports stale 15 s after its link came back", cut.name)
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Logf("(d) %s reported in contact again %s after its link came back", cut.name, time.Since(back).Round(10*time.Millisecond))
	})

	t.Run("b: leader SIGKILLed across namespaces", func(t *testing.T) {
		lab.leaderKilled(t)
	})
}

// netnsLab is the network: a bridge in the test's namespace and one
// namespace per node, each joined to the bridge by a veth pair.
type netnsLab struct {
	prefix string // unique per run: names of namespaces and links
	subnet string // "10.213.X"
	bridge string
}

func newNetnsLab(t *testing.T) *netnsLab {
	id := os.Getpid() % 10000
	l := &netnsLab{prefix: fmt.Sprintf("ol%d", id), subnet: fmt.Sprintf("10.213.%d", id%250), bridge: fmt.Sprintf("olb%d", id)}
	t.Cleanup(l.teardown)
	l.teardown() // leftovers of a crashed run with the same pid
	must(t, "ip", "link", "add", l.bridge, "type", "bridge")
	must(t, "ip", "addr", "add", l.ip(1)+"/24", "dev", l.bridge)
	for _, host := range []int{31, 32} { // the two backends live on the bridge
		must(t, "ip", "addr", "add", l.ip(host)+"/32", "dev", l.bridge)
	}
	must(t, "ip", "link", "set", l.bridge, "up")
	for i := range nodeNames {
		ns, outside, inside := l.ns(i), l.veth(i, "o"), l.veth(i, "i")
		must(t, "ip", "netns", "add", ns)
		must(t, "ip", "link", "add", outside, "type", "veth", "peer", "name", inside)
		must(t, "ip", "link", "set", inside, "netns", ns)
		must(t, "ip", "link", "set", outside, "master", l.bridge, "up")
		must(t, "ip", "-n", ns, "addr", "add", l.ip(21+i)+"/24", "dev", inside)
		must(t, "ip", "-n", ns, "link", "set", inside, "up")
		must(t, "ip", "-n", ns, "link", "set", "lo", "up")
		must(t, "ip", "-n", ns, "route", "add", "default", "via", l.ip(1))
	}
	return l
}

func (l *netnsLab) ip(host int) string            { return fmt.Sprintf("%s.%d", l.subnet, host) }
func (l *netnsLab) ns(i int) string               { return fmt.Sprintf("%s-%s", l.prefix, nodeNames[i]) }
func (l *netnsLab) veth(i int, end string) string { return fmt.Sprintf("%s%s%d", l.prefix, end, i) }

// link takes node i's interface down or up, from inside its namespace.
func (l *netnsLab) link(t *testing.T, i int, state string) {
	must(t, "ip", "-n", l.ns(i), "link", "set", l.veth(i, "i"), state)
}

func (l *netnsLab) teardown() {
	for i := range nodeNames {
		_ = exec.Command("ip", "netns", "del", l.ns(i)).Run()
		_ = exec.Command("ip", "link", "del", l.veth(i, "o")).Run()
	}
	_ = exec.Command("ip", "link", "del", l.bridge).Run()
}

func must(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// writeNetnsConfigs writes each node's file for its namespace address.
func (lab *clusterLab) writeNetnsConfigs(net *netnsLab, tlsDir string) {
	var peers strings.Builder
	for i, name := range nodeNames {
		fmt.Fprintf(&peers, "    - {name: %s, address: \"%s:7946\"}\n", name, net.ip(21+i))
	}
	for i, n := range lab.nodes {
		// The test's DNS watch asks each node 25 times a second from the
		// lab's network: a resolver of our own, exempt from rate limiting.
		text := fmt.Sprintf(`node: {name: %[1]s, location: %[2]s}
dns: {listen: "%[3]s:53", rate_limit: {exempt: [%[10]s/24]}}
http: {listen: "%[3]s:8080"}
api: {public_status: true}
cluster:
  listen: "%[3]s:7946"
  data_dir: %[4]s
  peers:
%[5]s  tls: {ca_file: %[6]s/ca.pem, cert_file: %[6]s/%[1]s.pem, key_file: %[6]s/%[1]s-key.pem}
zones:
  - apex: example.test
    ns: [{name: ns1.example.test, addresses: [%[7]s]}]
services:
  - name: api.example.test
    ttl: 5s
    check: {type: http, port: 8081, interval: 1s, timeout: 1s, fall: 2, rise: 3, http: {path: /healthz}}
    endpoints:
      - {name: primary, location: aws/us-east-1, addresses: [%[8]s], priority: 1}
      - {name: secondary, location: gcp/us-central1, addresses: [%[9]s], priority: 2}
`, n.name, nodePlaces[i], n.ip, filepath.Join(lab.dir, n.name+"-data"), peers.String(), tlsDir,
			net.ip(21), net.ip(31), net.ip(32), net.ip(0))
		if err := os.WriteFile(n.config, []byte(text), 0o644); err != nil {
			lab.t.Fatal(err)
		}
	}
}

// startIn runs a node's `outlast serve` inside a namespace.
func (lab *clusterLab) startIn(ns string, n *labNode) {
	n.ns = ns
	lab.start(n)
}
