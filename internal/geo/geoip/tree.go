package geoip

import (
	"errors"
	"fmt"

	"github.com/oschwald/maxminddb-golang/v2"
)

// The search tree is checked before the library walks it: the library's
// Networks iterator follows every path, so a hostile file whose nodes point
// at shared children (a DAG, not a tree) would make it visit up to 2^128
// paths. The files MaxMind's and DB-IP's writers produce are trees in which
// only the IPv4 subtree is shared, by the alias records of an IPv6 database
// (::ffff:0:0/96, 2001::/32, 2002::/16), and the iterator skips those. So
// checkTree walks the tree as the iterator does, with the same alias rule,
// and refuses a tree in which it would expand more nodes than there are:
// some node is then reached twice, and the iterator's work is no longer
// bounded by the file's size. The check itself stops at that bound.

var (
	errTreeShared = errors.New("search tree reaches a node twice (not a tree)")
	errTreeDeep   = errors.New("search tree is deeper than 128 bits")
	errTreeBounds = errors.New("search tree node lies outside the file")
	errRecordSize = errors.New("unsupported record size")
)

// pending is a subtree still to visit: its node pointer, its depth, and
// whether every bit of its path within the first 96 is zero (it lies in the
// IPv4 subtree ::/96).
type pending struct {
	pointer uint
	depth   uint
	zero96  bool
}

func checkTree(data []byte, md maxminddb.Metadata) error {
	t := tree{data: data, nodes: md.NodeCount, recordSize: md.RecordSize}
	if md.RecordSize != 24 && md.RecordSize != 28 && md.RecordSize != 32 {
		return fmt.Errorf("%w %d", errRecordSize, md.RecordSize)
	}
	if md.NodeCount > uint(len(data))/(md.RecordSize/4) {
		return errTreeBounds
	}
	start := pending{pointer: 0, depth: 0, zero96: true}
	if md.IPVersion == 6 {
		t.ipv4Start = t.ipv4Root()
	} else {
		start.depth = 96 // an IPv4 tree is walked as ::/96 is
	}
	return t.walk(start)
}

type tree struct {
	data       []byte
	nodes      uint
	recordSize uint
	ipv4Start  uint // node of ::/96 in an IPv6 tree, 0 when there is none
}

// ipv4Root follows 96 zero bits from the root, as the library does to find
// the IPv4 subtree.
func (t tree) ipv4Root() uint {
	node := uint(0)
	for i := 0; i < 96 && node < t.nodes; i++ {
		left, _, err := t.children(node)
		if err != nil {
			return 0
		}
		node = left
	}
	return node
}

// walk visits the tree depth first, left before right, and counts the
// nodes it expands; more expansions than nodes means a shared node.
func (t tree) walk(start pending) error {
	stack := []pending{start}
	expanded := uint(0)
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for p.pointer < t.nodes && !t.aliased(p) {
			if expanded++; expanded > t.nodes {
				return errTreeShared
			}
			if p.depth >= 128 {
				return errTreeDeep
			}
			left, right, err := t.children(p.pointer)
			if err != nil {
				return err
			}
			stack = append(stack, pending{pointer: right, depth: p.depth + 1, zero96: p.zero96 && p.depth >= 96})
			p = pending{pointer: left, depth: p.depth + 1, zero96: p.zero96}
		}
	}
	return nil
}

// aliased is the iterator's rule: the IPv4 subtree reached from outside
// ::/96 is an alias and is not walked again.
func (t tree) aliased(p pending) bool {
	return t.ipv4Start != 0 && t.ipv4Start < t.nodes && p.pointer == t.ipv4Start && !p.zero96
}

// children reads a node's two records (MaxMind DB spec, "Node Layout").
func (t tree) children(node uint) (left, right uint, err error) {
	size := t.recordSize / 4 // bytes per node: 6, 7 or 8
	off := node * size
	if off/size != node || off+size > uint(len(t.data)) {
		return 0, 0, errTreeBounds
	}
	b := t.data[off : off+size]
	switch t.recordSize {
	case 24:
		return be(b[0:3]), be(b[3:6]), nil
	case 28:
		return uint(b[3]&0xf0)<<20 | be(b[0:3]), uint(b[3]&0x0f)<<24 | be(b[4:7]), nil
	default:
		return be(b[0:4]), be(b[4:8]), nil
	}
}

// be decodes a big-endian unsigned integer of up to 4 bytes.
func be(b []byte) uint {
	v := uint(0)
	for _, c := range b {
		v = v<<8 | uint(c)
	}
	return v
}
