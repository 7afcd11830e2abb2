package audit

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"outlast/internal/config"
)

// MaxNames bounds how many names one audit looks up in live DNS: every
// endpoint target and every nameserver without glue of the configuration,
// which config already bounds far below this.
const MaxNames = 4096

// Resolution is what live DNS gave for one name's A and AAAA records.
type Resolution struct {
	// Addrs are the name's addresses, both families; empty when it did not resolve.
	Addrs []netip.Addr `json:"addrs,omitempty"`
	// Err says why the name gave no address (no upstream, a timeout,
	// SERVFAIL, NXDOMAIN, no A or AAAA records); "" when it resolved.
	Err string `json:"err,omitempty"`
}

// Lookup resolves names (A and AAAA, fully qualified, lower case) and
// returns what each gave. A name missing from the result did not resolve.
// The command line gives one that asks live DNS (package auditresolve);
// tests may give any.
type Lookup func(ctx context.Context, names []string) map[string]Resolution

// ToResolve lists, sorted and once each, the names the audit can place only
// once it knows their addresses: every endpoint target, and every
// nameserver without glue (a zone file's out-of-zone NS, say).
func (d *Deployment) ToResolve() []string {
	var out []string
	for _, s := range d.Services {
		for _, e := range s.Endpoints {
			if e.HasTarget() {
				out = append(out, canonical(e.Target))
			}
		}
	}
	for _, z := range d.Zones {
		for _, ns := range z.NS {
			if len(ns.Addresses) == 0 {
				out = append(out, canonical(ns.Name))
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Resolve looks up ToResolve's names with lookup and keeps what they gave
// in d.Resolved, so Run places them by their addresses. Names lookup says
// nothing about count as not resolved.
func (d *Deployment) Resolve(ctx context.Context, lookup Lookup) error {
	names := d.ToResolve()
	if len(names) > MaxNames {
		return fmt.Errorf("audit: %d names to resolve, more than the limit of %d", len(names), MaxNames)
	}
	got := lookup(ctx, names)
	d.Resolved = make(map[string]Resolution, len(names))
	for _, n := range names {
		r, ok := got[n]
		if !ok {
			r = Resolution{Err: "the lookup gave no answer for it"}
		}
		if len(r.Addrs) > 0 {
			r.Err = ""
		} else if r.Err == "" {
			r.Err = "no A or AAAA records"
		}
		d.Resolved[n] = r
	}
	return nil
}

// resolved returns the addresses name resolved to, and whether it was
// looked up at all.
func (d *Deployment) resolved(name string) (Resolution, bool) {
	if d.Resolved == nil {
		return Resolution{}, false
	}
	r, ok := d.Resolved[canonical(name)]
	if !ok {
		r.Err = "not looked up"
	}
	return r, true
}

// canonical is a name as the maps key it: lower case, fully qualified.
func canonical(name string) string {
	name = strings.ToLower(name)
	if !strings.HasSuffix(name, ".") {
		name += "."
	}
	return name
}

// targetFindings says, for each endpoint named by hostname, when the audit
// could not check its configured location against the addresses of its
// target: the target did not resolve, or was not looked up.
func (d *Deployment) targetFindings() []Finding {
	var out []Finding
	for i, s := range d.Services {
		for j, e := range s.Endpoints {
			if !e.HasTarget() {
				continue
			}
			r, looked := d.resolved(e.Target)
			if looked && r.Err == "" {
				continue
			}
			out = append(out, unverifiedTarget(s, e, fmt.Sprintf("services[%d].endpoints[%d]", i, j), r, looked))
		}
	}
	return out
}

func unverifiedTarget(s config.Service, e config.Endpoint, field string, r Resolution, looked bool) Finding {
	f := Finding{Severity: Warning, Check: CheckTargetUnverified, Subject: e.Name,
		Summary: fmt.Sprintf("endpoint %s of %s is placed at its configured location %s, not verified: target did not resolve (%s: %s)",
			e.Name, s.Name, e.Location, e.Target, r.Err),
		Why: "The audit places a hostname endpoint by the addresses its target resolves to, as it places an address; " +
			"without them it can only trust " + field + ".location. A target the nodes cannot resolve either leaves the endpoint " +
			"without addresses to answer or probe.",
		Fix: "Check that " + e.Target + " resolves (A or AAAA) from here and from the nodes, or name the resolver the audit asks " +
			"with --target-resolver host:port; audit with --ip-ranges to check where its addresses are.",
	}
	if !looked {
		f.Severity = Info
		f.Summary = fmt.Sprintf("endpoint %s of %s is placed at its configured location %s, not verified: target was not resolved (%s)",
			e.Name, s.Name, e.Location, e.Target)
		f.Fix = "Audit without --resolve-targets=false to place it by its target's addresses."
	}
	return f
}
