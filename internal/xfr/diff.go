package xfr

import (
	"fmt"
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// Diff is one step of an incremental transfer (RFC 1995 §4): the records
// removed and the records added between two consecutive versions. Deleted
// starts with the old version's SOA and Added with the new version's SOA, so
// Deleted followed by Added is exactly the step's part of an IXFR response.
// Diffs are shared between transfers and must not be modified.
type Diff struct {
	Deleted []dns.RR // old SOA first, then removed records in canonical-key order
	Added   []dns.RR // new SOA first, then added records in canonical-key order
}

// From is the serial the step starts from.
func (d Diff) From() uint32 { return d.Deleted[0].(*dns.SOA).Serial }

// To is the serial the step leads to.
func (d Diff) To() uint32 { return d.Added[0].(*dns.SOA).Serial }

// keyed is a record with its identity: two records are the same record,
// for diffing and de-duplication, when their keys are equal.
type keyed struct {
	key string
	rr  dns.RR
}

// recordKey is a record's identity: its uncompressed wire form with the
// owner name lowercased. Owner names compare case-insensitively (RFC 4343);
// class, type, TTL and RDATA compare exactly, so a TTL change is a change.
// Packing through a Msg (not dns.PackRR, which writes Rdlength back into
// the record) keeps records untouched while other goroutines serve them.
func recordKey(rr dns.RR) (string, error) {
	m := dns.Msg{Answer: []dns.RR{rr}}
	b, err := m.Pack()
	if err != nil {
		return "", fmt.Errorf("xfr: record %q cannot be packed: %w", rr.String(), err)
	}
	b = b[12:] // the message header
	lowerOwner(b)
	return string(b), nil
}

// lowerOwner lowercases the ASCII letters of the uncompressed owner name at
// the start of b. Length octets are at most 63, below 'A', so only label
// bytes change.
func lowerOwner(b []byte) {
	for off := 0; off < len(b) && b[off] != 0; {
		end := min(off+1+int(b[off]), len(b))
		for i := off + 1; i < end; i++ {
			if 'A' <= b[i] && b[i] <= 'Z' {
				b[i] += 'a' - 'A'
			}
		}
		off = end
	}
}

// keyAll keys every record but the leading SOA and drops exact duplicates
// (a zone is a set of records), keeping the first occurrence.
func keyAll(records []dns.RR) ([]keyed, error) {
	out := make([]keyed, 0, len(records))
	seen := make(map[string]struct{}, len(records))
	for _, rr := range records[1:] {
		k, err := recordKey(rr)
		if err != nil {
			return nil, err
		}
		if _, dup := seen[k]; dup {
			continue
		}
		seen[k] = struct{}{}
		out = append(out, keyed{k, rr})
	}
	return out, nil
}

// diffKeyed computes the step from old to new, both keyed without their
// SOA records. The result is deterministic: each side is sorted by key.
func diffKeyed(oldSOA, newSOA dns.RR, older, newer []keyed) Diff {
	inOld := make(map[string]struct{}, len(older))
	for _, k := range older {
		inOld[k.key] = struct{}{}
	}
	inNew := make(map[string]struct{}, len(newer))
	var added []keyed
	for _, k := range newer {
		inNew[k.key] = struct{}{}
		if _, ok := inOld[k.key]; !ok {
			added = append(added, k)
		}
	}
	var deleted []keyed
	for _, k := range older {
		if _, ok := inNew[k.key]; !ok {
			deleted = append(deleted, k)
		}
	}
	return Diff{Deleted: withSOA(oldSOA, deleted), Added: withSOA(newSOA, added)}
}

func withSOA(soa dns.RR, ks []keyed) []dns.RR {
	slices.SortFunc(ks, func(a, b keyed) int { return strings.Compare(a.key, b.key) })
	out := make([]dns.RR, 0, len(ks)+1)
	out = append(out, soa)
	for _, k := range ks {
		out = append(out, k.rr)
	}
	return out
}

// Compute returns the step that turns version older into version newer.
// Both must have the shape Journal.Add requires; Compute does not compare
// their serials.
func Compute(older, newer Version) (Diff, error) {
	if err := checkShape(older); err != nil {
		return Diff{}, err
	}
	if err := checkShape(newer); err != nil {
		return Diff{}, err
	}
	ok, err := keyAll(older.Records)
	if err != nil {
		return Diff{}, err
	}
	nk, err := keyAll(newer.Records)
	if err != nil {
		return Diff{}, err
	}
	return diffKeyed(older.Records[0], newer.Records[0], ok, nk), nil
}

func diffBytes(d Diff) int { return recordsLen(d.Deleted) + recordsLen(d.Added) }

// recordsLen is the uncompressed wire size of records.
func recordsLen(records []dns.RR) int {
	n := 0
	for _, rr := range records {
		n += dns.Len(rr)
	}
	return n
}
