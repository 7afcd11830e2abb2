package geo

import (
	"fmt"
	"slices"
)

// span is one entry as a closed range of addresses (IPv4 in the low 32
// bits of lo), with what the sweep needs.
type span struct {
	start, end u128
	bits       int32
	area       int32
	index      int32 // position in the caller's entries, for messages
	v4         bool
}

func newSpan(i int, e Entry, areas int) (span, error) {
	if !e.Prefix.IsValid() {
		return span{}, fmt.Errorf("%w: entry %d: %q is not a CIDR prefix such as 192.0.2.0/24 or 2001:db8::/32", ErrInvalidPrefix, i, e.Prefix)
	}
	if e.Area < 0 || e.Area >= areas {
		return span{}, fmt.Errorf("%w: entry %d (%s) names area %d; there are %d area names (0 to %d)", ErrAreaOutOfRange, i, e.Prefix, e.Area, areas, areas-1)
	}
	p := e.Prefix.Masked()
	s := span{bits: int32(p.Bits()), area: int32(e.Area), index: int32(i)}
	switch a := p.Addr(); {
	case a.Is4In6(): // masked, so bits >= 96: the IPv4 prefix it maps
		s.v4, s.bits, s.start = true, s.bits-96, v4u128(a)
	case a.Is4():
		s.v4, s.start = true, v4u128(a)
	default:
		s.start = u128From16(a.As16())
	}
	width := 128
	if s.v4 {
		width = 32
	}
	s.end = s.start.or(hostMask(width - int(s.bits)))
	return s, nil
}

type duplicateError struct{ first, second int32 }

func (d duplicateError) Error() string {
	return fmt.Sprintf("entries %d and %d list the same prefix", d.first, d.second)
}

// tile turns one family's spans into ranges that tile the whole space from
// 0: starts ascending, each with the area of the longest span covering it
// (-1 where none does). Prefixes never partly overlap (two CIDR blocks are
// nested or disjoint), so a sweep in order of start, shorter first, with a
// stack of the spans still open gives every boundary in O(n log n).
func tile(spans []span, width int) ([]u128, []int32, error) {
	slices.SortFunc(spans, func(a, b span) int {
		if c := a.start.cmp(b.start); c != 0 {
			return c
		}
		return int(a.bits - b.bits)
	})
	for i := 1; i < len(spans); i++ {
		if spans[i].start == spans[i-1].start && spans[i].bits == spans[i-1].bits {
			return nil, nil, duplicateError{spans[i-1].index, spans[i].index}
		}
	}
	tl := tiler{starts: make([]u128, 1, 2*len(spans)+1), areas: make([]int32, 1, 2*len(spans)+1)}
	tl.areas[0] = -1
	var open []span
	for _, s := range spans {
		for len(open) > 0 && open[len(open)-1].end.less(s.start) {
			open = tl.close(open)
		}
		open = append(open, s)
		tl.emit(s.start, s.area)
	}
	last := hostMask(width)
	for len(open) > 0 && open[len(open)-1].end != last {
		open = tl.close(open)
	}
	return tl.starts, tl.areas, nil
}

// tiler collects the ranges as they are found.
type tiler struct {
	starts []u128
	areas  []int32
}

// emit starts a range at s. A range starting where the previous one did
// replaces it: that one was empty (a prefix and its first child share a
// start, or several spans end at the same address).
func (tl *tiler) emit(s u128, area int32) {
	if n := len(tl.starts) - 1; tl.starts[n] == s {
		tl.areas[n] = area
		return
	}
	tl.starts = append(tl.starts, s)
	tl.areas = append(tl.areas, area)
}

// close ends the innermost open span: the addresses after it belong to the
// span around it, or to no area.
func (tl *tiler) close(open []span) []span {
	top := open[len(open)-1]
	open = open[:len(open)-1]
	area := int32(-1)
	if len(open) > 0 {
		area = open[len(open)-1].area
	}
	tl.emit(top.end.addOne(), area)
	return open
}
