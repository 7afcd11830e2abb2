package audit

import (
	"fmt"
	"net/netip"
	"slices"

	"outlast/internal/config"
	"outlast/internal/model"
)

// placedNS is one nameserver of a zone with where the audit found it runs.
type placedNS struct {
	name     string
	location model.Location // zero when unknown
	how      string         // how the location was learnt, for the report
	field    string         // config field to set it, "" for a live-only name
}

// zoneNS is a zone's nameservers as the audit counts them: the live
// delegation when it was looked up, else the configured NS records.
type zoneNS struct {
	apex string
	live bool
	ns   []placedNS
	// records names where the zone's records are ("zones[0].file"), whose
	// apex NS records may have given the nameservers; "" without records.
	records string
}

// nameservers places every zone's nameservers.
func (d *Deployment) nameservers() []zoneNS {
	out := make([]zoneNS, 0, len(d.Zones))
	for zi, z := range d.Zones {
		zn := zoneNS{apex: z.Apex, records: recordsField(zi, z)}
		configured := map[string]placedNS{}
		for i, ns := range z.NS {
			p := d.place(ns)
			p.field = fmt.Sprintf("zones[%d].ns[%d]", zi, i)
			configured[ns.Name] = p
			zn.ns = append(zn.ns, p)
		}
		if live, ok := d.LiveNS[z.Apex]; ok && live.Err == "" && len(live.NS) > 0 {
			zn.live, zn.ns = true, nil
			for _, ns := range live.NS {
				p := d.place(ns)
				if c, ok := configured[ns.Name]; ok && p.location == (model.Location{}) {
					p = c
				}
				zn.ns = append(zn.ns, p)
			}
		}
		out = append(out, zn)
	}
	return out
}

// recordsField is where zone z, number zi, takes records from; "" when none.
func recordsField(zi int, z config.Zone) string {
	switch {
	case z.File != "":
		return fmt.Sprintf("zones[%d].file (%s)", zi, z.File)
	case len(z.Records) > 0:
		return fmt.Sprintf("zones[%d].records", zi)
	}
	return ""
}

// place finds where a nameserver runs: its declared location, else the
// outlast node whose address its glue is, else the owner of its address.
// A nameserver without glue (a zone file's out-of-zone NS, say) is placed
// by the addresses its name resolved to, when Resolve looked them up.
func (d *Deployment) place(ns config.NameServer) placedNS {
	p := placedNS{name: ns.Name}
	if ns.Location != (model.Location{}) {
		p.location, p.how = ns.Location, "declared"
		return p
	}
	addrs := d.nsAddrs(ns)
	for _, a := range addrs {
		for _, n := range d.Nodes {
			if slices.Contains(n.Addrs, a.Unmap()) && n.Location != (model.Location{}) {
				p.location, p.how = n.Location, "outlast node "+n.Name
				return p
			}
		}
	}
	if d.Owners != nil {
		for _, a := range addrs {
			if o, ok := d.Owners.Lookup(a); ok {
				p.location, p.how = model.Location{Provider: o.Provider, Region: orUnknown(o.Region)}, "address owner"
				return p
			}
		}
	}
	return p
}

// nsAddrs are a nameserver's glue, else the addresses its name resolved to.
func (d *Deployment) nsAddrs(ns config.NameServer) []netip.Addr {
	if len(ns.Addresses) > 0 {
		return ns.Addresses
	}
	r, _ := d.resolved(ns.Name)
	return r.Addrs
}

// orUnknown stands in for a range that names no region, so the location
// still counts for its provider.
func orUnknown(region string) string {
	if region == "" {
		return "any"
	}
	return region
}

// endpointAddrs lists every address of an endpoint once, the probed one
// included; for an endpoint named by hostname, the addresses its target
// resolved to, so it is placed exactly as an endpoint named by address.
func (d *Deployment) endpointAddrs(e config.Endpoint) []netip.Addr {
	if e.HasTarget() {
		r, _ := d.resolved(e.Target)
		return r.Addrs
	}
	out := slices.Clone(e.Addresses)
	if e.ProbeAddress.IsValid() && !slices.Contains(out, e.ProbeAddress) {
		out = append(out, e.ProbeAddress)
	}
	return out
}
