// Package geo owns where a DNS client is and which endpoint locations are
// nearest to it, for services with policy geo.
//
// A Table maps an address to an area (an index into the table's names) by
// longest-prefix match over a topology list or a database's networks; a
// Chain asks the topology table first and the database table after, and the
// topology wins whenever it matches, whatever its prefix length. Point,
// Distance, Builtin, ContinentCenter and Coordinates place areas and
// locations on the globe, and Nearest orders locations by great-circle
// distance, once per configuration.
//
// The package is pure: it reads no file, opens no socket, resolves no name
// and logs nothing; it takes values and returns values or errors, so the
// configuration, the database reader and the DNS server can share it and
// a test can hold that (cmd/outlast TestPurePackagesDoNoIO).
//
// Lookups are on the DNS query path, so NewTable does all the work up front:
// the nested prefixes become sorted, disjoint ranges that tile the whole
// address space (gaps included, as area -1), IPv4 as uint32 and IPv6 as a
// pair of uint64. Area is then one binary search over a flat slice (for a
// large IPv4 table, only over the ranges of the address's /16) plus a few
// bit operations: O(log n), no allocation, no lock, and a Table is
// immutable so any number of goroutines may share it.
//
// The bits Area returns is the ECS scope the answer really depended on: the
// length of the widest CIDR block around the address that the same entry
// decides for every address in it. That is the winning prefix's length,
// unless a longer entry nested inside the winner is close by: then a block
// as long as the winner would also hold addresses that entry decides, and
// a resolver caching the answer for it would send those clients to the
// wrong area, so the scope is longer. For an address in no area it is the
// widest block holding no entry at all (0 for an empty table).
package geo
