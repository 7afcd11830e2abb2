package geoip

import (
	"bytes"
	"math/rand/v2"
	"net"
	"outlast/internal/geo/geoip/geoiptest"
	"testing"

	"github.com/maxmind/mmdbwriter"
)

// BenchmarkLoad loads a country database shaped like GeoLite2-Country:
// 400,000 IPv4 networks (/16 to /24) and 100,000 IPv6 ones (/32 to /48)
// over 20 countries, 3 rules.
//
//	go test -run '^$' -bench BenchmarkLoad -benchtime 5x ./internal/geo/geoip/
func BenchmarkLoad(b *testing.B) {
	path := geoiptest.WriteFile(b, b.TempDir(), "big.mmdb", syntheticCountryDB(b, 400_000, 100_000))
	var db *DB
	for b.Loop() {
		var err error
		if db, err = Load(path, worldRules); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(db.Networks), "networks")
	b.ReportMetric(float64(db.Matched), "matched")
	b.ReportMetric(float64(len(db.Entries)), "entries")
}

func syntheticCountryDB(b *testing.B, n4, n6 int) []byte {
	countries := []struct{ country, continent string }{
		{"DE", "EU"}, {"FR", "EU"}, {"GB", "EU"}, {"US", "NA"}, {"CA", "NA"},
		{"JP", "AS"}, {"CN", "AS"}, {"IN", "AS"}, {"BR", "SA"}, {"AU", "OC"},
		{"ZA", "AF"}, {"NL", "EU"}, {"IT", "EU"}, {"ES", "EU"}, {"KR", "AS"},
		{"MX", "NA"}, {"AR", "SA"}, {"NG", "AF"}, {"SE", "EU"}, {"PL", "EU"},
	}
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "GeoLite2-Country", Description: map[string]string{"en": "bench"}})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for i := range n4 + n6 {
		var ipnet net.IPNet
		if i < n4 {
			ip := net.IPv4(byte(1+rng.IntN(222)), byte(rng.Uint32()), byte(rng.Uint32()), 0).To4()
			ipnet = net.IPNet{IP: ip, Mask: net.CIDRMask(16+rng.IntN(9), 32)}
		} else {
			ip := make(net.IP, 16)
			ip[0], ip[1] = 0x2a, byte(rng.Uint32())
			ip[2], ip[3], ip[4], ip[5] = byte(rng.Uint32()), byte(rng.Uint32()), byte(rng.Uint32()), byte(rng.Uint32())
			ipnet = net.IPNet{IP: ip, Mask: net.CIDRMask(32+rng.IntN(17), 128)}
		}
		ipnet.IP = ipnet.IP.Mask(ipnet.Mask)
		c := countries[rng.IntN(len(countries))]
		if err := tree.Insert(&ipnet, geoiptest.Network{CIDR: ipnet.String(), Country: c.country, Continent: c.continent}.Record()); err != nil {
			continue // a reserved network: skip it
		}
	}
	var buf bytes.Buffer
	if _, err := tree.WriteTo(&buf); err != nil {
		b.Fatal(err)
	}
	b.Logf("database: %d bytes", buf.Len())
	return buf.Bytes()
}
