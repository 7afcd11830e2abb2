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
//
// Geo names (a geo service's answers, one per client area, model.Answer.Area)
// are answered for the client: the subnet of the query's EDNS Client Subnet
// option (RFC 7871) when it carries one, cut to /24 (IPv4) or /56 (IPv6)
// before the lookup, else the address the query came from (the resolver's),
// over UDP and TCP alike. Static.Areas places it in an area; that area's
// precomputed answer is served, or the default one (Area "") for clients
// in no area and types the area has no answer for. Other names never look
// the client up. A query with ECS gets the option back with its FAMILY,
// SOURCE PREFIX-LENGTH and ADDRESS as sent, and a SCOPE PREFIX-LENGTH that
// says how much of the address the answer depended on: for a geo name, the
// prefix length of the area entry that matched (at most /24 or /56), or,
// for a client in no area, the source length looked up; 0 for every other
// name, for a geo name's types that no area answers differently (NODATA
// included), and for NXDOMAIN, so resolvers cache those once for all
// clients. Errors carry no ECS option. A malformed option (unknown family,
// prefix lengths beyond the family, a SCOPE in the query, ADDRESS octets
// too many or too few or bits set beyond SOURCE) gets FORMERR: see ecs.go.
// FAMILY 0 with SOURCE 0 ("use none of my address") gets the default.
//
// Zones with a dnssec.Signer (Static.Signers) are signed online, at build
// time, never per query (sign.go): every authoritative RRset carries its
// RRSIGs in wire form, and every existing name its compact denial (RFC
// 9824: an NSEC owned by the name, Next Domain Name \000.name, the bitmap
// its types). A query with the DO bit gets each answered RRset's RRSIGs
// right after it (each CNAME of a chain included); NODATA and empty
// non-terminals the signed SOA and the name's NSEC; a nonexistent name
// NOERROR with an NSEC whose bitmap is {RRSIG, NSEC, NXNAME}, signed per
// query and cached by the signer (the only signed reply that allocates),
// or NXDOMAIN with CO in the OPT when the query set CO; a referral the
// delegation's signed DS, or the NSEC that proves it has none. A set and
// its RRSIGs are truncated together. AD is never set. Delegation NS sets
// and glue are not signed. Queries without DO, and every query for an
// unsigned zone, are answered exactly as without signing; an explicit
// query for NXNAME gets FORMERR everywhere (RFC 9824 3.5).
//
// A zone may be signed online (Static.Signers; see sign.go) and served to
// secondaries by AXFR and IXFR from the journal the node feeds with each
// snapshot's version of it (Snapshot.ZoneVersion, Transfer; see
// transfer.go); queries signed with a configured TSIG key get signed
// replies (tsig.go).
//
// How static records are answered is Static's documentation; how steered
// answers (addresses, CNAMEs, unresolved, per area) are answered and
// replace them is NewSnapshot's; the zone serial is Serial's, or
// Static.Serials'.
package dnsserver
