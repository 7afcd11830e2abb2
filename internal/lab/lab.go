package lab

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"

	"outlast/internal/config"
	"outlast/internal/lab/labdns"
	"outlast/internal/model"
	"outlast/internal/node"
	"outlast/internal/tlsca"
)

// The lab's layout: every address is on loopback, so no root is needed.
const (
	nodeSubnet     = "127.77.0."  // outlast nodes
	endpointSubnet = "127.77.1."  // region proxies: the addresses DNS answers
	backendSubnet  = "127.77.2."  // the services behind the proxies
	providerDNSIP  = "127.77.3.1" // the CDN providers' DNS (labdns)
	APIName        = "api.example.test."
	CDNName        = "cdn.example.test."
	GeoName        = "geo.example.test." // steered by client area (policy geo)
	TTL            = 5 * time.Second
)

// regionSpecs are the simulated regions; the first three serve the API by
// address, the CDN endpoints serve cdn.example.test by hostname: a CDN
// gives its customer a hostname in its own zone (target), which its own
// DNS resolves to its edge (the region's address), and the service
// flattens it. Every address region, Europe's included, also serves
// geo.example.test (geoEndpoint names its endpoint there).
var regionSpecs = []struct {
	endpoint, location string
	priority           int
	target, zone       string // a CDN's hostname and its provider's zone; "" for an address endpoint
	geoOnly            bool   // serves geo.example.test only, not the API
}{
	{"use1", "aws/us-east-1", 1, "", "", false},
	{"usw2", "aws/us-west-2", 2, "", "", false},
	{"usc1", "gcp/us-central1", 2, "", "", false},
	{"cdn-a", "fastly/global", 1, "shop.cdn-a.test", "cdn-a.test", false},
	{"cdn-b", "cloudflare/global", 2, "shop.cdn-b.test", "cdn-b.test", false},
	{"euw1", "aws/eu-west-1", 3, "", "", true},
}

// resolverTimeout is how long the nodes wait for the providers' DNS: short,
// so a dark provider is seen failing within the lab's seconds.
const resolverTimeout = 500 * time.Millisecond

// nodeSpecs are the outlast nodes, one per provider.
var nodeSpecs = []struct{ name, location string }{
	{"aws-use1", "aws/us-east-1"},
	{"gcp-usc1", "gcp/us-central1"},
	{"azure-weu", "azure/westeurope"},
}

// Lab is the running lab: regions and a three-node outlast cluster.
type Lab struct {
	log     *slog.Logger
	dir     string
	proxies *toxiproxy.ApiServer
	dns     *labdns.Server // the CDN providers' DNS
	Regions []*Region
	Nodes   []*Node
	DB      []*RoleServer // db.example.test's servers (dbSpecs)
	port    int           // the service port, the same on every region
	ports   [4]int        // the nodes' DNS, API, cluster and HTTP proxy ports
	views   *ownViews     // every node's own view of every endpoint
}

// Node is one outlast node of the lab, in-process, running the real serve code.
type Node struct {
	Name     string
	Location model.Location
	IP       string
	cfg      *config.Config
	net      *nodeNet
	node     *node.Node // nil while the node is down
}

// DNSAddr is the node's nameserver address.
func (n *Node) DNSAddr() string { return n.cfg.DNS.Listen }

// Up reports whether the node runs and its network works.
func (n *Node) Up() bool { return n.node != nil && n.net.Reachable() }

