package geo

import (
	"fmt"
	"net/netip"
	"slices"
)

// Chain looks an address up in a topology table first and, when that has
// no area for it, in a database table. The topology wins whenever it
// matches, whatever its prefix length: it is the operator's own word. Both
// tables index one list of area names. It is immutable and safe for
// concurrent use.
type Chain struct {
	topology, database *Table
	names              []string
}

// NewChain joins a topology table and a database table; either may be nil
// (no topology list, or no database configured). Their names must be the
// same list, so an index means the same area whichever table gave it.
func NewChain(topology, database *Table) (*Chain, error) {
	if topology != nil && database != nil && !slices.Equal(topology.names, database.names) {
		return nil, fmt.Errorf("%w: the topology table has %d names and the database table %d; build both from one list of areas",
			ErrNamesDiffer, len(topology.names), len(database.names))
	}
	c := &Chain{topology: topology, database: database}
	switch {
	case topology != nil:
		c.names = topology.names
	case database != nil:
		c.names = database.names
	}
	return c, nil
}

// Area is Table.Area over the chain: the topology's answer when it has
// one, else the database's. When the topology has no area for addr, the
// answer also depended on addr being outside every topology entry, so the
// scope is the longer of the two tables' scopes (the smaller of the two
// blocks, which are nested since both hold addr). It does not allocate.
func (c *Chain) Area(addr netip.Addr) (index int, bits int, ok bool) {
	index, topoBits, ok := c.topology.Area(addr)
	if ok {
		return index, topoBits, true
	}
	index, bits, ok = c.database.Area(addr)
	return index, max(bits, topoBits), ok
}

// Names returns a copy of the area names the indexes refer to.
func (c *Chain) Names() []string { return slices.Clone(c.names) }
