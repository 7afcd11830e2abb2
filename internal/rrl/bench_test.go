package rrl

import (
	"net/netip"
	"sync/atomic"
	"testing"
)

// BenchmarkDecide measures one Decide on the query path: the key's hash,
// the bucket's compare-and-swap and the slip counter.
func BenchmarkDecide(b *testing.B) {
	l := mustNew(b, Defaults())
	v6 := netip.MustParseAddr("2001:db8:0:1::53")
	// 4096 networks, so the table's cache misses show.
	many := make([]netip.Addr, 4096)
	for i := range many {
		many[i] = netip.AddrFrom4([4]byte{10, byte(i >> 8), byte(i), 1})
	}
	b.Run("ipv4-answer-within-rate", func(b *testing.B) {
		now := t0
		for b.Loop() {
			now += sec / 10
			l.Decide(now, client, Answer, www)
		}
	})
	b.Run("ipv4-answer-flooded", func(b *testing.B) {
		for b.Loop() {
			l.Decide(t0, client, Answer, www)
		}
	})
	b.Run("ipv6-nxdomain", func(b *testing.B) {
		now := t0
		for b.Loop() {
			now += sec / 10
			l.Decide(now, v6, NXDomain, zone)
		}
	})
	b.Run("ipv4-4096-networks", func(b *testing.B) {
		now, i := t0, 0
		for b.Loop() {
			now += sec / 1000
			l.Decide(now, many[i&4095], Answer, www)
			i++
		}
	})
}

// BenchmarkDecideParallel measures Decide from every P at once: one
// flooded account all goroutines contend on, and one network per goroutine.
func BenchmarkDecideParallel(b *testing.B) {
	l := mustNew(b, Defaults())
	b.Run("one-account", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			now := t0 // a clock each, so only the bucket is shared
			for pb.Next() {
				now += sec / 1000
				l.Decide(now, client, Answer, www)
			}
		})
	})
	b.Run("own-networks", func(b *testing.B) {
		var id atomic.Uint32
		b.RunParallel(func(pb *testing.PB) {
			n := id.Add(1)
			own := netip.AddrFrom4([4]byte{10, byte(n >> 8), byte(n), 1})
			now := t0
			for pb.Next() {
				now += sec / 1000
				l.Decide(now, own, Answer, www)
			}
		})
	})
}
