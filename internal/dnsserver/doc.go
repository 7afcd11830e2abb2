// Package dnsserver owns outlast's authoritative DNS server: it answers the
// configured zones from an immutable Snapshot of the agreed answers, swapped
// in atomically as steering changes, so the query path takes no lock.
//
// A Snapshot precomputes, per name, the wire form of every record it can
// answer (service addresses, services' CNAMEs to hostname targets, one per
// weighted pool, the zones' static records, SOA, NS with glue, the
// negative-answer SOA, CNAME chains, referrals and additional data), so a
// query only copies bytes: no record is built, no map is made. Owner names
// are written as compression pointers into the question, which is why
// answers carry the exact case the client asked with (DNS 0x20) for free.
// A service whose hostname targets have no resolved address answers
// SERVFAIL for its type, so resolvers ask elsewhere and cache nothing.
// How static records are answered is Static's documentation; how steered
// answers (addresses, CNAMEs, unresolved) are answered and replace them is
// NewSnapshot's; the zone serial is Serial's.
package dnsserver
