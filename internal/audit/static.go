package audit

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"outlast/internal/model"
)

// nameserverFindings checks each zone's nameservers are spread over at
// least two providers, and that the audit knows where each one runs.
func (d *Deployment) nameserverFindings(zones []zoneNS) []Finding {
	var out []Finding
	for _, z := range zones {
		var providers, unplaced []string
		for _, ns := range z.ns {
			if ns.location == (model.Location{}) {
				unplaced = append(unplaced, ns.name)
				out = append(out, unplacedNS(z, ns))
			} else if !slices.Contains(providers, ns.location.Provider) {
				providers = append(providers, ns.location.Provider)
			}
		}
		if len(providers) != 1 {
			continue
		}
		source := "every nameserver of " + z.apex
		if z.live {
			source = "live DNS delegates " + z.apex + " only to nameservers that are"
		}
		f := Finding{Severity: Critical, Check: CheckNameservers, Scope: ScopeSingle, Domain: providers[0], Subject: z.apex,
			Summary: fmt.Sprintf("%s in %s (%s)", source, providers[0], nsNames(z)),
			Why: "When " + providers[0] + " fails the zone stops resolving, and no failover helps a name nobody can look up " +
				"(in December 2021 the provider's own DNS failed with its region).",
			Fix: "Serve " + z.apex + " from nameservers in at least two providers: list an outlast node in each as NS, with glue.",
		}
		if z.records != "" {
			f.Fix = "Serve " + z.apex + " from nameservers in at least two providers: list an outlast node in each as NS, with glue, " +
				"in the apex NS records of " + z.records + " (and in zones[].ns, which must agree)."
		}
		if len(unplaced) > 0 {
			f.Severity = Warning
			f.Summary = fmt.Sprintf("every nameserver of %s that the audit can place is in %s; %s cannot be placed",
				z.apex, providers[0], strings.Join(unplaced, ", "))
		}
		out = append(out, f)
	}
	return out
}

func unplacedNS(z zoneNS, ns placedNS) Finding {
	fix := "Pass --ip-ranges with the providers' published ranges so its address can be placed."
	if ns.field != "" {
		fix = "Set " + ns.field + ".location (provider/region), or pass --ip-ranges so its address can be placed."
	}
	if ns.field != "" && z.records != "" {
		fix = "Set " + ns.field + ".location (provider/region), listing the zone's nameservers in zones[].ns when they come from " +
			z.records + "; or pass --ip-ranges so its address (glue, or its name resolved) can be placed."
	}
	return Finding{Severity: Warning, Check: CheckLocationUnknown, Subject: ns.name,
		Summary: fmt.Sprintf("where nameserver %s of %s runs is unknown", ns.name, z.apex),
		Why:     "The audit cannot tell whether the zone's nameservers share a provider, or what fails with them.",
		Fix:     fix,
	}
}

func nsNames(z zoneNS) string {
	out := make([]string, len(z.ns))
	for i, ns := range z.ns {
		out[i] = ns.name
	}
	return strings.Join(out, ", ")
}

// vantageFindings checks every endpoint is watched from at least two vote
// domains outside its own region, and that every node is placed.
func (d *Deployment) vantageFindings() []Finding {
	var out []Finding
	for _, n := range d.Nodes {
		if n.Location == (model.Location{}) {
			fix := "Set its location in the configuration."
			if n.Field != "" {
				fix = "Set " + n.Field + ".location to " + n.Name + "'s node.location."
			}
			out = append(out, Finding{Severity: Warning, Check: CheckLocationUnknown, Subject: n.Name,
				Summary: "where outlast node " + n.Name + " runs is unknown",
				Why:     "The audit counts it as a failure domain of its own, which may hide a quorum that one provider can take away.",
				Fix:     fix,
			})
		}
	}
	for _, s := range d.Services {
		for _, e := range s.Endpoints {
			if e.Drained {
				continue
			}
			outside := d.outsideDomains(e.Location)
			if len(outside) >= 2 {
				continue
			}
			out = append(out, Finding{Severity: Warning, Check: CheckVantagePoints, Subject: e.Name,
				Summary: fmt.Sprintf("endpoint %s (%s) of %s is watched from %d vote domain(s) outside its region%s",
					e.Name, e.Location, s.Name, len(outside), listSuffix(outside)),
				Why: "Nodes inside an endpoint's region share its network and its bad day. With fewer than two opinions from " +
					"outside, one broken network path can neither be outvoted nor confirmed.",
				Fix: "Run outlast nodes in at least two regions other than " + e.Location.String() + ", ideally in other providers.",
			})
		}
	}
	return out
}

