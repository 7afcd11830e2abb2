package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// figureDef is one figure of a scenario, as every rendering names it: the
// page's name, the terminal table's two header lines, the words a failure
// about it contains (as measure.Check writes them, so the failing figure
// can be marked), and what it means, in words, for the page.
type figureDef struct {
	Name    string
	Header  [2]string
	Failure string
	Means   string
}

// figures are the columns of the table between the scenario name and the
// result, in order. The meanings follow docs/demo.md and, exactly, the
// package doc of internal/lab/measure.
var figures = []figureDef{
	{"Detection", [2]string{"detection", ""}, "detection",
		"Time from the fault to the first agreed verdict that an affected endpoint is down: " +
			"a majority of the outlast nodes' failure domains saw it fail and the Raft leader committed that."},
	{"Steering", [2]string{"steering", ""}, "steering",
		"Time from the fault until no reachable outlast nameserver answers with an affected endpoint's " +
			"address any more (the lab asks every nameserver every 100 ms)."},
	{"Client recovery", [2]string{"client", "recovery"}, "",
		"Time from the fault until the simulated clients' success rate is back at 99% or more for every " +
			"remaining second of the fault, in whole seconds. The TTL dominates it: a device keeps its " +
			"cached answer until that expires."},
	{"Client errors", [2]string{"client", "errors/requests"}, "",
		"Failed client requests from the second of the fault to the end of the scenario, out of all the " +
			"requests made in those seconds, and that share. A request fails when it gets no complete answer " +
			"within 1 s, is refused, or gets an HTTP status other than 2xx."},
	{"Success after", [2]string{"success", "after"}, "client success",
		"The clients' success rate from TTL + 5 s after the fault (once every cached answer had time to " +
			"expire) to the heal, or to the end when nothing heals; rounded down, so 99.95% shows as 99.9%."},
	{"False failovers", [2]string{"false", "failovers"}, "false failover",
		"Verdicts that turned an endpoint down although the fault did not touch it."},
	{"Flaps", [2]string{"flaps", ""}, "flap",
		"Verdict changes of an endpoint beyond its first during the fault, plus beyond its first after " +
			"the heal: going down once and coming back once after the heal is 0 flaps."},
	{"Return", [2]string{"return", ""}, "",
		"Time from the heal until every nameserver answers the healed endpoint's address again; " +
			"\u201c-\u201d when nothing heals."},
}

// extraFigures are figures only some scenarios measure (those that keep a
// hostname endpoint's answers through its DNS failing): the page shows them
// with that scenario, the terminal in a line under the table.
var extraFigures = []figureDef{
	{"Stale resolution", [2]string{}, "stale resolution",
		"Time from the fault until an outlast node first reports a target hostname's resolution stale: its DNS " +
			"fails and the last good addresses are kept. It cannot come before the addresses' TTL ends."},
	{"Fresh again", [2]string{}, "fresh resolution",
		"Time from the heal until every node resolves every target hostname fresh again (the resolver retries a " +
			"failing DNS with a growing backoff, so this can take several seconds)."},
	{"Answers kept", [2]string{}, "answers off",
		"The nameservers' answers polled from the fault to the end that held exactly the healthy endpoint's " +
			"addresses, out of all polled: an answer with other addresses, none, or an error such as SERVFAIL " +
			"counts against it; a poll without a reply in time is no evidence."},
}

// areasMeans defines the lines a scenario with client areas adds.
const areasMeans = "In geo-region-outage the devices are in two client areas, each asking from an address of its " +
	"own, and the lab polls every nameserver as each area. Per area: the endpoints it was answered before the " +
	"fault and at the end; when it moved (every nameserver answering it something else), and how often one " +
	"nameserver changed its answer at most; false failovers, the changes away from an answer the fault did not " +
	"touch; and its own devices' errors and success rate (after TTL + 5 s for an area that moves, from the " +
	"fault on for one that must not)."

