package dnssec

import (
	"strconv"
	"testing"

	"github.com/miekg/dns"
)

var algs = []struct {
	name string
	alg  uint8
}{{"ECDSAP256", dns.ECDSAP256SHA256}, {"ED25519", dns.ED25519}}

// BenchmarkSign: one A RRset of two records, as an answer set is signed when a snapshot is built.
func BenchmarkSign(b *testing.B) {
	for _, a := range algs {
		b.Run(a.name, func(b *testing.B) {
			s := newSigner(b, Options{}, newKey(b, "example.com.", a.alg, true))
			set := aSet(b)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Sign(set, t0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDeny: what the query path pays for an NXDOMAIN. hit asks one name again and again; miss
// asks a new name each time (a random-subdomain flood), which signs every time.
func BenchmarkDeny(b *testing.B) {
	for _, a := range algs {
		b.Run(a.name+"/hit", func(b *testing.B) {
			s := newSigner(b, Options{}, newKey(b, "example.com.", a.alg, true))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := s.Deny("nope.example.com.", false, nil, t0); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(a.name+"/miss", func(b *testing.B) {
			s := newSigner(b, Options{DenialCache: 1024}, newKey(b, "example.com.", a.alg, true))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				if _, _, err := s.Deny("r"+strconv.Itoa(i)+".example.com.", false, nil, t0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
