package geoip

import "net/netip"

// Entry is one network of the database mapped to an area, in the shape of
// geo.Entry (a stand-in until internal/geo lands).
type Entry struct {
	Prefix netip.Prefix
	Area   int
}
