package dnssec

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func TestDenyShapes(t *testing.T) {
	s := newSigner(t, Options{DenialTTL: 60}, newKey(t, "example.com.", 0, true))
	for _, tc := range []struct {
		name   string
		exists bool
		types  []uint16
		want   []uint16
	}{
		{"nxdomain", false, []uint16{dns.TypeA}, []uint16{dns.TypeRRSIG, dns.TypeNSEC, dns.TypeNXNAME}},
		{"nodata", true, []uint16{dns.TypeAAAA, dns.TypeA, dns.TypeA}, []uint16{dns.TypeA, dns.TypeAAAA, dns.TypeRRSIG, dns.TypeNSEC}},
		{"empty non-terminal", true, nil, []uint16{dns.TypeRRSIG, dns.TypeNSEC}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rr, sigs, err := s.Deny("Nope.Example.COM.", tc.exists, tc.types, t0)
			if err != nil {
				t.Fatal(err)
			}
			nsec := rr.(*dns.NSEC)
			if nsec.Hdr.Name != "nope.example.com." || nsec.NextDomain != `\000.nope.example.com.` || nsec.Hdr.Ttl != 60 {
				t.Errorf("NSEC %s, want owner nope.example.com. next \\000.nope.example.com. TTL 60", nsec)
			}
			if !slices.Equal(nsec.TypeBitMap, tc.want) {
				t.Errorf("bitmap %v, want %v", nsec.TypeBitMap, tc.want)
			}
			verify(t, s.DNSKEY(), []dns.RR{nsec}, sigs, t0)
			// The NSEC goes through the wire as a validator will read it.
			packRoundTrip(t, nsec)
		})
	}
}

// packRoundTrip packs rr in a message and unpacks it, checking it comes back the same.
func packRoundTrip(t *testing.T, rr dns.RR) {
	t.Helper()
	m := new(dns.Msg)
	m.Ns = []dns.RR{rr}
	b, err := m.Pack()
	if err != nil {
		t.Fatalf("pack %s: %v", rr, err)
	}
	var back dns.Msg
	if err := back.Unpack(b); err != nil {
		t.Fatalf("unpack %s: %v", rr, err)
	}
	if back.Ns[0].String() != rr.String() {
		t.Errorf("wire round trip: %s, want %s", back.Ns[0], rr)
	}
}

func TestDenyRefuses(t *testing.T) {
	s := newSigner(t, Options{}, newKey(t, "example.com.", 0, true))
	if _, _, err := s.Deny("www.example.org.", false, nil, t0); !errors.Is(err, ErrOutOfZone) {
		t.Errorf("out of zone: %v", err)
	}
	for _, typ := range []uint16{0, dns.TypeOPT, dns.TypeNXNAME, dns.TypeANY} {
		if _, _, err := s.Deny("www.example.com.", true, []uint16{typ}, t0); !errors.Is(err, ErrTypes) {
			t.Errorf("type %d: %v", typ, err)
		}
	}
	if _, _, err := s.Deny("www.example.com.", true, make([]uint16, maxDenyTypes+1), t0); !errors.Is(err, ErrTypes) {
		t.Errorf("too many types: %v", err)
	}
}

// TestDenyCache: a denial asked again is served from the cache (the same records), until its
// signatures are due for refreshing; a different bitmap for the same name is a different entry.
func TestDenyCache(t *testing.T) {
	s := newSigner(t, Options{}, newKey(t, "example.com.", 0, true))
	n1, s1, err := s.Deny("x.example.com.", false, nil, t0)
	if err != nil {
		t.Fatal(err)
	}
	n2, s2, _ := s.Deny("X.example.com.", false, nil, t0.Add(time.Hour))
	if n1 != n2 || s1[0] != s2[0] {
		t.Errorf("second ask was signed again, not served from the cache")
	}
	n3, _, _ := s.Deny("x.example.com.", true, []uint16{dns.TypeA}, t0)
	if n3 == n1 {
		t.Errorf("NODATA served the NXDOMAIN entry")
	}
	late := time.Unix(int64(s1[0].(*dns.RRSIG).Expiration), 0).Add(-time.Hour)
	n4, s4, _ := s.Deny("x.example.com.", false, nil, late)
	if n4 == n1 {
		t.Errorf("a denial an hour from expiry came from the cache")
	}
	verify(t, s.DNSKEY(), []dns.RR{n4}, s4, late)
}

