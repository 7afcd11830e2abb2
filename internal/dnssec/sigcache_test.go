package dnssec

import (
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestSignCachedReuses: the same set (records in another order, owner in another case) gets the
// same signatures back until they are due, and a set with another TTL gets its own.
func TestSignCachedReuses(t *testing.T) {
	s := newSigner(t, Options{}, newKey(t, "example.com.", dns.ECDSAP256SHA256, true))
	now := time.Date(2026, 12, 5, 4, 0, 0, 0, time.UTC)
	a := []dns.RR{mustRR(t, "www.example.com. 30 IN A 192.0.2.1"), mustRR(t, "www.example.com. 30 IN A 192.0.2.2")}
	b := []dns.RR{mustRR(t, "WWW.Example.com. 30 IN A 192.0.2.2"), mustRR(t, "WWW.Example.com. 30 IN A 192.0.2.1")}
	first, err := s.SignCached(a, now)
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.SignCached(b, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if first[0] != again[0] {
		t.Fatal("the same set was signed again instead of reusing its cached signatures")
	}
	other, _ := s.SignCached([]dns.RR{mustRR(t, "www.example.com. 60 IN A 192.0.2.1"), mustRR(t, "www.example.com. 60 IN A 192.0.2.2")}, now)
	if other[0] == first[0] || other[0].Header().Ttl != 60 {
		t.Fatalf("a set with another TTL got %v", other[0])
	}
	due := s.ResignAt(first)
	if !due.After(now) || due.After(now.Add(defaultValidity)) {
		t.Fatalf("ResignAt %v, want after %v and within the validity", due, now)
	}
	late, _ := s.SignCached(a, due.Add(time.Minute))
	if late[0] == first[0] {
		t.Fatal("signatures past ResignAt were reused")
	}
	verify(t, s.DNSKEY(), a, late, due.Add(time.Minute))
}

// TestSweepDropsUnused: a Sweep drops the sets no call used since the previous one, and the cache
// never holds more than Options.SigCache sets.
func TestSweepDropsUnused(t *testing.T) {
	s := newSigner(t, Options{SigCache: 2}, newKey(t, "example.com.", dns.ECDSAP256SHA256, true))
	now := time.Date(2026, 12, 5, 4, 0, 0, 0, time.UTC)
	set := func(addr string) []dns.RR { return []dns.RR{mustRR(t, "www.example.com. 30 IN A "+addr)} }
	for _, addr := range []string{"192.0.2.1", "192.0.2.2", "192.0.2.3"} {
		if _, err := s.SignCached(set(addr), now); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.Stats().CachedSets; n != 2 {
		t.Fatalf("%d sets cached, want the bound 2", n)
	}
	s.Sweep() // all three were used in this build: the two cached stay
	if n := s.Stats().CachedSets; n != 2 {
		t.Fatalf("after the first sweep %d sets cached, want 2", n)
	}
	if _, err := s.SignCached(set("192.0.2.1"), now); err != nil {
		t.Fatal(err)
	}
	s.Sweep() // only 192.0.2.1 was used by this build
	if n := s.Stats().CachedSets; n != 1 {
		t.Fatalf("after the second sweep %d sets cached, want 1", n)
	}
	// Three sets signed once each (the cached one was reused), the third
	// signed although it could not be kept.
	if n := s.Stats().Signed; n != 3 {
		t.Errorf("Stats().Signed = %d, want 3", n)
	}
}
