package audit

import (
	"cmp"
	"slices"

	"outlast/internal/config"
	"outlast/internal/model"
)

// Run audits the deployment. It is deterministic: the same deployment
// gives the same report.
func Run(d Deployment) *Report {
	r := &Report{Source: d.Source}
	for _, s := range d.Services {
		r.Services = append(r.Services, s.Name)
	}
	zones := d.nameservers()
	rows := map[*failure]DomainImpact{}
	var findings []Finding
	for _, f := range failures(d.locations(zones)) {
		sv := d.survive(f)
		row := d.impact(f, sv, zones)
		rows[f] = row
		r.Domains = append(r.Domains, row)
		if f.scope == ScopeSingle {
			findings = append(findings, d.singleFindings(f, sv, row)...)
		} else {
			findings = append(findings, d.pairFindings(f, sv, row, rows, zones)...)
		}
	}
	findings = append(findings, d.nameserverFindings(zones)...)
	findings = append(findings, d.liveFindings()...)
	findings = append(findings, d.vantageFindings()...)
	findings = append(findings, d.rtoFindings()...)
	findings = append(findings, d.locationFindings()...)
	findings = append(findings, d.targetFindings()...)
	slices.SortStableFunc(findings, func(a, b Finding) int {
		if c := cmp.Compare(b.Severity, a.Severity); c != 0 {
			return c
		}
		return cmp.Compare(slices.Index(checkOrder, a.Check), slices.Index(checkOrder, b.Check))
	})
	r.Findings = findings
	return r
}

// checkOrder ranks findings of one severity: what takes a service down
// first, what merely informs last.
var checkOrder = []Check{
	CheckServiceDown, CheckFailoverStuck, CheckQuorumLost, CheckNameservers, CheckRTO,
	CheckLocationMismatch, CheckLiveDelegation, CheckTargetUnverified, CheckLocationUnknown, CheckVantagePoints,
	CheckCapacityLost, CheckGeoOrderExhausted, CheckGeoSharedFirst, CheckPrimaryLost, CheckGeoAreaMoved,
}

// locations are every place something of the deployment runs.
func (d *Deployment) locations(zones []zoneNS) []model.Location {
	var out []model.Location
	for _, s := range d.Services {
		for _, e := range s.Endpoints {
			if !e.Drained {
				out = append(out, e.Location)
			}
		}
	}
	for _, n := range d.Nodes {
		out = append(out, n.Location)
	}
	for _, z := range zones {
		for _, ns := range z.ns {
			out = append(out, ns.location)
		}
	}
	return out
}

// impact is one row of the matrix.
func (d *Deployment) impact(f *failure, sv survival, zones []zoneNS) DomainImpact {
	row := DomainImpact{Domain: f.name, Kind: f.kind, Scope: f.scope, Quorum: sv.quorum, Decides: sv.decides}
	dark := map[string]bool{}
	for _, z := range zones {
		left, isDark := nsLeft(z, f)
		row.Nameservers += left
		row.NameserversTotal += len(z.ns)
		dark[z.apex] = isDark
	}
	for _, s := range d.Services {
		zone := config.ZoneOf(s.Name, d.Zones)
		row.Services = append(row.Services, serviceImpact(s, f, sv, zone != nil && dark[zone.Apex]))
	}
	return row
}