// TestDenialCacheBound: a flood of distinct names never grows the cache past its size, and names
// asked repeatedly during the flood stay (CLOCK keeps recently used entries).
func TestDenialCacheBound(t *testing.T) {
	const size = 64
	s := newSigner(t, Options{DenialCache: size}, newKey(t, "example.com.", dns.ED25519, true))
	hot, hotSigs, err := s.Deny("hot.example.com.", false, nil, t0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 * size {
		if _, _, err := s.Deny(fmt.Sprintf("r%d.example.com.", i), false, nil, t0); err != nil {
			t.Fatal(err)
		}
		if i%8 == 0 {
			s.Deny("hot.example.com.", false, nil, t0)
		}
		if n := s.deny.len(); n > size || len(s.deny.index) > size {
			t.Fatalf("after %d names the cache holds %d slots, %d index entries; bound %d", i+1, n, len(s.deny.index), size)
		}
	}
	if cap(s.deny.slots) != size {
		t.Errorf("slots grew to capacity %d, want %d", cap(s.deny.slots), size)
	}
	again, againSigs, _ := s.Deny("hot.example.com.", false, nil, t0)
	if again != hot || againSigs[0] != hotSigs[0] {
		t.Errorf("a name asked throughout the flood was evicted")
	}
}

// canonicalLess is a naive RFC 4034 6.1 comparison, sharing no code with successor: labels from
// the root, each compared as lowercase octets.
func canonicalLess(a, b string) bool {
	la, lb := labelsOf(a), labelsOf(b)
	for i := 0; i < len(la) && i < len(lb); i++ {
		if c := bytes.Compare(la[len(la)-1-i], lb[len(lb)-1-i]); c != 0 {
			return c < 0
		}
	}
	return len(la) < len(lb)
}

func labelsOf(name string) [][]byte {
	buf := make([]byte, 256)
	n, err := dns.PackDomainName(name, buf, 0, nil, false)
	if err != nil {
		panic(err)
	}
	var out [][]byte
	for off := 0; off < n && buf[off] != 0; off += int(buf[off]) + 1 {
		out = append(out, bytes.ToLower(buf[off+1:off+1+int(buf[off])]))
	}
	return out
}

// longName is a name in example.com. of exactly wire octets, with a first label of first octets.
func longName(wire, first int) string {
	rest := wire - 1 - (first + 1) - len("example.com.") // root, first label, zone (12 octets on the wire)
	var b strings.Builder
	b.WriteString(strings.Repeat("a", first) + ".")
	for rest > 0 {
		l := min(rest-1, 63)
		b.WriteString(strings.Repeat("b", l) + ".")
		rest -= l + 1
	}
	name := b.String() + "example.com."
	if n, err := dns.PackDomainName(name, make([]byte, 256), 0, nil, false); err != nil || n != wire {
		panic(fmt.Sprintf("longName(%d, %d) is %d octets (%v)", wire, first, n, err))
	}
	return name
}

func TestInZone(t *testing.T) {
	for name, want := range map[string]bool{
		"example.com.": true, "a.example.com.": true, "a.b.example.com.": true,
		"aexample.com.": false, `a\.example.com.`: false, `a\\.example.com.`: true, `a\\\.example.com.`: false,
		"com.": false, "example.org.": false, ".": false,
	} {
		if got := inZone(name, "example.com."); got != want {
			t.Errorf("inZone(%s) = %v, want %v", name, got, want)
		}
		if got := dns.IsSubDomain("example.com.", dns.CanonicalName(name)); got != want {
			t.Errorf("the test is wrong: dns.IsSubDomain(%s) = %v", name, got)
		}
	}
}

func TestSuccessorLongNames(t *testing.T) {
	for _, tc := range []struct {
		name string
		want string
	}{
		{"x.example.com.", `\000.x.example.com.`},
		{longName(253, 10), `\000.` + longName(253, 10)},
		{longName(254, 10), strings.Replace(longName(254, 10), "aaaaaaaaaa.", `aaaaaaaaaa\000.`, 1)},
		{longName(255, 10), strings.Replace(longName(255, 10), "aaaaaaaaaa.", "aaaaaaaaab.", 1)},
		{strings.Replace(longName(255, 10), "aaaaaaaaaa.", `aaaaaaaa\@\255.`, 1), strings.Replace(longName(255, 10), "aaaaaaaaaa.", "aaaaaaaa[.", 1)},
	} {
		owner, got, err := successor(tc.name)
		if owner != tc.name {
			t.Errorf("successor(%s) gave owner %s", tc.name, owner)
		}
		if err != nil {
			t.Fatalf("successor(%s): %v", tc.name, err)
		}
		if got != tc.want {
			t.Errorf("successor(%s)\n = %s\nwant %s", tc.name, got, tc.want)
		}
		if !canonicalLess(tc.name, got) {
			t.Errorf("successor %s does not sort after %s", got, tc.name)
		}
	}
	// A 255-octet name whose first label is all 0xff has no successor of legal length.
	name := strings.Replace(longName(255, 2), "aa.", `\255\255.`, 1)
	if _, _, err := successor(name); err == nil {
		t.Errorf("successor of %s did not fail", name)
	}
}

// FuzzDeny: for any name the server could be asked, Deny either refuses it or returns an NSEC owned by
// it whose next name sorts after it, packs, and verifies.
func FuzzDeny(f *testing.F) {
	s := newSigner(f, Options{DenialCache: 16}, newKey(f, "example.com.", dns.ED25519, true))
	dnskey := s.DNSKEY()
	for _, seed := range []string{"x.example.com.", `a\\.example.com.`, `a\.example.com.`, "*.example.com.", `a\000.example.com.`, longName(255, 10), longName(254, 63), "example.com."} {
		f.Add(seed, false)
	}
	f.Fuzz(func(t *testing.T, name string, exists bool) {
		if _, ok := dns.IsDomainName(name); !ok {
			return
		}
		if got, want := inZone(dns.CanonicalName(name), "example.com."), dns.IsSubDomain("example.com.", dns.CanonicalName(name)); got != want {
			t.Fatalf("inZone(%q) = %v, dns.IsSubDomain says %v", name, got, want)
		}
		rr, sigs, err := s.Deny(name, exists, []uint16{dns.TypeA}, t0)
		if err != nil {
			return
		}
		nsec := rr.(*dns.NSEC)
		if !canonicalLess(nsec.Hdr.Name, nsec.NextDomain) || !dns.IsSubDomain("example.com.", nsec.NextDomain) {
			t.Fatalf("NSEC %s: next does not follow owner inside the zone", nsec)
		}
		packRoundTrip(t, nsec)
		verify(t, dnskey, []dns.RR{nsec}, sigs, t0)
	})
}

// TestDenyConcurrent: queries are answered from many goroutines at once; under -race this holds the
// cache's locking, and every answer still verifies.
func TestDenyConcurrent(t *testing.T) {
	s := newSigner(t, Options{DenialCache: 8}, newKey(t, "example.com.", dns.ED25519, true))
	dnskey := s.DNSKEY()
	errs := make(chan error, 4)
	for g := range 4 {
		go func() {
			for i := range 50 {
				name := fmt.Sprintf("n%d.example.com.", (i*g)%12)
				rr, sigs, err := s.Deny(name, i%2 == 0, nil, t0)
				if err == nil {
					err = sigs[0].(*dns.RRSIG).Verify(dnskey[0].(*dns.DNSKEY), []dns.RR{rr})
				}
				if err != nil {
					errs <- fmt.Errorf("%s: %w", name, err)
					return
				}
			}
			errs <- nil
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
