package shiftwatch

import (
	"net/netip"
	"slices"
)

// Predicate says whether an answer's address set is the new state. The set
// it gets is sorted and holds no duplicates.
type Predicate func(addrs []netip.Addr) bool

// Without is satisfied by a set holding none of addrs: traffic has left them.
func Without(addrs ...netip.Addr) Predicate {
	return func(got []netip.Addr) bool { return !holdsAny(got, addrs) }
}

// With is satisfied by a set holding at least one of addrs: traffic is
// back. It is Without's complement.
func With(addrs ...netip.Addr) Predicate {
	return func(got []netip.Addr) bool { return holdsAny(got, addrs) }
}

// WithAll is satisfied by a set holding every one of addrs (and maybe more).
func WithAll(addrs ...netip.Addr) Predicate {
	return func(got []netip.Addr) bool {
		for _, a := range addrs {
			if !slices.Contains(got, a.Unmap()) {
				return false
			}
		}
		return true
	}
}

// Exactly is satisfied by a set equal to addrs, in any order.
func Exactly(addrs ...netip.Addr) Predicate {
	want := make([]netip.Addr, len(addrs))
	for i, a := range addrs {
		want[i] = a.Unmap()
	}
	want = normal(want)
	return func(got []netip.Addr) bool { return slices.Equal(got, want) }
}

func holdsAny(got, addrs []netip.Addr) bool {
	return slices.ContainsFunc(addrs, func(a netip.Addr) bool { return slices.Contains(got, a.Unmap()) })
}
