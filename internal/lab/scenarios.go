package lab

import (
	"fmt"
	"time"

	"outlast/internal/lab/measure"
)

// Scenario is one outage from the seed, as the lab plays it.
type Scenario struct {
	Name, Title, Description string
	// Service is the name the clients use.
	Service string
	// Affected are the regions the fault breaks: their endpoints in every
	// service (endpointsAt).
	Affected []string
	// Prepare runs before the clients start (choose the leader, say).
	Prepare func(l *Lab) error
	// Fault breaks things at FaultAt.
	Fault func(l *Lab) error
	// Midway, if set, changes the fault Hold/2 after it began (gray failure's second phase).
	Midway func(l *Lab) error
	// Heal, if set, ends the fault after HealAfter and the scenario watches
	// the return for AfterHeal; without it the scenario ends after Hold.
	Heal func(l *Lab) error
	// Settled, if set, is what the return after the heal waits for instead
	// of AfterHeal (at most SettleMax, then AfterSettle more to show it).
	Settled func(l *Lab) bool
	// Areas are the client areas the devices are spread over, evenly, each
	// asking from its own address, and which the lab polls the answers
	// as (none: every device and poll in no area).
	Areas []string
	// Keep are the endpoints whose addresses every answer must hold,
	// exactly, from the fault on (Bounds.KeepAnswers checks it).
	Keep []string
	// Proxied: half the devices send their requests to the nodes' HTTP
	// proxies instead of resolving the name (device i to node i % 3's);
	// the others resolve it, as in every scenario.
	Proxied bool
	// Roles: a role checker samples db.example.test's answers and its
	// servers' roles every 50 ms (rolecheck.go) for Result.Primary.
	Roles  bool
	Bounds measure.Bounds
}

// The scenario clock: clients run WarmUp before the fault, the fault lasts
// Hold, and a healed scenario watches the return for AfterHeal.
const (
	WarmUp    = 3 * time.Second
	Hold      = 14 * time.Second
	HealAfter = 10 * time.Second
	AfterHeal = 8 * time.Second
	// SettleMax bounds the wait for a scenario's Settled; AfterSettle is
	// how long it is watched after that.
	SettleMax   = 20 * time.Second
	AfterSettle = 2 * time.Second
)

// strict are the bounds issue 4 sets for every scenario.
var strict = measure.Bounds{DetectionS: 3, SteeringS: 4, SuccessPctAfter: 99, MaxFlaps: 0}

