package audit

import (
	"fmt"
	"strings"
)

// singleFindings turns one N-1 row of the matrix into findings.
func (d *Deployment) singleFindings(f *failure, sv survival, row DomainImpact) []Finding {
	var out []Finding
	if !row.Quorum {
		out = append(out, quorumFinding(f, Critical, sv))
	}
	for i, cell := range row.Services {
		s := d.Services[i]
		switch cell.Impact {
		case ImpactDown:
			if cell.NoNameserver { // the nameserver check reports it, once per zone
				continue
			}
			out = append(out, Finding{Severity: Critical, Check: CheckServiceDown, Scope: f.scope, Domain: f.name, Subject: s.Name,
				Summary: fmt.Sprintf("losing %s takes %s down: %s", f.name, s.Name, cell.Note),
				Why:     "No endpoint is left to answer with, so clients fail until " + f.name + " returns.",
				Fix:     "Run an endpoint of " + s.Name + " outside " + f.name + " (another provider is best) and add it to the service.",
			})
		case ImpactStuck:
			out = append(out, stuckFinding(f, Critical, s.Name, cell))
		case ImpactFailover:
			out = append(out, Finding{Severity: Info, Check: CheckPrimaryLost, Scope: f.scope, Domain: f.name, Subject: s.Name,
				Summary: fmt.Sprintf("losing %s: %s %s", f.name, s.Name, cell.Note),
				Why:     "This is the failover working: clients move within the TTL plus the time to detect.",
				Fix:     "Nothing, if the next tier can carry the whole load; drill it with outlast drill.",
			})
		}
		if cell.LostPct > 50 && (cell.Impact == ImpactDegraded || cell.Impact == ImpactFailover) {
			out = append(out, Finding{Severity: Warning, Check: CheckCapacityLost, Scope: f.scope, Domain: f.name, Subject: s.Name,
				Summary: fmt.Sprintf("losing %s takes %.0f%% of %s's weight", f.name, cell.LostPct, s.Name),
				Why: fmt.Sprintf("The survivors must carry %.1f× their usual load at once, just as the outage's retries arrive.",
					100/(100-cell.LostPct)),
				Fix: "Spread the weight so no single provider or region holds more than half of it, or size the survivors for the whole load.",
			})
		}
		out = append(out, geoSingleFindings(f, s, cell)...)
	}
	return out
}

// pairFindings reports what losing two domains at once breaks that losing
// either alone does not; everything else about the pair is in the matrix.
func (d *Deployment) pairFindings(f *failure, sv survival, row DomainImpact, rows map[*failure]DomainImpact, zones []zoneNS) []Finding {
	var out []Finding
	a, b := rows[f.parts[0]], rows[f.parts[1]]
	if !row.Quorum && a.Quorum && b.Quorum {
		out = append(out, quorumFinding(f, Info, sv))
	}
	for _, z := range zones {
		_, dark := nsLeft(z, f)
		_, darkA := nsLeft(z, f.parts[0])
		_, darkB := nsLeft(z, f.parts[1])
		if dark && !darkA && !darkB {
			out = append(out, Finding{Severity: Info, Check: CheckNameservers, Scope: f.scope, Domain: f.name, Subject: z.apex,
				Summary: fmt.Sprintf("losing %s at once leaves no nameserver of %s", f.name, z.apex),
				Why:     "Every name in the zone stops resolving as resolvers' caches expire.",
				Fix:     "To survive two failures, put nameservers in a third provider.",
			})
		}
	}
	for i, cell := range row.Services {
		out = append(out, geoPairFindings(f, d.Services[i], cell, a.Services[i], b.Services[i])...)
		if (cell.Impact != ImpactDown && cell.Impact != ImpactStuck) || cell.NoNameserver ||
			!cell.Impact.Worse(a.Services[i].Impact) || !cell.Impact.Worse(b.Services[i].Impact) {
			continue
		}
		s := d.Services[i]
		if cell.Impact == ImpactStuck {
			out = append(out, stuckFinding(f, Info, s.Name, cell))
			continue
		}
		out = append(out, Finding{Severity: Info, Check: CheckServiceDown, Scope: f.scope, Domain: f.name, Subject: s.Name,
			Summary: fmt.Sprintf("losing %s at once takes %s down: %s", f.name, s.Name, cell.Note),
			Why:     "Two failures at once are rare but not unheard of (a provider's control plane and a CDN on the same day).",
			Fix:     "To survive two failures, run " + s.Name + " in a third place.",
		})
	}
	return out
}

func quorumFinding(f *failure, sev Severity, sv survival) Finding {
	out := Finding{Severity: sev, Check: CheckQuorumLost, Scope: f.scope, Domain: f.name, Subject: "outlast",
		Summary: fmt.Sprintf("losing %s takes outlast node(s) %s with it and leaves %d of %d voters: the cluster has no Raft quorum",
			f.name, strings.Join(sv.lostVoters, ", "), sv.votersLeft, sv.voters),
		Why: "Without a leader no verdict, override or configuration can change: every node keeps answering the last agreed " +
			"state, so traffic cannot move off what failed with " + f.name + ".",
		Fix: "Run an odd number of nodes and let no provider hold half or more of them: 3 nodes in 3 providers, or 5 in at least 3 with at most 2 in each.",
	}
	switch {
	case sv.voters == 1:
		out.Why += " A single node is a basket of its own."
		out.Fix = "Run three nodes in three providers, as examples/three-providers.yaml does."
	case sv.voters == 3 && sv.votersLeft == 1 && f.scope == ScopeSingle:
		out.Why += " Three nodes with two in one provider is the classic trap."
	}
	return out
}

func stuckFinding(f *failure, sev Severity, service string, cell ServiceImpact) Finding {
	return Finding{Severity: sev, Check: CheckFailoverStuck, Scope: f.scope, Domain: f.name, Subject: service,
		Summary: fmt.Sprintf("losing %s: %s %s", f.name, service, cell.Note),
		Why: "outlast cannot mark the lost endpoints down, so every nameserver goes on sending clients to them " +
			"while healthy endpoints elsewhere sit idle.",
		Fix: "Spread the outlast nodes over at least three providers so that losing any one leaves a majority of nodes and of vote domains.",
	}
}
