// Package steer owns the decision of what a steered name answers: from each
// service's policy and its endpoints' verdicts it computes one model.Answer.
//
// It is pure, like package health: no IO, no clock, no goroutines, no
// logging. The DNS server asks it for answers whenever the agreed state
// changes and serves them from an immutable snapshot.
//
// Rules, in the order they apply:
//
//   - Drained endpoints are never candidates. Of the candidates, those not
//     judged Down are usable; Unknown counts as usable so that a node that
//     has just started answers before its first verdict.
//   - Panic threshold (off unless set): when fewer than that share of the
//     candidates is usable, answer every candidate rather than crush the
//     survivors with all the traffic (as Envoy does). Unknown counts as
//     usable here too, so a starting node does not panic. It is off by
//     default because the point of outlast is that losing two of three
//     regions still steers everything to the third; any threshold above 33%
//     would instead hand out the two dead regions' addresses as well.
//   - When no candidate is usable the service's WhenAllDown decides: serve
//     every candidate (every endpoint, if all are drained), serve the fixed
//     fallback addresses, or answer nothing (fail closed). Only the last
//     gives an empty answer.
//   - Otherwise the policy chooses among the usable endpoints: failover
//     takes the lowest priority number present, all takes every one, and
//     weighted gives each query one endpoint's addresses in proportion to
//     its weight.
//
// Endpoints named by a target hostname are answered as the service says:
//
//   - flatten: the addresses the caller's Resolved gives for the target,
//     with the answer's TTL cut to what is left of the upstream's TTL. A
//     target with no address is not a candidate at all, whatever its
//     verdict: there is nothing to answer for it. When nothing the service
//     could answer has an address, the answer is ModeUnresolved (the server
//     answers SERVFAIL) rather than empty.
//   - cname: the chosen endpoint's target as a CNAME (failover: the first
//     of the lowest priority; weighted: pools of targets). A name holds one
//     CNAME, so panic and serve-all also name one target, the preferred;
//     fallback answers its addresses.
//
// Addresses keep configuration order and appear once, so answers are
// deterministic; each list is capped at the service's MaxAnswers.
package steer