// Scenarios lists the seed's outages in the order the demo plays them.
func Scenarios() []Scenario {
	return []Scenario{
		{
			Name: "region-outage", Title: "One region hangs (AWS us-east-1, 7 December 2021)",
			Description: "us-east-1 accepts connections and never answers, as it did for seven hours in 2021. " +
				"Traffic must leave it within seconds.",
			Service: APIName, Affected: []string{"use1"}, Bounds: strict,
			Fault: func(l *Lab) error { return l.region("use1").Hang() },
		},
		{
			Name: "proxy-region-outage", Title: "One region hangs; half the devices go through outlast's proxy",
			Description: "us-east-1 hangs as in region-outage. Half the devices resolve api.example.test and call the " +
				"address answered; the other half send the same requests to the outlast nodes' HTTP proxies, which " +
				"retry a request that gets no answer within " + proxyPerTryTimeout.String() + " in another region: " +
				"while DNS catches up, the first see errors and the second none.",
			Service: APIName, Affected: []string{"use1"}, Proxied: true,
			Bounds: withProxied(strict, 100),
			Fault:  func(l *Lab) error { return l.region("use1").Hang() },
		},
		{
			Name: "provider-outage", Title: "A whole provider goes dark, its outlast node with it",
			Description: "Every AWS region hangs and the outlast node in AWS dies. The nodes in GCP and Azure keep " +
				"their majority, decide and steer; nothing needs AWS.",
			Service: APIName, Affected: []string{"use1", "usw2"}, Bounds: strict,
			Prepare: func(l *Lab) error { return l.moveLeader("gcp-usc1") },
			Fault: func(l *Lab) error {
				l.kill(l.nodeNamed("aws-use1"))
				return hang(l, "use1", "usw2")
			},
		},
		{
			Name: "cdn-outage", Title: "A CDN fails globally (Fastly, June 2021)",
			Description: "cdn.example.test flattens the CDNs' hostnames. cdn-a answers every request with an error, " +
				"everywhere at once; the answers move from " + cdnLabel("cdn-a") + " to the second CDN, " + cdnLabel("cdn-b") + ".",
			Service: CDNName, Affected: []string{"cdn-a"}, Bounds: strict,
			Fault: func(l *Lab) error { l.region("cdn-a").Errors(1); return nil },
		},
		{
			Name: "target-dns-down", Title: "The CDN's own DNS provider goes dark; the CDN stays up",
			Description: "The DNS that resolves " + cdnLabel("cdn-a") + " stops answering for 10 s while cdn-a serves well. " +
				"Once the address's TTL ends the nodes report its resolution stale and keep answering it: no failover, " +
				"no SERVFAIL, no empty answer. Then the DNS comes back and the resolution is fresh again.",
			Service: CDNName, Keep: []string{"cdn-a"},
			Bounds: measure.Bounds{SuccessPctAfter: 99, MaxFlaps: 0, KeepAnswers: true,
				StaleS: TTL.Seconds() + 3, FreshS: SettleMax.Seconds()},
			Fault:   func(l *Lab) error { return l.dns.SetDark(cdnZone("cdn-a"), true) },
			Heal:    func(l *Lab) error { l.dns.Light(); return nil },
			Settled: func(l *Lab) bool { return l.resolutionProblem() == "" },
		},
		{
			Name: "leader-lost", Title: "The control plane goes down with the region",
			Description: "The Raft leader runs in AWS; AWS dies, taking the leader and its regions. A new leader is " +
				"elected among the survivors and the failover still happens.",
			Service: APIName, Affected: []string{"use1", "usw2"}, Bounds: strict,
			Prepare: func(l *Lab) error { return l.moveLeader("aws-use1") },
			Fault: func(l *Lab) error {
				l.kill(l.nodeNamed("aws-use1"))
				return hang(l, "use1", "usw2")
			},
		},
		{
			Name: "gray-failure", Title: "A gray failure: half the requests fail, then everything is slow",
			Description: "us-east-1 answers 50% of requests with 503, then every answer takes 2 s longer. The checks " +
				"judge it down once, and it stays down: no flapping.",
			Service: APIName, Affected: []string{"use1"}, Bounds: strict,
			Fault:  func(l *Lab) error { l.region("use1").Errors(0.5); return nil },
			Midway: func(l *Lab) error { l.region("use1").Errors(0); return l.region("use1").Latency(2 * time.Second) },
		},
		{
			Name: "false-alarm", Title: "False alarm: one outlast node loses its own network",
			Description: "The node in GCP is cut off: its probes all fail and it cannot reach the others. The other " +
				"two see every endpoint healthy, so nothing moves.",
			Service: APIName, Bounds: measure.Bounds{SuccessPctAfter: 99, MaxFlaps: 0},
			Fault: func(l *Lab) error { l.nodeNamed("gcp-usc1").net.setCut(true); return nil },
		},
		{
			Name: "recovery", Title: "The region comes back",
			Description: "us-east-1 hangs, then recovers. Traffic returns only after rise (10) good probes, " +
				"without flapping.",
			Service: APIName, Affected: []string{"use1"}, Bounds: strict,
			Fault: func(l *Lab) error { return l.region("use1").Hang() },
			Heal:  func(l *Lab) error { return l.region("use1").Heal() },
		},
		{
			Name: "geo-region-outage", Title: "Each area to its nearest region; us-east-1 hangs",
			Description: "geo.example.test answers each client area its nearest region: the devices in Europe euw1 " +
				"(aws/eu-west-1), those in the US east use1 (aws/us-east-1). us-east-1 hangs: the US-east devices move " +
				"to the next nearest, usc1 (gcp/us-central1); the European ones do not move at all.",
			Service: GeoName, Areas: []string{"europe", "us-east"}, Affected: []string{"use1"},
			Bounds: withAreas(strict,
				measure.AreaBounds{Area: "europe", From: []string{"euw1"}, To: []string{"euw1"}},
				measure.AreaBounds{Area: "us-east", From: []string{"use1"}, To: []string{"usc1"}}),
			Fault: func(l *Lab) error { return l.region("use1").Hang() },
		},
		primaryRegionOutage(),
	}
}

