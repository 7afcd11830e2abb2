// Package shiftwatch asks nameservers for a name until their answers shift:
// the one place the drill, the lab, the benches and the tests do that.
//
// # What "shifted" means
//
// A poll is one query per record type (A, AAAA or both) to one nameserver;
// its answer is the set of addresses in the replies (sorted, without
// duplicates). A Predicate says which sets are the new state (Without: none
// of these addresses; With: at least one of them; WithAll; Exactly).
//
// A nameserver has shifted once Rule.Consecutive answers in a row satisfied
// the predicate (default 1: the first such answer). Only NOERROR replies are
// answers. A poll that gets NXDOMAIN, SERVFAIL, another error code, a
// truncated reply, a timeout or a network error is never a shift and never
// an answer: it is counted by its kind and neither extends nor breaks a
// streak. A node catching up after a restart answers SERVFAIL, and that is
// no evidence either way.
//
// Once shifted, a nameserver stays shifted; an answer outside the predicate
// after that counts as a flap.
//
// # What each time means
//
// Every time is a duration from Options.Start (the event: the kill, the
// override; default the call to Watch) to the moment the first poll of the
// streak that made the nameserver shift was sent. All nameservers are asked
// at once, once per Options.Interval, so the resolution is the interval.
// Report.First is the earliest of those times, Report.All the latest, set
// only when every nameserver shifted.
//
// The decision (Tracker, the predicates, FromMsg) is pure and has no clock;
// Ask and Watch do the IO with miekg/dns.
package shiftwatch
