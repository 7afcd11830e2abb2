package dnssec

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/miekg/dns"
)

var t0 = time.Date(2026, 12, 1, 10, 42, 17, 0, time.UTC)

func mustRR(t testing.TB, s string) dns.RR {
	t.Helper()
	rr, err := dns.NewRR(s)
	if err != nil {
		t.Fatal(err)
	}
	return rr
}

func aSet(t testing.TB) []dns.RR {
	return []dns.RR{mustRR(t, "www.example.com. 30 IN A 192.0.2.1"), mustRR(t, "www.example.com. 30 IN A 192.0.2.2")}
}

func newSigner(t testing.TB, opts Options, keys ...*Key) *Signer {
	t.Helper()
	s, err := NewSigner("example.com.", keys, opts)
	if err != nil {
		t.Fatalf("NewSigner: %v", err)
	}
	return s
}

// verify checks every RRSIG in sigs against the key of its tag in the DNSKEY set, and its window at now.
func verify(t testing.TB, dnskeys []dns.RR, rrset, sigs []dns.RR, now time.Time) {
	t.Helper()
	if len(sigs) == 0 {
		t.Fatalf("no signatures over %s", rrset[0].Header().Name)
	}
	for _, rr := range sigs {
		sig := rr.(*dns.RRSIG)
		var key *dns.DNSKEY
		for _, k := range dnskeys {
			if k.(*dns.DNSKEY).KeyTag() == sig.KeyTag {
				key = k.(*dns.DNSKEY)
			}
		}
		if key == nil {
			t.Fatalf("RRSIG key tag %d is in no DNSKEY", sig.KeyTag)
		}
		if err := sig.Verify(key, rrset); err != nil {
			t.Fatalf("RRSIG %s does not verify: %v", sig, err)
		}
		if !sig.ValidityPeriod(now) {
			t.Fatalf("RRSIG %s not valid at %s", sig, now)
		}
		if sig.Hdr.Ttl != rrset[0].Header().Ttl || sig.OrigTtl != rrset[0].Header().Ttl {
			t.Errorf("RRSIG TTL %d orig %d, want the set's %d", sig.Hdr.Ttl, sig.OrigTtl, rrset[0].Header().Ttl)
		}
	}
}

func TestSignVerifies(t *testing.T) {
	for _, alg := range []uint8{dns.ECDSAP256SHA256, dns.ED25519} {
		s := newSigner(t, Options{}, newKey(t, "example.com.", alg, true))
		set := aSet(t)
		sigs, err := s.Sign(set, t0)
		if err != nil {
			t.Fatal(err)
		}
		verify(t, s.DNSKEY(), set, sigs, t0)
		dnskeySigs, err := s.Sign(s.DNSKEY(), t0)
		if err != nil {
			t.Fatal(err)
		}
		verify(t, s.DNSKEY(), s.DNSKEY(), dnskeySigs, t0)
		if len(sigs) != 1 || sigs[0].(*dns.RRSIG).SignerName != "example.com." || sigs[0].(*dns.RRSIG).Labels != 3 {
			t.Errorf("alg %d: signatures %v", alg, sigs)
		}
	}
}

func TestWindow(t *testing.T) {
	s := newSigner(t, Options{}, newKey(t, "example.com.", 0, true))
	inc, exp := s.Window("www.example.com.", dns.TypeA, t0)
	if want := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC); !inc.Equal(want) {
		t.Errorf("inception %s, want %s (the hour rounded down, less one)", inc, want)
	}
	if d := exp.Sub(inc); d > defaultValidity || d <= defaultValidity-defaultJitter {
		t.Errorf("validity %s, want in (%s, %s]", d, defaultValidity-defaultJitter, defaultValidity)
	}
	// Any moment of the same hour, and any case of the owner, gives the same window.
	inc2, exp2 := s.Window("WWW.Example.com.", dns.TypeA, t0.Truncate(time.Hour).Add(59*time.Minute))
	if !inc2.Equal(inc) || !exp2.Equal(exp) {
		t.Errorf("same hour: window %s..%s, want %s..%s", inc2, exp2, inc, exp)
	}
	// Jitter spreads expirations over the sets of a zone.
	seen := map[time.Time]bool{}
	for _, name := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		_, e := s.Window(name+".example.com.", dns.TypeA, t0)
		seen[e] = true
	}
	if len(seen) < 4 {
		t.Errorf("8 owners share %d expirations; the jitter does not spread them", len(seen))
	}
}