// primaryRegionOutage is issue 17's demo: a database with one writable
// primary in us-east-1 and a replica in GCP, as db.example.test (policy
// primary, failback manual, the name moved after on_promote succeeded).
// It plays last: it leaves db-gcp the primary, and the lab starts with
// db-use1.
//
// What the role checker counts (measure.ComputePrimary), every 50 ms,
// from each running node's own answer (outlast answers authoritatively;
// there is no cache in between) and both servers' roles read just before
// and just after those queries:
//   - a violation: an answer naming a server that was a replica at both
//     reads (it cannot have been the primary when the node answered); an
//     answer naming two servers; two primaries at once, unless the one of
//     the older epoch is the former primary that no on_demote has reached
//     yet (it was not promoted during the scenario);
//   - no violation, shown apart: answers naming the former primary while
//     it is frozen and still primary (the window before the verdict and
//     the promotion; nobody reaches it), and the unfenced time, two
//     primaries because the former was not demoted yet: while it is
//     frozen nothing can write to it; after the heal it answers again
//     until the leader's on_demote rerun (every 10 s) reaches it, which
//     unfenced_reachable_s measures.
//
// The region fails as the lab fails regions: the API's use1 hangs and
// db-use1 stops answering anything, check and hooks included, until the
// heal. The scenario passes with strict's bounds, one promotion, no
// violation, the name on db-gcp at the end, and db-use1 demoted after the
// heal (Settled waits for that).
func primaryRegionOutage() Scenario {
	return Scenario{
		Name: "primary-region-outage", Title: "A primary database's region fails; its replica in GCP is promoted",
		Description: "db.example.test (policy primary) names one writable server: db-use1 (aws/us-east-1), with a replica, " +
			"db-gcp (gcp/us-central1). us-east-1 fails: db-use1 stops answering. outlast promotes db-gcp through its " +
			"on_promote hook (POST /promote with the epoch), moves the name once that succeeded, and demotes db-use1 " +
			"through on_demote when the region is back; the name stays on db-gcp (failback manual). A checker reads " +
			"both roles and every nameserver's answer every 50 ms.",
		Service: DBName, Affected: []string{"use1", "db-use1"}, Roles: true,
		Bounds:  withPrimary(strict),
		Fault:   func(l *Lab) error { return l.failRegion() },
		Heal:    func(l *Lab) error { return l.healRegion() },
		Settled: func(l *Lab) bool { return l.roleServer("db-use1").Role() == Replica },
	}
}

// withPrimary is b holding the primary scenario's figures too.
func withPrimary(b measure.Bounds) measure.Bounds {
	b.Primary = true
	return b
}

// withAreas is b with what each client area must see.
func withAreas(b measure.Bounds, areas ...measure.AreaBounds) measure.Bounds {
	b.Areas = areas
	return b
}

// withProxied is b with the least success, from the fault on, of the
// devices through the proxies.
func withProxied(b measure.Bounds, pct float64) measure.Bounds {
	b.ProxiedSuccessPct = pct
	return b
}

// cdnLabel names a CDN endpoint by its hostname and the address its DNS
// gives it: "shop.cdn-a.test (127.77.1.4)".
func cdnLabel(endpoint string) string {
	for i, spec := range regionSpecs {
		if spec.endpoint == endpoint {
			return spec.target + " (" + endpointIP(i) + ")"
		}
	}
	return endpoint
}

// cdnZone is the zone of a CDN endpoint's hostname, which its provider's DNS serves.
func cdnZone(endpoint string) string {
	for _, spec := range regionSpecs {
		if spec.endpoint == endpoint {
			return spec.zone
		}
	}
	return ""
}

func hang(l *Lab, endpoints ...string) error {
	for _, e := range endpoints {
		if err := l.region(e).Hang(); err != nil {
			return err
		}
	}
	return nil
}

// moveLeader hands Raft leadership to the named node, so a scenario knows
// which provider holds the control plane when it fails.
func (l *Lab) moveLeader(name string) error {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		leader := l.Leader()
		switch {
		case leader == nil:
		case leader.Name == name:
			return nil
		default:
			_ = leader.node.Raft().TransferLeadership(name)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("lab: could not move the leader to %s", name)
}
