package xfr

import (
	"fmt"

	"github.com/miekg/dns"
)

// Message sizes for transfers over TCP.
const (
	// DefaultMessageSize is the largest DNS message over TCP (RFC 5936 §2.2
	// lets a transfer use messages up to 65535 bytes).
	DefaultMessageSize = dns.MaxMsgSize
	// MessageReserve is what each message keeps free for everything that is
	// not a transferred record: the 12-byte header, the question (at most
	// 259 bytes), a TSIG record (key and algorithm names and a 64-byte MAC,
	// under 600 bytes) and an OPT record with options such as NSID.
	MessageReserve = 2048
)

// AXFR returns the newest version as the records of an AXFR response
// (see AXFRMessages).
func (j *Journal) AXFR(maxSize int) ([][]dns.RR, error) {
	v := j.Latest()
	if v.Records == nil {
		return nil, ErrEmpty
	}
	return AXFRMessages(v, maxSize)
}

// IXFR answers an IXFR request carrying serial from (RFC 1995 §4): the
// single current SOA when from is current (or ahead), the incremental steps
// when the journal reaches back to from (incremental true), and otherwise
// the whole zone in AXFR form, which RFC 1995 allows inside an IXFR
// response. The version and its steps are read together, consistently.
func (j *Journal) IXFR(from uint32, maxSize int) (msgs [][]dns.RR, incremental bool, err error) {
	j.mu.RLock()
	v := j.latest
	diffs, ok := j.diffLocked(from)
	j.mu.RUnlock()
	if v.Records == nil {
		return nil, false, ErrEmpty
	}
	if !ok {
		msgs, err = AXFRMessages(v, maxSize)
		return msgs, false, err
	}
	msgs, err = IXFRMessages(v.Records[0], diffs, maxSize)
	return msgs, len(diffs) > 0, err
}

// AXFRMessages splits a zone into the records of an AXFR response
// (RFC 5936 §2.2): the SOA, every other record, the SOA again. Each inner
// slice is one message's answer section and, packed uncompressed, takes at
// most maxSize-MessageReserve bytes, so the message with its header,
// question, OPT and TSIG stays within maxSize.
func AXFRMessages(zone Version, maxSize int) ([][]dns.RR, error) {
	if err := checkShape(zone); err != nil {
		return nil, err
	}
	seq := make([]dns.RR, 0, len(zone.Records)+1)
	seq = append(seq, zone.Records...)
	seq = append(seq, zone.Records[0])
	return split(seq, maxSize)
}

// IXFRMessages builds the records of an incremental IXFR response
// (RFC 1995 §4): the current SOA, then for each step the old SOA, the
// deleted records, the new SOA and the added records, then the current SOA
// again. With no steps it is the single current SOA, the answer to a client
// that is up to date. Messages are split as in AXFRMessages.
func IXFRMessages(current dns.RR, diffs []Diff, maxSize int) ([][]dns.RR, error) {
	if _, ok := current.(*dns.SOA); !ok {
		return nil, ErrNoSOA
	}
	if len(diffs) == 0 {
		return split([]dns.RR{current}, maxSize)
	}
	n := 2
	for _, d := range diffs {
		n += len(d.Deleted) + len(d.Added)
	}
	seq := make([]dns.RR, 0, n)
	seq = append(seq, current)
	for _, d := range diffs {
		seq = append(seq, d.Deleted...)
		seq = append(seq, d.Added...)
	}
	seq = append(seq, current)
	return split(seq, maxSize)
}

// split cuts seq into consecutive runs whose uncompressed size fits the
// record budget of a maxSize message.
func split(seq []dns.RR, maxSize int) ([][]dns.RR, error) {
	budget := maxSize - MessageReserve
	if maxSize > DefaultMessageSize || budget <= 0 {
		return nil, fmt.Errorf("xfr: message size %d out of range (%d..%d)", maxSize, MessageReserve+1, DefaultMessageSize)
	}
	var msgs [][]dns.RR
	start, used := 0, 0
	for i, rr := range seq {
		l := dns.Len(rr)
		if l > budget {
			return nil, fmt.Errorf("%w: %s is %d bytes, room for %d", ErrRecordTooLarge, rr.Header().Name, l, budget)
		}
		if used+l > budget {
			msgs = append(msgs, seq[start:i:i])
			start, used = i, 0
		}
		used += l
	}
	return append(msgs, seq[start:]), nil
}
