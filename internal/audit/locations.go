package audit

import (
	"fmt"
	"net/netip"

	"outlast/internal/model"
)

// placed is an address somebody declared to be at a location.
type placed struct {
	what     string // "endpoint primary", "nameserver ns1.example.com."
	subject  string
	field    string
	location model.Location
	addrs    []netip.Addr
	source   string // what to correct besides the location: "the address", "the target"
}

// locationFindings compares each declared location with the owner of the
// address, when the providers' ranges were given.
func (d *Deployment) locationFindings() []Finding {
	if d.Owners == nil {
		return nil
	}
	var out []Finding
	for _, p := range d.declared() {
		for _, a := range p.addrs {
			if f, ok := d.checkOwner(p, a); ok {
				out = append(out, f)
			}
		}
	}
	return out
}

// declared lists every address with a declared location: endpoints,
// nameservers and outlast nodes.
func (d *Deployment) declared() []placed {
	var out []placed
	for i, s := range d.Services {
		for j, e := range s.Endpoints {
			p := placed{what: "endpoint " + e.Name, subject: e.Name, location: e.Location, addrs: d.endpointAddrs(e),
				field: fmt.Sprintf("services[%d].endpoints[%d]", i, j), source: "the address"}
			if e.HasTarget() {
				p.what, p.source = "endpoint "+e.Name+" (target "+e.Target+")", "the target"
			}
			out = append(out, p)
		}
	}
	for i, z := range d.Zones {
		for j, ns := range z.NS {
			if ns.Location != (model.Location{}) {
				out = append(out, placed{what: "nameserver " + ns.Name, subject: ns.Name, location: ns.Location, addrs: d.nsAddrs(ns),
					field: fmt.Sprintf("zones[%d].ns[%d]", i, j), source: "the address"})
			}
		}
	}
	for _, n := range d.Nodes {
		if n.Location != (model.Location{}) {
			out = append(out, placed{what: "outlast node " + n.Name, subject: n.Name, location: n.Location, addrs: n.Addrs, field: n.Field,
				source: "the address"})
		}
	}
	return out
}

func (d *Deployment) checkOwner(p placed, a netip.Addr) (Finding, bool) {
	if !a.IsGlobalUnicast() || a.IsPrivate() {
		return Finding{}, false // nobody publishes private ranges
	}
	f := Finding{Check: CheckLocationMismatch, Subject: p.subject,
		Why: "Every other finding assumes the declared location; what really fails with this address is decided by who owns it.",
	}
	o, owned := d.Owners.Lookup(a)
	switch {
	case !owned && d.Owners.Publishes(p.location.Provider):
		f.Severity = Warning
		f.Summary = fmt.Sprintf("%s is declared in %s, but %s is in none of %s's published ranges", p.what, p.location, a, p.location.Provider)
		f.Fix = fmt.Sprintf("Check %s: %s or its location is wrong, or the range file is old.", p.field, p.source)
	case !owned:
		return Finding{}, false
	case o.Provider != p.location.Provider:
		f.Severity = Critical
		f.Summary = fmt.Sprintf("%s is declared in %s, but %s belongs to %s (%s%s)", p.what, p.location, a, o.Provider, o.Prefix, regionSuffix(o.Region))
		f.Fix = fmt.Sprintf("Set %s.location to %s/%s, or correct %s.", p.field, o.Provider, orUnknown(o.Region), p.source)
	case o.Region != "" && o.Region != p.location.Region:
		f.Severity = Warning
		f.Summary = fmt.Sprintf("%s is declared in %s, but %s is in %s's %s range %s", p.what, p.location, a, o.Provider, o.Region, o.Prefix)
		f.Fix = fmt.Sprintf("Set %s.location to %s/%s, or correct %s.", p.field, o.Provider, o.Region, p.source)
	default:
		return Finding{}, false
	}
	return f, true
}

func regionSuffix(region string) string {
	if region == "" {
		return ""
	}
	return ", " + region
}
