package lab

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"outlast/internal/lab/clients"
)

// The lab's geo service and its client areas: geo.example.test answers
// each area its own order of regions, and a scenario with areas spreads
// its devices over them, each area's devices and the lab's polls asking
// from that area's own address.

// clientAreas are where the devices of a scenario with areas are: each
// area has a loopback network of its own, which the nodes' geo.areas
// sorts by prefix, and its devices' queries and requests leave from its
// source address, so the nodes sort them by the query's sender as they
// would a resolver's (no EDNS Client Subnet needed). Europe's order is
// given; us-east's is the nearest first, from the built-in coordinates:
// us-east-1, then gcp/us-central1 (Iowa), aws/us-west-2, aws/eu-west-1
// (TestGeoServiceOrders holds that).
var clientAreas = []clientArea{
	{"europe", "127.77.10.0/24", "127.77.10.1", "[50.1, 8.7]", "order: [aws/eu-west-1, aws/us-east-1, gcp/us-central1, aws/us-west-2]", "euw1"},
	{"us-east", "127.77.11.0/24", "127.77.11.1", "[38.9, -77.4]", "nearest: true", "use1"},
}

// clientArea is one client area: its name, its network and the address
// in it its devices ask from, its center and its order (as
// configuration), and the region it is answered while all are healthy.
type clientArea struct{ name, prefix, source, center, order, first string }

// areaNamed returns the client area of the given name; Scenarios names
// only clientAreas.
func areaNamed(name string) clientArea {
	for _, a := range clientAreas {
		if a.name == name {
			return a
		}
	}
	panic("lab: no client area " + name)
}

// geoEndpoint names a region's endpoint in geo.example.test: endpoint
// names are unique across a configuration, and the API's already has the
// region's own name.
func geoEndpoint(region string) string { return "geo-" + region }

// geoAreasText is the configuration's geo.areas: one per client area.
func geoAreasText() string {
	var b strings.Builder
	b.WriteString("geo:\n  areas:\n")
	for _, a := range clientAreas {
		fmt.Fprintf(&b, "    - {name: %s, prefixes: [%s], center: %s}\n", a.name, a.prefix, a.center)
	}
	return b.String()
}

// geoServiceText is geo.example.test: every address region, each client
// area given its own order, clients in no area the default (by priority).
func (l *Lab) geoServiceText() string {
	var b strings.Builder
	fmt.Fprintf(&b, "  - name: %s\n    ttl: %s\n    policy: geo\n    geo:\n      areas:\n", GeoName, TTL)
	for _, a := range clientAreas {
		fmt.Fprintf(&b, "        - {area: %s, %s}\n", a.name, a.order)
	}
	b.WriteString(l.checkText())
	b.WriteString("    endpoints:\n")
	for i, spec := range regionSpecs {
		if spec.target == "" {
			fmt.Fprintf(&b, "      - {name: %s, location: %s, addresses: [%s], priority: %d}\n",
				geoEndpoint(spec.endpoint), spec.location, l.regionIP(i), spec.priority)
		}
	}
	return b.String()
}

// areaDevices are the devices of one client area: how many, the address
// they ask and call from, and their record.
type areaDevices struct {
	name    string
	source  netip.Addr
	devices int
	rec     *clients.Recorder
}

// devicesIn spreads devices evenly over the named client areas (none:
// no areas).
func devicesIn(areas []string, devices int, start time.Time) []areaDevices {
	var out []areaDevices
	for i, name := range areas {
		share := devices / len(areas)
		if i < devices%len(areas) {
			share++
		}
		out = append(out, areaDevices{name: name, source: areaSource(name), devices: share, rec: clients.NewRecorder(start)})
	}
	return out
}

// areaSource is the address a client area's devices ask from.
func areaSource(name string) netip.Addr { return netip.MustParseAddr(areaNamed(name).source) }

// inAreas says how the devices are spread, for the progress line.
func inAreas(areas []string) string {
	if len(areas) == 0 {
		return ""
	}
	return ", spread evenly over " + strings.Join(areas, " and ")
}

// toArea names a client area in a message: " to europe clients".
func toArea(area string) string {
	if area == "" {
		return ""
	}
	return " to " + area + " clients"
}
