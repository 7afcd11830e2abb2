package ipranges

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

// syntheticTable builds a table shaped like AWS's ip-ranges.json: about
// 10,000 IPv4 prefixes of many lengths (/10 to /32) and 2,000 IPv6 ones,
// plus the addresses to look up, half inside some prefix, half anywhere.
func syntheticTable(n4, n6, lookups int) (*Table, []netip.Addr) {
	rng := rand.New(rand.NewPCG(1, 2))
	regions := []string{"us-east-1", "us-west-2", "eu-west-1", "ap-southeast-1", ""}
	var owners []Owner
	for i := 0; i < n4+n6; i++ {
		var a netip.Addr
		var bits int
		if i < n4 {
			a = netip.AddrFrom4([4]byte{byte(rng.Uint32()), byte(rng.Uint32()), byte(rng.Uint32()), byte(rng.Uint32())})
			bits = 10 + rng.IntN(23)
		} else {
			var b [16]byte
			b[0], b[1] = 0x26, 0x00
			for j := 2; j < 16; j++ {
				b[j] = byte(rng.Uint32())
			}
			a = netip.AddrFrom16(b)
			bits = 24 + rng.IntN(41)
		}
		p, _ := a.Prefix(bits)
		owners = append(owners, Owner{Provider: "aws", Region: regions[i%len(regions)], Service: "EC2", Prefix: p})
	}
	addrs := make([]netip.Addr, lookups)
	for i := range addrs {
		if i%2 == 0 {
			addrs[i] = owners[rng.IntN(len(owners))].Prefix.Addr().Next()
		} else {
			addrs[i] = netip.AddrFrom4([4]byte{byte(rng.Uint32()), byte(rng.Uint32()), byte(rng.Uint32()), byte(rng.Uint32())})
		}
	}
	return New(owners), addrs
}

func BenchmarkLookup(b *testing.B) {
	table, addrs := syntheticTable(10000, 2000, 4096)
	found := 0
	for i := 0; b.Loop(); i++ {
		if _, ok := table.Lookup(addrs[i%len(addrs)]); ok {
			found++
		}
	}
	if found == 0 {
		b.Fatal("no lookup found anything")
	}
}

func BenchmarkNew(b *testing.B) {
	table, _ := syntheticTable(10000, 2000, 0)
	owners := table.owners
	for b.Loop() {
		New(owners)
	}
}
