//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"outlast/bench/internal/benchkit"
)

// node is one outlast process of the cluster.
type node struct {
	name     string
	ip       string
	location string
	proc     *benchkit.Proc
}

func (n *node) httpURL() string { return "http://" + n.ip + ":8080" }
func (n *node) dnsAddr() string { return n.ip + ":8053" }

// Each node sits in its own failure domain, so the leader's quorum counts
// one vote per provider, as in a real deployment.
var nodeLocations = []string{"aws/us-east-1", "gcp/us-central1", "azure/westeurope", "hetzner/fsn1", "ovh/gra"}

func makeNodes(count int) []*node {
	nodes := make([]*node, count)
	for i := range nodes {
		nodes[i] = &node{
			name:     fmt.Sprintf("n%d", i+1),
			ip:       fmt.Sprintf("127.0.0.%d", 41+i),
			location: nodeLocations[i%len(nodeLocations)],
		}
	}
	return nodes
}

// layout is the probed endpoints: one service per port, one endpoint per
// address, so every (address, port) is a distinct target.
type layout struct {
	addrBase string // "127.0.2."
	addrs    int
	basePort int
	ports    int
}

func (l layout) endpoints() int               { return l.addrs * l.ports }
func (l layout) addr(a int) string            { return fmt.Sprintf("%s%d", l.addrBase, a) }
func (l layout) service(s int) string         { return fmt.Sprintf("svc%03d.bench.test.", s) }
func (l layout) endpointName(s, a int) string { return fmt.Sprintf("s%03d-a%02d", s, a) }
func (l layout) target(s, a int) string       { return fmt.Sprintf("%s:%d", l.addr(a), l.basePort+s) }

// makeTLS makes the cluster CA and one certificate per node with outlast's
// own commands, as an operator would.
func makeTLS(bin, dir string, nodes []*node) error {
	if err := benchkit.Run(context.Background(), "", bin, "tls", "init", "--dir", dir); err != nil {
		return err
	}
	for _, n := range nodes {
		if err := benchkit.Run(context.Background(), "", bin, "tls", "node", n.name, "--dir", dir, "--host", n.ip); err != nil {
			return err
		}
	}
	return nil
}

// writeConfigs writes one file per node into work and returns their paths.
func writeConfigs(work string, nodes []*node, l layout) ([]string, error) {
	shared := sharedConfig(nodes, l)
	paths := make([]string, len(nodes))
	for i, n := range nodes {
		var b strings.Builder
		fmt.Fprintf(&b, "node: {name: %s, location: %s, probe_source: %s}\n", n.name, n.location, n.ip)
		fmt.Fprintf(&b, "dns: {listen: \"%s\"}\n", n.dnsAddr())
		fmt.Fprintf(&b, "http: {listen: \"%s:8080\"}\n", n.ip)
		b.WriteString("api: {public_status: true}\n")
		fmt.Fprintf(&b, "cluster:\n  listen: \"%s:7946\"\n  data_dir: %s\n  peers:\n", n.ip, filepath.Join(work, "data", n.name))
		for _, p := range nodes {
			fmt.Fprintf(&b, "    - {name: %s, address: \"%s:7946\", location: %s}\n", p.name, p.ip, p.location)
		}
		tls := filepath.Join(work, "tls")
		fmt.Fprintf(&b, "  tls: {ca_file: %s, cert_file: %s, key_file: %s}\n",
			filepath.Join(tls, "ca.pem"), filepath.Join(tls, n.name+".pem"), filepath.Join(tls, n.name+"-key.pem"))
		b.WriteString(shared)
		paths[i] = filepath.Join(work, n.name+".yaml")
		if err := os.WriteFile(paths[i], []byte(b.String()), 0o644); err != nil {
			return nil, err
		}
	}
	return paths, nil
}

// sharedConfig is the replicated part: the zone with the five nodes as
// nameservers and one service per port, each answering all healthy
// addresses so that losing one endpoint changes exactly one answer.
func sharedConfig(nodes []*node, l layout) string {
	var b strings.Builder
	b.WriteString("zones:\n  - apex: bench.test\n    ns:\n")
	for i, n := range nodes {
		fmt.Fprintf(&b, "      - {name: ns%d.bench.test, addresses: [%s], location: %s}\n", i+1, n.ip, n.location)
	}
	b.WriteString("services:\n")
	for s := 0; s < l.ports; s++ {
		fmt.Fprintf(&b, "  - name: %s\n    ttl: 5s\n    policy: all\n    max_answers: %d\n", l.service(s), l.addrs)
		fmt.Fprintf(&b, "    check: {type: http, port: %d, interval: 1s, fall: 2, rise: 2, http: {path: /healthz}}\n", l.basePort+s)
		b.WriteString("    endpoints:\n")
		for a := 1; a <= l.addrs; a++ {
			fmt.Fprintf(&b, "      - {name: %s, location: %s, addresses: [%s]}\n",
				l.endpointName(s, a), nodeLocations[(a-1)%len(nodeLocations)], l.addr(a))
		}
	}
	return b.String()
}