// outsideDomains are the placed vote domains not in region loc.
func (d *Deployment) outsideDomains(loc model.Location) []string {
	var out []string
	for _, n := range d.Nodes {
		if n.Location != (model.Location{}) && n.Location != loc && !slices.Contains(out, n.Location.String()) {
			out = append(out, n.Location.String())
		}
	}
	slices.Sort(out)
	return out
}

func listSuffix(items []string) string {
	if len(items) == 0 {
		return ""
	}
	return ": " + strings.Join(items, ", ")
}

// rtoFindings checks the worst-case recovery of each service, TTL +
// interval × fall + timeout, against its recovery objective.
func (d *Deployment) rtoFindings() []Finding {
	var out []Finding
	for i, s := range d.Services {
		detect := time.Duration(s.Check.Fall)*s.Check.Interval + s.Check.Timeout
		worst := s.TTL + detect
		terms := fmt.Sprintf("ttl %s + interval %s × fall %d + timeout %s", s.TTL, s.Check.Interval, s.Check.Fall, s.Check.Timeout)
		field := fmt.Sprintf("services[%d]", i)
		switch {
		case s.RTO == 0:
			out = append(out, Finding{Severity: Info, Check: CheckRTO, Subject: s.Name,
				Summary: fmt.Sprintf("%s has no rto; clients may fail for up to %s after an endpoint dies (%s)", s.Name, worst, terms),
				Why:     "Without an objective the audit cannot say whether that is fast enough.",
				Fix:     "Set " + field + ".rto to the downtime you can accept.",
			})
		case worst > s.RTO:
			f := Finding{Severity: Critical, Check: CheckRTO, Subject: s.Name,
				Summary: fmt.Sprintf("%s may fail for up to %s after an endpoint dies (%s), over its rto of %s", s.Name, worst, terms, s.RTO),
				Why:     "outlast needs interval × fall + timeout to be sure an endpoint is down, then resolvers keep the old answer for up to the TTL.",
				Fix:     fmt.Sprintf("Lower %s.ttl to at most %s, or shorten the check's interval or fall.", field, s.RTO-detect),
			}
			if s.TTL >= s.RTO {
				f.Why = fmt.Sprintf("The TTL alone (%s) is as long as the rto: resolvers keep the old answer that long "+
					"after outlast has moved, however fast it detects.", s.TTL)
			}
			if s.RTO <= detect {
				f.Fix = fmt.Sprintf("Shorten %s.check: interval × fall + timeout is %s, the whole rto; then lower the ttl.", field, detect)
			}
			out = append(out, f)
		}
	}
	return out
}

// liveFindings compares each zone's live delegation with its configuration.
func (d *Deployment) liveFindings() []Finding {
	var out []Finding
	for _, z := range d.Zones {
		live, ok := d.LiveNS[z.Apex]
		if !ok {
			continue
		}
		f := Finding{Severity: Warning, Check: CheckLiveDelegation, Subject: z.Apex}
		var configured, resolved []string
		for _, ns := range z.NS {
			configured = append(configured, ns.Name)
		}
		for _, ns := range live.NS {
			resolved = append(resolved, ns.Name)
		}
		slices.Sort(configured)
		slices.Sort(resolved)
		switch {
		case live.Err != "":
			f.Summary = "could not look up the live delegation of " + z.Apex + ": " + live.Err
			f.Why = "The audit checked the configured nameservers only; the ones resolvers really ask may differ."
			f.Fix = "Check that the zone is delegated, or audit without --resolve."
		case !slices.Equal(configured, resolved):
			f.Summary = fmt.Sprintf("live DNS delegates %s to %s, but the configuration lists %s",
				z.Apex, strings.Join(resolved, ", "), strings.Join(configured, ", "))
			f.Why = "Resolvers ask the delegated nameservers; the audit placed those, not the configured ones."
			f.Fix = "Make the parent zone's NS records and zones[].ns agree."
		default:
			continue
		}
		out = append(out, f)
	}
	return out
}
