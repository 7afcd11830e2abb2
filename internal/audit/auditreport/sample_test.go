package auditreport

import "outlast/internal/audit"

// quorumTrap is the hand-built report the tests share: the classic trap of
// three outlast nodes with two of them in AWS (us-east-1 and us-west-2) and
// one in GCP, two services, one nameserver per provider, and two of the
// N-2 pairs.
func quorumTrap() *audit.Report {
	const www, api = "www.example.com.", "api.example.com."
	cell := func(s string, i audit.Impact, pct float64, note string) audit.ServiceImpact {
		return audit.ServiceImpact{Service: s, Impact: i, LostPct: pct, Note: note}
	}
	row := func(name string, kind audit.DomainKind, quorum, decides bool, ns int, cells ...audit.ServiceImpact) audit.DomainImpact {
		scope := audit.ScopeSingle
		if kind == audit.KindPair {
			scope = audit.ScopePair
		}
		return audit.DomainImpact{Domain: name, Kind: kind, Scope: scope, Services: cells,
			Quorum: quorum, Decides: decides, Nameservers: ns, NameserversTotal: 2}
	}
	return &audit.Report{
		Source:   "examples/quorum-trap.yaml",
		Services: []string{www, api},
		Domains: []audit.DomainImpact{
			row("aws", audit.KindProvider, false, false, 1,
				cell(www, audit.ImpactStuck, 50, "keeps answering www-use1: the cluster has lost its quorum"),
				cell(api, audit.ImpactDown, 100, "every endpoint is in aws")),
			row("gcp", audit.KindProvider, true, true, 1,
				cell(www, audit.ImpactDegraded, 50, "loses www-usc1"),
				cell(api, audit.ImpactNone, 0, "")),
			row("aws/us-east-1", audit.KindRegion, true, true, 2,
				cell(www, audit.ImpactFailover, 50, "fails over to www-usc1 (gcp/us-central1)"),
				cell(api, audit.ImpactDegraded, 33.333, "loses api-use1")),
			row("aws/us-west-2", audit.KindRegion, true, true, 2,
				cell(www, audit.ImpactNone, 0, ""),
				cell(api, audit.ImpactDegraded, 66.667, "loses api-usw2")),
			row("aws + gcp", audit.KindPair, false, false, 0,
				cell(www, audit.ImpactDown, 100, "no nameserver of its zone is left"),
				cell(api, audit.ImpactDown, 100, "no nameserver of its zone is left")),
			row("aws/us-east-1 + gcp", audit.KindPair, false, false, 1,
				cell(www, audit.ImpactDown, 100, "every endpoint is in aws/us-east-1 + gcp"),
				cell(api, audit.ImpactDegraded, 33.333, "loses api-use1")),
		},
		Findings: []audit.Finding{
			{Severity: audit.Critical, Check: audit.CheckQuorumLost, Scope: audit.ScopeSingle, Domain: "aws", Subject: "outlast",
				Summary: "losing aws leaves 1 of 3 outlast nodes: the cluster loses its Raft quorum",
				Why:     "Without a majority no verdict can change, so outlast keeps steering to the endpoints that just died.",
				Fix:     "Run an odd number of nodes with no provider holding half or more: move one aws node to a third provider."},
			{Severity: audit.Critical, Check: audit.CheckServiceDown, Scope: audit.ScopeSingle, Domain: "aws", Subject: api,
				Summary: "losing aws takes api.example.com. down: every endpoint is in aws",
				Why:     "One provider's outage is an outage of the service.",
				Fix:     "Add an endpoint outside aws."},
			{Severity: audit.Warning, Check: audit.CheckCapacityLost, Scope: audit.ScopeSingle, Domain: "aws/us-west-2", Subject: api,
				Summary: "losing aws/us-west-2 takes 67% of api.example.com.'s weight",
				Why:     "The rest must carry three times its load.", Fix: "Spread the weight more evenly."},
			{Severity: audit.Info, Check: audit.CheckServiceDown, Scope: audit.ScopePair, Domain: "aws + gcp", Subject: www,
				Summary: "losing aws + gcp at once takes www.example.com. down", Why: "Two providers at once is rare.",
				Fix: "Accept it, or add a third provider."},
		},
	}
}
