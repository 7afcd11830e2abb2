// Package zoneserial numbers the versions of a zone that secondaries copy.
//
// A secondary takes a zone only when its SOA serial is greater, in RFC 1982
// arithmetic, than the one it holds; a serial that went backwards would
// leave it serving old answers, a failover included, until the serial
// overtook it again. So a zone's serial must grow with every change of
// what it answers, whichever node gives it, across leader changes and
// restarts. Two facts give that: every change of a steered answer follows
// a Raft entry, and Raft indexes only grow, on every node alike. A zone's
// serial is therefore its configured serial plus the Raft index at which
// the node first saw the zone's current content (or the last serial plus
// one, when content changed without a new entry: a hostname target
// resolved anew, a return ramp's weight crossing zero). A node that
// restarts numbers from an index at least as large as any it numbered
// before, since its log is durable, and past the last serial it gave,
// which it kept on disk (Restore): the bumps without an entry are not
// in the log.
//
// The content is fingerprinted from what the zone is built from, before
// it is built: the configuration's hash (zones, static records) and the
// default-area steered answers inside the zone, the ones a secondary
// serves. Pure: no clock, no IO.
package zoneserial

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"net/netip"
	"strings"

	"outlast/internal/model"
)

// Fingerprint identifies what a zone answers to a secondary: the
// configuration (by its hash) and the default-area answers of names at or
// below apex (lower-case, fully qualified). Weights count only as zero or
// not: a secondary serves every endpoint with a weight, so a ramp's steps
// are no new version.
func Fingerprint(apex, configHash string, answers []model.Answer) [32]byte {
	h := sha256.New()
	writeString(h, configHash)
	for i := range answers {
		a := &answers[i]
		if a.Area != "" || !within(a.Name, apex) {
			continue
		}
		writeString(h, a.Name)
		writeString(h, string(a.Type))
		writeString(h, string(a.Mode))
		writeString(h, a.Target)
		writeUint(h, uint64(a.TTL))
		writeAddrs(h, a.Addrs)
		writeUint(h, uint64(len(a.Pools)))
		for _, p := range a.Pools {
			writeString(h, p.Endpoint)
			writeString(h, p.Target)
			writeUint(h, uint64(min(p.Weight, 1)))
			writeAddrs(h, p.Addrs)
		}
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

func within(name, apex string) bool {
	return name == apex || strings.HasSuffix(name, "."+apex) || apex == "."
}

func writeString(h hash.Hash, s string) {
	writeUint(h, uint64(len(s)))
	h.Write([]byte(s))
}

func writeUint(h hash.Hash, v uint64) {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	h.Write(b[:])
}

func writeAddrs(h hash.Hash, addrs []netip.Addr) {
	writeUint(h, uint64(len(addrs)))
	for _, a := range addrs {
		b, _ := a.MarshalBinary()
		writeUint(h, uint64(len(b)))
		h.Write(b)
	}
}

// Numberer remembers each zone's last fingerprint and serial. Not safe for
// concurrent use: one answer loop owns it.
type Numberer struct {
	zones map[string]version
}

type version struct {
	fingerprint [32]byte
	serial      uint32
}

// Serial returns the serial of a zone whose content has fingerprint fp,
// seen at Raft index: the last one while the content is the same, else
// configured plus index, or the last serial plus one when that would not
// be greater (RFC 1982).
func (n *Numberer) Serial(apex string, configured uint32, fp [32]byte, index uint64) uint32 {
	if n.zones == nil {
		n.zones = make(map[string]version)
	}
	last, seen := n.zones[apex]
	if seen && last.fingerprint == fp {
		return last.serial
	}
	serial := configured + uint32(index)
	if seen && !Less(last.serial, serial) {
		serial = last.serial + 1
	}
	n.zones[apex] = version{fingerprint: fp, serial: serial}
	return serial
}

// Restore makes serial, given to content fp, the last one for apex, as a
// node that restarts reads them back from disk: the same content keeps its
// serial, and new content is numbered past it whatever the index, so a
// serial bumped without a new Raft entry (last plus one) is not given
// again after a restart.
func (n *Numberer) Restore(apex string, serial uint32, fp [32]byte) {
	if n.zones == nil {
		n.zones = make(map[string]version)
	}
	n.zones[apex] = version{fingerprint: fp, serial: serial}
}

// Last returns the serial last given to apex and the fingerprint of its
// content, for a node to keep on disk.
func (n *Numberer) Last(apex string) (serial uint32, fp [32]byte, ok bool) {
	v, ok := n.zones[apex]
	return v.serial, v.fingerprint, ok
}

// Forget drops the zones not in keep, so a zone removed and added again
// later starts from its index rather than a stale memory.
func (n *Numberer) Forget(keep func(apex string) bool) {
	for apex := range n.zones {
		if !keep(apex) {
			delete(n.zones, apex)
		}
	}
}