// groupsMeans defines the lines a scenario with proxied devices adds.
const groupsMeans = "In proxy-region-outage half the devices resolve the name and call the address answered " +
	"(DNS-only: the table's client columns are theirs), the other half send the same requests to the outlast " +
	"nodes' HTTP proxies (proxied), which retry a request that fails in another region. Per group: its devices' " +
	"errors and success rate from the fault on and after TTL + 5 s, and its slowest successful request before " +
	"the fault and from it: a proxied request that first hit the hung region costs about one per-try timeout more."

// resultMeans defines the result column.
const resultMeans = "PASS when every bound the scenario sets held: detection within 3 s, steering within 4 s, " +
	"success after at least 99%, no false failover and no flap (false-alarm has nothing to detect or steer, " +
	"so only the last three apply to it; target-dns-down, where nothing should move, instead wants every " +
	"answer to hold the healthy CDN's address, a stale resolution reported within the TTL + 3 s and fresh " +
	"again within 20 s of the heal; geo-region-outage also wants the area that lost its region moved once to the " +
	"next nearest within 4 s with its success after at least 99%, and the other never moved, with no false failover " +
	"and at least 99% success from the fault on); FAIL, with the bound that did not hold, otherwise."

// markDef is one kind of timeline marker and what it means.
type markDef struct{ Kind, Name, Means string }

// markDefs are the markers the timeline can draw, in the legend's order.
var markDefs = []markDef{
	{"fault", "fault", "The moment the fault began (a fault in two phases is marked twice)."},
	{"heal", "heal", "The moment the fault was lifted."},
	{"verdict", "verdict change", "The cluster's agreed verdict of an endpoint changed, at the time the leader decided it."},
	{"leader", "leader change", "A node took over as Raft leader, at the time the lab first saw it lead (it looks " +
		"every 100 ms). While there is no leader nothing can be committed, so a verdict waits for the election."},
	{"answer", "answer first seen", "A nameserver first answered this set of addresses for the service (named by " +
		"the endpoint, or the target hostname a flattened answer comes from): the move from one endpoint to another."},
	{"resolution", "target resolution change", "Outlast nodes' resolution of an endpoint's target hostname changed: " +
		"stale when its DNS fails and the last good addresses are kept, fresh when it resolves again."},
	{"outvoted", "outvoted node", "A node whose own view of an endpoint (its own probes alone, after fall and rise) " +
		"disagreed with the agreed verdict for 1 s or more: it saw the endpoint up while the verdict was down, or " +
		"the reverse, and the verdict stood. Either the other nodes' votes outweighed it, or no majority had " +
		"reached the leader yet to change it (during an election, or while a new leader waits for the others' " +
		"probes). A node cut off from the others is outvoted too: its votes cannot reach them. Shorter " +
		"disagreements are the ordinary lag of a majority decision and are not marked."},
}

// errorsCompact is the terminal's client errors: "581/12000".
func errorsCompact(errors, requests int) string {
	return strconv.Itoa(errors) + "/" + strconv.Itoa(requests)
}

// errorsOf is the page's client errors: the count, and what it is out
// of: "581", "of 12,000 requests (4.8%)".
func errorsOf(errors, requests int) (value, note string) {
	value = thousands(errors)
	if requests <= 0 {
		return value, "of 0 requests"
	}
	return value, fmt.Sprintf("of %s requests (%s)", thousands(requests), share(errors, requests))
}

// share is errors/requests in percent with one decimal; a share that is not
// zero never shows as 0.0%.
func share(errors, requests int) string {
	pct := 100 * float64(errors) / float64(requests)
	if errors > 0 && pct < 0.05 {
		return "<0.1%"
	}
	return strconv.FormatFloat(math.Round(pct*10)/10, 'f', 1, 64) + "%"
}

// thousands writes n with a comma between groups of three digits.
func thousands(n int) string {
	s := strconv.Itoa(n)
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return sign + b.String()
}