func TestNeedsResign(t *testing.T) {
	s := newSigner(t, Options{}, newKey(t, "example.com.", 0, true))
	sigs, err := s.Sign(aSet(t), t0)
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Unix(int64(sigs[0].(*dns.RRSIG).Expiration), 0)
	for _, tc := range []struct {
		at   time.Time
		want bool
	}{
		{t0, false},
		{exp.Add(-defaultRefresh - time.Second), false},
		{exp.Add(-defaultRefresh + time.Second), true},
		{t0.Add(-3 * time.Hour), true}, // the clock went back before inception
	} {
		if got := s.NeedsResign(sigs, tc.at); got != tc.want {
			t.Errorf("NeedsResign at %s (expiry %s): %v, want %v", tc.at, exp, got, tc.want)
		}
	}
	if !s.NeedsResign(nil, t0) {
		t.Errorf("no signatures do not need signing")
	}
}

// copyKey copies a key pair to dir, as an operator copies it to another node.
func copyKey(t *testing.T, base, dir string) string {
	t.Helper()
	nb := filepath.Join(dir, filepath.Base(base))
	for _, sfx := range []string{".key", ".private"} {
		b, err := os.ReadFile(base + sfx)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(nb+sfx, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return nb
}

// TestTwoNodesSignAlike: two signers loaded from copies of the same files, signing the same set a few
// minutes apart, give identical windows, identical DNSKEY and DS sets, and signatures each node's
// DNSKEY verifies.
func TestTwoNodesSignAlike(t *testing.T) {
	base, err := Keygen(t.TempDir(), "example.com.", 0, true)
	if err != nil {
		t.Fatal(err)
	}
	var nodes []*Signer
	for range 2 {
		k, err := LoadKey(copyKey(t, base, t.TempDir()))
		if err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, newSigner(t, Options{}, k))
	}
	set := aSet(t)
	a, err := nodes[0].Sign(set, t0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := nodes[1].Sign(set, t0.Add(7*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	sa, sb := a[0].(*dns.RRSIG), b[0].(*dns.RRSIG)
	if sa.Inception != sb.Inception || sa.Expiration != sb.Expiration || sa.KeyTag != sb.KeyTag {
		t.Errorf("node windows differ: %s vs %s", sa, sb)
	}
	verify(t, nodes[1].DNSKEY(), set, a, t0)
	verify(t, nodes[0].DNSKEY(), set, b, t0)
	if nodes[0].DNSKEY()[0].String() != nodes[1].DNSKEY()[0].String() {
		t.Errorf("DNSKEY sets differ")
	}
	da, _ := nodes[0].DS(0)
	db, _ := nodes[1].DS(0)
	if da[0].String() != db[0].String() {
		t.Errorf("DS differ: %s vs %s", da[0], db[0])
	}
}

// TestKSKZSKSplit: with a KSK and a ZSK the KSK signs only the key sets and the ZSK the rest, and DS,
// CDS and CDNSKEY name only the KSK.
func TestKSKZSKSplit(t *testing.T) {
	ksk, zsk := newKey(t, "example.com.", 0, true), newKey(t, "example.com.", 0, false)
	s := newSigner(t, Options{}, ksk, zsk)
	onlyBy := func(sigs []dns.RR, k *Key) {
		t.Helper()
		if len(sigs) != 1 || sigs[0].(*dns.RRSIG).KeyTag != k.Tag() {
			t.Errorf("signed by %v, want only key %d", sigs, k.Tag())
		}
	}
	sigs, err := s.Sign(s.DNSKEY(), t0)
	if err != nil {
		t.Fatal(err)
	}
	onlyBy(sigs, ksk)
	verify(t, s.DNSKEY(), s.DNSKEY(), sigs, t0)
	sigs, err = s.Sign(s.CDS(), t0)
	if err != nil {
		t.Fatal(err)
	}
	onlyBy(sigs, ksk)
	sigs, err = s.Sign(aSet(t), t0)
	if err != nil {
		t.Fatal(err)
	}
	onlyBy(sigs, zsk)
	verify(t, s.DNSKEY(), aSet(t), sigs, t0)
	if len(s.DNSKEY()) != 2 || len(s.CDNSKEY()) != 1 || len(s.CDS()) != 1 {
		t.Errorf("DNSKEY %d CDNSKEY %d CDS %d records, want 2 1 1", len(s.DNSKEY()), len(s.CDNSKEY()), len(s.CDS()))
	}
}

func TestDSAndCDS(t *testing.T) {
	k := newKey(t, "example.com.", 0, true)
	s := newSigner(t, Options{KeyTTL: 600}, k)
	ds, err := s.DS(0)
	if err != nil {
		t.Fatal(err)
	}
	want := k.DNSKEY.ToDS(dns.SHA256)
	got := ds[0].(*dns.DS)
	if got.Digest != want.Digest || got.KeyTag != k.Tag() || got.DigestType != dns.SHA256 || got.Algorithm != dns.ECDSAP256SHA256 {
		t.Errorf("DS %s, want digest of %s", got, want)
	}
	cds := s.CDS()[0].(*dns.CDS)
	if cds.Digest != got.Digest || cds.Hdr.Rrtype != dns.TypeCDS || cds.Hdr.Ttl != 600 {
		t.Errorf("CDS %s does not match DS %s with TTL 600", cds, got)
	}
	cdnskey := s.CDNSKEY()[0].(*dns.CDNSKEY)
	if cdnskey.PublicKey != k.DNSKEY.PublicKey || cdnskey.Hdr.Rrtype != dns.TypeCDNSKEY {
		t.Errorf("CDNSKEY %s", cdnskey)
	}
	if ds384, err := s.DS(dns.SHA384); err != nil || ds384[0].(*dns.DS).Digest != k.DNSKEY.ToDS(dns.SHA384).Digest {
		t.Errorf("SHA-384 DS: %v %v", ds384, err)
	}
	if _, err := s.DS(dns.SHA1); err == nil {
		t.Errorf("a SHA-1 DS was made")
	}
	s.DNSKEY()[0].Header().Ttl = 1 // callers get copies
	if s.DNSKEY()[0].Header().Ttl != 600 {
		t.Errorf("changing a returned DNSKEY changed the signer's")
	}
}

func TestSignRefuses(t *testing.T) {
	s := newSigner(t, Options{}, newKey(t, "example.com.", 0, true))
	for name, set := range map[string][]dns.RR{
		"empty":       nil,
		"out of zone": {mustRR(t, "www.example.org. 30 IN A 192.0.2.1")},
		"mixed":       {mustRR(t, "www.example.com. 30 IN A 192.0.2.1"), mustRR(t, "x.example.com. 30 IN A 192.0.2.1")},
		"rrsig":       {mustRR(t, "www.example.com. 30 IN RRSIG A 13 3 30 20270101000000 20260101000000 1 example.com. AAAA")},
	} {
		if _, err := s.Sign(set, t0); !errors.Is(err, ErrRRset) && !errors.Is(err, ErrOutOfZone) {
			t.Errorf("%s: err %v", name, err)
		}
	}
}

func TestNewSignerRefuses(t *testing.T) {
	zsk := newKey(t, "example.com.", 0, false)
	if _, err := NewSigner("example.com.", []*Key{zsk}, Options{}); !errors.Is(err, ErrKeys) {
		t.Errorf("ZSK alone: %v", err)
	}
	if _, err := NewSigner("example.com.", nil, Options{}); !errors.Is(err, ErrKeys) {
		t.Errorf("no keys: %v", err)
	}
	if _, err := NewSigner("example.org.", []*Key{newKey(t, "example.com.", 0, true)}, Options{}); !errors.Is(err, ErrZoneMismatch) {
		t.Errorf("other zone's key: %v", err)
	}
	csk := newKey(t, "example.com.", 0, true)
	for _, o := range []Options{
		{Validity: 24 * time.Hour},       // less than refresh + jitter
		{Validity: 365 * 24 * time.Hour}, // too long
		{DenialCache: -1},
		{DenialCache: maxDenialCache + 1},
	} {
		if _, err := NewSigner("example.com.", []*Key{csk}, o); err == nil {
			t.Errorf("options %+v accepted", o)
		}
	}
}