// Start builds the lab in a new temporary directory.
func Start(logger *slog.Logger) (*Lab, error) {
	dir, err := os.MkdirTemp("", "outlast-demo-")
	if err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	l := &Lab{log: logger, dir: dir, proxies: toxiproxyServer(), views: newOwnViews()}
	if err := l.start(); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

func (l *Lab) start() error {
	if err := checkAddresses(addresses(), net.Listen); err != nil {
		return err
	}
	var err error
	var endpointIPs, nodeIPs []string
	for i := range regionSpecs {
		endpointIPs = append(endpointIPs, endpointIP(i))
	}
	for i := range nodeSpecs {
		nodeIPs = append(nodeIPs, nodeIP(i))
	}
	if l.port, err = FreePort(endpointIPs); err != nil {
		return err
	}
	ports, err := FreePorts(nodeIPs, len(l.ports))
	if err != nil {
		return err
	}
	copy(l.ports[:], ports)
	if err := l.startRegions(endpointIPs); err != nil {
		return err
	}
	if err := l.startDB(); err != nil {
		return err
	}
	if err := l.makeCertificates(nodeIPs); err != nil {
		return err
	}
	for i, spec := range nodeSpecs {
		loc, _ := model.ParseLocation(spec.location)
		n := &Node{Name: spec.name, Location: loc, IP: nodeIPs[i], net: newNodeNet()}
		n.net.name, n.net.views = n.Name, l.views
		cfg, err := config.Parse(n.Name+".yaml", []byte(l.configText(n)))
		if err != nil {
			return fmt.Errorf("lab: %w", err)
		}
		n.cfg = cfg
		l.Nodes = append(l.Nodes, n)
	}
	for _, n := range l.Nodes {
		if err := l.startNode(n); err != nil {
			return err
		}
	}
	return nil
}

// startRegions runs every region, and the providers' DNS that resolves
// the CDNs' hostnames to their regions' addresses.
func (l *Lab) startRegions(endpointIPs []string) error {
	var err error
	if l.dns, err = labdns.Start(providerDNSIP, TTL); err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	for i, spec := range regionSpecs {
		loc, _ := model.ParseLocation(spec.location)
		var hosts []string
		if spec.target != "" {
			hosts = []string{spec.target, strings.TrimSuffix(CDNName, ".")}
			if err := l.dns.Set(spec.zone, spec.target, netip.MustParseAddr(endpointIPs[i])); err != nil {
				return fmt.Errorf("lab: %w", err)
			}
		}
		r, err := startRegion(l.proxies, spec.endpoint, loc, backendIP(i),
			fmt.Sprintf("%s:%d", endpointIPs[i], l.port), hosts)
		if err != nil {
			return err
		}
		l.Regions = append(l.Regions, r)
	}
	return nil
}

func (l *Lab) makeCertificates(nodeIPs []string) error {
	tlsDir := filepath.Join(l.dir, "tls")
	if err := tlsca.InitCA(tlsDir, tlsca.CAOptions{Name: "outlast demo"}); err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	for i, spec := range nodeSpecs {
		if err := tlsca.IssueNode(tlsDir, spec.name, tlsca.NodeOptions{Hosts: []string{nodeIPs[i]}}); err != nil {
			return fmt.Errorf("lab: %w", err)
		}
	}
	return nil
}

// configText is a node's configuration file: checks every 200 ms, two
// failures to fall, ten successes to rise (a gray failure at 50% errors
// then almost never looks healthy again), 5 s TTLs, the CDN hostnames
// resolved through the providers' DNS, and the HTTP proxy (proxyText).
func (l *Lab) configText(n *Node) string {
	var peers, ns strings.Builder
	for i, spec := range nodeSpecs {
		ip := nodeIP(i)
		fmt.Fprintf(&peers, "    - {name: %s, address: \"%s:%d\"}\n", spec.name, ip, l.ports[2])
		fmt.Fprintf(&ns, "      - {name: ns%d.example.test, addresses: [%s]}\n", i+1, ip)
	}
	tlsDir := filepath.Join(l.dir, "tls")
	return fmt.Sprintf(`node: {name: %[1]s, location: %[2]s}
dns: {listen: "%[3]s:%[4]d"}
http: {listen: "%[3]s:%[5]d"}
resolver: {servers: ["%[12]s"], timeout: %[13]s}
cluster:
  listen: "%[3]s:%[6]d"
  data_dir: %[7]s
  peers:
%[8]s  tls: {ca_file: %[9]s/ca.pem, cert_file: %[9]s/%[1]s.pem, key_file: %[9]s/%[1]s-key.pem}
%[14]s%[15]szones:
  - apex: example.test
    ns:
%[10]s
services:
%[11]s`, n.Name, n.Location, n.IP, l.ports[0], l.ports[1], l.ports[2], filepath.Join(l.dir, n.Name),
		peers.String(), tlsDir, ns.String(), l.servicesText(), l.dns.Addr, resolverTimeout, geoAreasText(), l.proxyText(n))
}

// proxyPerTryTimeout is the nodes' proxy's per-try timeout: half the
// devices' request timeout (clients.DefaultRequestTimeout, 1 s), so a
// request whose first try hangs in a dead region still has the other half
// for its retry, and the slowest proxied request costs at most about this
// much more than usual. It is 2.5 times the checks' timeout: a healthy
// region answers within it with room, even on a loaded machine.
const proxyPerTryTimeout = 500 * time.Millisecond

// proxyText is a node's proxy section: requests for the API's name go to
// a healthy API endpoint, retried once in another region. Every node runs
// it in every scenario; only proxy-region-outage's devices use it.
func (l *Lab) proxyText(n *Node) string {
	return fmt.Sprintf("proxy:\n  listen: \"%s:%d\"\n  per_try_timeout: %s\n  routes:\n    - {host: %s, service: %s, port: %d}\n",
		n.IP, l.ports[3], proxyPerTryTimeout, strings.TrimSuffix(APIName, "."), APIName, l.port)
}

// ProxyAddr is the node's HTTP proxy, host:port.
func (n *Node) ProxyAddr() string { return n.cfg.Proxy.Listen }

func (l *Lab) servicesText() string {
	var b strings.Builder
	for _, svc := range []struct {
		name   string
		cdn    bool
		answer string
	}{{APIName, false, ""}, {CDNName, true, "    answer: flatten\n"}} {
		fmt.Fprintf(&b, "  - name: %s\n    ttl: %s\n%s", svc.name, TTL, svc.answer)
		b.WriteString(l.checkText())
		b.WriteString("    endpoints:\n")
		for i, spec := range regionSpecs {
			if (spec.target != "") != svc.cdn || spec.geoOnly {
				continue
			}
			where := fmt.Sprintf("addresses: [%s]", l.regionIP(i))
			if spec.target != "" {
				where = "target: " + spec.target
			}
			fmt.Fprintf(&b, "      - {name: %s, location: %s, %s, priority: %d}\n", spec.endpoint, spec.location, where, spec.priority)
		}
	}
	return b.String() + l.geoServiceText() + l.dbServiceText()
}

// checkText is every service's check: every 200 ms, down after two
// failures, up after ten successes.
func (l *Lab) checkText() string {
	return fmt.Sprintf("    check: {type: http, port: %d, interval: 200ms, timeout: 200ms, fall: 2, rise: 10, http: {path: /healthz}}\n", l.port)
}

// regionIP is the address DNS answers for the i-th region.
func (l *Lab) regionIP(i int) string { return l.Regions[i].ip() }

// startNode runs (or restarts) a node with its data directory.
func (l *Lab) startNode(n *Node) error {
	n.net.setCut(false)
	l.views.start(n.Name)
	ln, err := net.Listen("tcp", n.cfg.Cluster.Listen)
	if err != nil {
		return fmt.Errorf("lab: node %s: %w", n.Name, err)
	}
	nd, err := node.New(n.cfg, node.Options{
		Logger:          l.log.With("node", n.Name),
		Probe:           n.net.probe,
		ClusterListener: n.net.listener(ln),
		ClusterDial:     n.net.dial,
	})
	if err == nil {
		err = nd.Start()
	}
	if err != nil {
		ln.Close()
		return fmt.Errorf("lab: node %s: %w", n.Name, err)
	}
	n.node = nd
	return nil
}

// kill makes a node die with its provider: its network goes first, so it
// says goodbye to nobody, then the process is gone.
func (l *Lab) kill(n *Node) {
	if n.node == nil {
		return
	}
	l.views.stop(n.Name) // a dying node's failing probes are no vote
	n.net.setCut(true)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = n.node.Stop(ctx)
	n.node = nil
}

// Leader is the node that leads, or nil.
func (l *Lab) Leader() *Node {
	for _, n := range l.Nodes {
		if n.Up() && n.node.Raft().IsLeader() {
			return n
		}
	}
	return nil
}

// node returns the lab node of the given name.
func (l *Lab) nodeNamed(name string) *Node {
	for _, n := range l.Nodes {
		if n.Name == name {
			return n
		}
	}
	return nil
}

// region returns the region of the given endpoint (of the API, the CDN
// or geo.example.test).
func (l *Lab) region(endpoint string) *Region {
	for _, r := range l.Regions {
		if r.Endpoint == endpoint || geoEndpoint(r.Endpoint) == endpoint {
			return r
		}
	}
	return nil
}

// Close stops everything and removes the lab's files.
func (l *Lab) Close() {
	for _, n := range l.Nodes {
		l.kill(n)
	}
	for _, r := range l.Regions {
		r.Close()
	}
	for _, s := range l.DB {
		s.Close()
	}
	if l.dns != nil {
		l.dns.Close()
	}
	os.RemoveAll(l.dir)
}

// FreePort finds a port free for TCP and UDP on every address.
func FreePort(ips []string) (int, error) {
	for range 100 {
		ln, err := net.Listen("tcp", ips[0]+":0")
		if err != nil {
			return 0, fmt.Errorf("lab: %w", err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		if PortFree(ips, port) {
			return port, nil
		}
	}
	return 0, errors.New("lab: no port free on every lab address")
}

// FreePorts finds n distinct ports, each free for TCP and UDP on every address.
func FreePorts(ips []string, n int) ([]int, error) {
	var ports []int
	for tries := 0; len(ports) < n && tries < 50; tries++ {
		port, err := FreePort(ips)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(ports, port) {
			ports = append(ports, port)
		}
	}
	if len(ports) < n {
		return nil, fmt.Errorf("lab: could not find %d ports free on %v", n, ips)
	}
	return ports, nil
}

// PortFree reports whether port is free for TCP and UDP on every address.
func PortFree(ips []string, port int) bool {
	for _, ip := range ips {
		addr := fmt.Sprintf("%s:%d", ip, port)
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return false
		}
		ln.Close()
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			return false
		}
		pc.Close()
	}
	return true
}
