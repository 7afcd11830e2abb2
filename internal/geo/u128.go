package geo

import (
	"encoding/binary"
	"math/bits"
	"net/netip"
)

// u128 is an IPv6 address as a number, so ranges compare with two integer
// comparisons instead of a byte loop.
type u128 struct{ hi, lo uint64 }

func u128From16(b [16]byte) u128 {
	return u128{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
}

// v4u128 is an IPv4 (or IPv4-mapped) address in the low 32 bits.
func v4u128(a netip.Addr) u128 {
	b := a.Unmap().As4()
	return u128{0, uint64(binary.BigEndian.Uint32(b[:]))}
}

func (a u128) less(b u128) bool { return a.hi < b.hi || a.hi == b.hi && a.lo < b.lo }

func (a u128) cmp(b u128) int {
	switch {
	case a == b:
		return 0
	case a.less(b):
		return -1
	}
	return 1
}

func (a u128) xor(b u128) u128 { return u128{a.hi ^ b.hi, a.lo ^ b.lo} }
func (a u128) or(b u128) u128  { return u128{a.hi | b.hi, a.lo | b.lo} }
func (a u128) not() u128       { return u128{^a.hi, ^a.lo} }

func (a u128) addOne() u128 {
	lo := a.lo + 1
	hi := a.hi
	if lo == 0 {
		hi++
	}
	return u128{hi, lo}
}

func (a u128) subOne() u128 {
	hi := a.hi
	if a.lo == 0 {
		hi--
	}
	return u128{hi, a.lo - 1}
}

func (a u128) bitLen() int {
	if a.hi != 0 {
		return 64 + bits.Len64(a.hi)
	}
	return bits.Len64(a.lo)
}

func (a u128) trailingZeros() int {
	if a.lo != 0 {
		return bits.TrailingZeros64(a.lo)
	}
	return 64 + bits.TrailingZeros64(a.hi) // 128 for zero
}

// hostMask has the low h bits set (0 <= h <= 128). Go shifts of 64 or more
// give 0, so the h = 64 and h = 128 cases fall out of the same expressions.
func hostMask(h int) u128 {
	if h >= 64 {
		return u128{uint64(1)<<(h-64) - 1, ^uint64(0)}
	}
	return u128{0, uint64(1)<<h - 1}
}

// scope32 is the length of the widest CIDR block around a that lies inside
// [lo, hi] (lo <= a <= hi), for IPv4. A block of h host bits starts at or
// after lo when lo's low h bits are zero or a and lo differ at or above bit
// h; symmetrically for hi with ones. See the package doc for why.
func scope32(a, lo, hi uint32) int {
	down := max(bits.Len32(a^lo)-1, bits.TrailingZeros32(lo))
	up := max(bits.Len32(a^hi)-1, bits.TrailingZeros32(^hi))
	return 32 - min(down, up)
}

// scope128 is scope32 for IPv6.
func scope128(a, lo, hi u128) int {
	down := max(a.xor(lo).bitLen()-1, lo.trailingZeros())
	up := max(a.xor(hi).bitLen()-1, hi.not().trailingZeros())
	return 128 - min(down, up)
}
