// Package measure turns the raw timelines of one demo scenario into the
// figures `outlast demo` reports, and checks them against the scenario's
// bounds. It is pure: no IO, no clock; every input is a time in seconds from
// the scenario's start.
//
// It also owns the result data model (Result, Second, Marker) that package
// lab reports: lab imports measure and the simulated clients, and both of
// those need these types, so they live here, in the leaf, and lab names them
// with aliases.
//
// The figures, exactly as computed (W, "the fault window", is [FaultAt,
// HealAt) with a heal and [FaultAt, End] without one):
//
//   - Detection: the first verdict change to down of an affected endpoint at
//     or after FaultAt, minus FaultAt; -1 if none. A verdict event repeating
//     the endpoint's previous health is not a change.
//   - Steering: let T be the moment just after the last sample in W, from any
//     nameserver, that contains an affected address (FaultAt if there is
//     none). Steering is the time by which every nameserver still sampled
//     after T has been sampled at least once after T, minus FaultAt: the
//     moment the last lagging nameserver was seen answering clean. A
//     nameserver with no sample after T (a dead node the caller no longer
//     polls) is not waited for. -1 if no nameserver is sampled in W after T,
//     or when there are no affected addresses (nothing to steer away from).
//   - Client recovery: over the second buckets that overlap W, skipping
//     buckets without requests, the first bucket after the last one below
//     99% success, whose start minus FaultAt (0 when that bucket holds the
//     fault) is the figure. Whole buckets, so its resolution is one second.
//     -1 if the last bucket with requests is below 99%, or none has requests.
//   - Client errors: failed requests in every bucket from the one holding
//     the fault to the end, the heal included.
//   - Client requests: every request in those same buckets, the errors'
//     denominator.
//   - Client success after: the success rate, in percent rounded down to
//     hundredths, over the buckets starting at or after FaultAt+TTL+5 s and
//     before the heal (or the end); 100 if they hold no requests.
//   - False failovers: verdict changes to down of endpoints not affected by
//     the fault, at any time from the start.
//   - Flaps: per endpoint, its verdict changes beyond the first during
//     [FaultAt, HealAt), plus those beyond the first during [HealAt, End];
//     summed over endpoints. Going down once during the fault and up once
//     after the heal is 0 flaps.
//   - Return: per nameserver sampled after the heal, the first sample at or
//     after HealAt that contains an affected address; the latest of those,
//     minus HealAt. -1 without a heal, without affected addresses, or if a
//     nameserver sampled after the heal never gives one.
//   - Outvoted: per node and endpoint, each span of at least OutvotedAfter
//     (1 s) in which the node's own view (its own probes after fall/rise;
//     Input.Views) was up while the agreed verdict was down, or the
//     reverse. The verdict before the first change is Input.VerdictsAtStart;
//     an unknown view or verdict (a stopped node) disagrees with nothing. A
//     span opens and closes at the instant of the event that starts or ends
//     the disagreement, all events of one instant taken together; one still
//     open at End closes there. Shorter spans are the ordinary lag of a
//     majority decision, not a vote lost.
//   - Leader changes are passed through as the caller saw them.
//
// With client areas (Input.Areas), each poll is one nameserver asked as one
// area (AnswerSample.Area); steering and return then wait for every
// nameserver and area alike, and each area gets figures of its own from its
// own polls and its own devices' buckets:
//
//   - Before: the names (Input.AddrNames, else the addresses), sorted, of
//     the set the area's last poll before FaultAt answered; After: of its
//     last poll.
//   - Moves: per nameserver, the polls at or after FaultAt answering a set
//     other than that nameserver's poll before; the most of any nameserver.
//   - Moved: per nameserver, its first such poll; the latest of those,
//     minus FaultAt; -1 if a nameserver polled never changed.
//   - False failovers: those changes, over every nameserver, whose poll
//     before held no affected address: the area left an answer the fault
//     did not touch.
//   - Client recovery, errors, requests and success after: as above, over
//     the area's buckets; client success is (requests - errors) / requests
//     over those same buckets, rounded down to hundredths (100 for none).
//
// With proxied devices (Input.Proxied: devices that send the same
// requests to the nodes' HTTP proxies instead of the address DNS
// answers), Seconds are the DNS-only devices' alone and the result has
// both groups' figures (Result.DNSOnly and Result.Proxied), each from its
// own buckets:
//
//   - Client recovery, errors, requests, success and success after: as
//     for a client area.
//   - Slowest before: the largest Second.MaxLatencyS (the slowest
//     successful request begun in that second, lookup to last body byte)
//     of the buckets that end at least 1 s before FaultAt, so that none
//     of their requests was still in flight at the fault; slowest: the
//     largest from the bucket holding the fault on. Their difference is
//     the extra latency the fault cost the slowest request.
//   - Served by: the successful requests per backend from the bucket
//     holding the fault on.
//
// A second bucket's start (Second.T) places it: a bucket "overlaps" an
// interval when [T, T+1) meets it, and is "before the heal" when T < HealAt.
package measure
