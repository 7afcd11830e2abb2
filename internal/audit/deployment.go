package audit

import (
	"fmt"
	"net/netip"
	"strings"

	"outlast/internal/config"
	"outlast/internal/model"
)

// Deployment is everything the audit looks at. Build it with FromConfig,
// or from a running cluster's API; the command line adds LiveNS, Owners
// and, through Resolve, Resolved.
type Deployment struct {
	// Source names what was audited, for the report.
	Source string
	// Services and Zones are the replicated configuration.
	Services []config.Service
	Zones    []config.Zone
	// Nodes are the outlast nodes: the vantage points and Raft voters.
	Nodes []Node
	// LiveNS is the zones' delegation as live DNS gives it, by apex; nil
	// when it was not looked up.
	LiveNS map[string]LiveDelegation
	// Owners says which provider owns an address, from the ranges the
	// providers publish; nil when no range files were given.
	Owners Owners
	// Resolved holds what live DNS gave for the names ToResolve lists
	// (endpoint targets, nameservers without glue), by canonical name; nil
	// when they were not looked up. Resolve fills it.
	Resolved map[string]Resolution
}

// Node is one outlast node.
type Node struct {
	Name string
	// Location is the node's provider/region; zero when unknown.
	Location model.Location
	// Voter is whether the node votes in Raft elections.
	Voter bool
	// Addrs are addresses the node is known by, so a nameserver's glue
	// address can be recognised as the node.
	Addrs []netip.Addr
	// Field is where the node is configured, such as "cluster.peers[1]",
	// for the fix a finding suggests; empty when it came from the API.
	Field string
}

// LiveDelegation is a zone's NS set as resolvers see it.
type LiveDelegation struct {
	// NS holds each nameserver with the addresses its name resolves to.
	NS []config.NameServer
	// Err says why the lookup failed; NS is empty then.
	Err string
}

// Owner is who publishes an address range.
type Owner struct {
	Provider string
	Region   string // empty when the range is not tied to a region
	Prefix   netip.Prefix
}

// Owners answers who owns an address.
type Owners interface {
	// Lookup returns the owner of the most specific published range holding a.
	Lookup(a netip.Addr) (Owner, bool)
	// Publishes reports whether the ranges of provider were loaded, so an
	// address declared there but not in its ranges can be flagged.
	Publishes(provider string) bool
}

// FromConfig builds the deployment a node's configuration file describes:
// its services and zones, and the cluster's nodes from node and
// cluster.peers (this node alone when there is no cluster section).
func FromConfig(source string, c *config.Config) Deployment {
	self := Node{Name: c.Node.Name, Location: c.Node.Location, Voter: true, Field: "node"}
	self.Addrs = appendHostAddr(self.Addrs, c.DNS.Listen)
	nodes := []Node{self}
	if c.Cluster.Listen != "" {
		nodes = nodes[:0]
		found := false
		for i, p := range c.Cluster.Peers {
			n := Node{Name: p.Name, Location: p.Location, Voter: true, Field: fmt.Sprintf("cluster.peers[%d]", i)}
			n.Addrs = appendHostAddr(n.Addrs, p.Address)
			if p.Name == c.Node.Name { // config gave it node.location already
				found = true
				n.Field = "node"
				n.Addrs = append(n.Addrs, self.Addrs...)
			}
			nodes = append(nodes, n)
		}
		if !found { // a node that joins later: it will be a voter too
			nodes = append(nodes, self)
		}
	}
	return Deployment{Source: source, Services: c.Services, Zones: c.Zones, Nodes: nodes}
}

// appendHostAddr adds the IP of a host:port, when the host is one and not
// the unspecified address a listener binds to.
func appendHostAddr(addrs []netip.Addr, hostPort string) []netip.Addr {
	cut := strings.LastIndexByte(hostPort, ':')
	if cut < 0 {
		return addrs
	}
	a, err := netip.ParseAddr(strings.Trim(hostPort[:cut], "[]"))
	if err != nil || a.IsUnspecified() {
		return addrs
	}
	return append(addrs, a.Unmap())
}
