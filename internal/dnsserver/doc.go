// Package dnsserver owns outlast's authoritative DNS server: it answers the
// configured zones from an immutable Snapshot of the agreed answers, swapped
// in atomically as steering changes, so the query path takes no lock.
//
// A Snapshot precomputes, per name, the wire form of every record it can
// answer (service addresses, the zones' static records, SOA, NS with glue,
// the negative-answer SOA, CNAME chains, referrals and additional data), so
// a query only copies bytes: no record is built, no map is made. Owner names
// are written as compression pointers into the question, which is why
// answers carry the exact case the client asked with (DNS 0x20) for free.
// How static records are answered, and how a steered answer replaces them,
// is Static's documentation; the zone serial is Serial's.
package dnsserver
