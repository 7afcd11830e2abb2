package dnssec

import (
	"bytes"
	"encoding/binary"
	"slices"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// sigCache keeps the signatures of answer sets across snapshot builds. The DNS server rebuilds its
// snapshot on every verdict change (possibly every second) and signs every set of it; an ECDSA
// signature costs about 30 µs, so without this a zone of a few thousand sets would spend most of
// each rebuild signing sets that did not change.
//
// It is bounded two ways: it holds at most Options.SigCache entries (past that, a set is signed
// but not kept, which is correct and only slower), and Sweep, called after each build, drops every
// entry no build used since the previous Sweep, so it holds the sets of the latest builds and not
// the history of every answer a service ever gave.
type sigCache struct {
	mu   sync.Mutex
	max  int
	gen  uint64
	sets map[string]*sigEntry
}

type sigEntry struct {
	sigs []dns.RR
	used uint64 // the generation that last used it
}

func newSigCache(max int) *sigCache {
	return &sigCache{max: max, sets: make(map[string]*sigEntry)}
}

// SignCached is Sign, reusing the signatures made for the same set (owner, type, TTL and rdata, in
// any order and case of the owner) by an earlier call until NeedsResign says they are due. The
// result is shared between callers: it must not be modified.
func (s *Signer) SignCached(rrset []dns.RR, now time.Time) ([]dns.RR, error) {
	if err := s.checkRRset(rrset); err != nil {
		return nil, err
	}
	key, err := setKey(rrset)
	if err != nil {
		return nil, err
	}
	c := s.sigs
	c.mu.Lock()
	if e, ok := c.sets[key]; ok && !s.NeedsResign(e.sigs, now) {
		e.used = c.gen
		c.mu.Unlock()
		return e.sigs, nil
	}
	c.mu.Unlock()
	sigs, err := s.Sign(rrset, now)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.sets[key]; ok || len(c.sets) < c.max {
		c.sets[key] = &sigEntry{sigs: sigs, used: c.gen}
	}
	return sigs, nil
}

// Sweep ends one build of answer sets: the cached signatures of sets that no SignCached call used
// since the previous Sweep are dropped. Call it after each complete build.
func (s *Signer) Sweep() {
	c := s.sigs
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.sets {
		if e.used != c.gen {
			delete(c.sets, k)
		}
	}
	c.gen++
}

// Stats are what a Signer did, for metrics.
type Stats struct {
	// Signed counts the RRSIGs made since the Signer was made (sets at
	// build time, denials per query, one per signing key): with the cache
	// working it grows with changes and re-signing, not with rebuilds.
	Signed uint64
	// CachedSets is how many sets' signatures SignCached holds now.
	CachedSets int
}

// Stats returns the Signer's counts.
func (s *Signer) Stats() Stats {
	s.sigs.mu.Lock()
	defer s.sigs.mu.Unlock()
	return Stats{Signed: s.signed.Load(), CachedSets: len(s.sigs.sets)}
}

// ResignAt is the earliest time NeedsResign turns true for sigs: the first expiration less
// Options.Refresh. Zero for no signatures.
func (s *Signer) ResignAt(sigs []dns.RR) time.Time {
	var at time.Time
	for _, rr := range sigs {
		sig, ok := rr.(*dns.RRSIG)
		if !ok {
			continue
		}
		t := time.Unix(int64(sig.Expiration), 0).UTC().Add(-s.opts.Refresh)
		if at.IsZero() || t.Before(at) {
			at = t
		}
	}
	return at
}

// setKey names an RRset by its records in wire form, the owner lower-cased, sorted so the order
// they come in does not matter. The TTL is part of each record, so the same data with another TTL
// is another set (its RRSIG's original TTL differs).
func setKey(rrset []dns.RR) (string, error) {
	wires := make([][]byte, 0, len(rrset))
	for _, rr := range rrset {
		c := dns.Copy(rr)
		c.Header().Name = dns.CanonicalName(c.Header().Name)
		buf := make([]byte, dns.Len(c)+1)
		n, err := dns.PackRR(c, buf, 0, nil, false)
		if err != nil {
			return "", err
		}
		wires = append(wires, buf[:n])
	}
	slices.SortFunc(wires, bytes.Compare)
	var b []byte
	for _, w := range wires {
		b = binary.BigEndian.AppendUint16(b, uint16(len(w)))
		b = append(b, w...)
	}
	return string(b), nil
}
