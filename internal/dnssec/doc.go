// Package dnssec signs the zones outlast serves, online, as answers are built.
//
// # The model
//
// Keys live in files on every node (BIND's K<zone>+<alg>+<tag>.key and .private pair, made by
// Keygen, the code behind `outlast dnssec keygen`), copied to each node by the operator like a TLS
// key. They never travel through the Raft log: the log is replicated, snapshotted and shipped to
// every member and is the wrong place for a secret. Every node loads the same files, so every node
// signs with the same keys and a validator cannot tell which node answered.
//
// A zone uses one combined signing key (CSK, flags 257) by default, as Knot does for online signing:
// one key signs everything and its DS goes to the parent. A KSK (257) beside a ZSK (256) also works:
// the SEP keys then sign only the DNSKEY, CDS and CDNSKEY sets and the others sign the rest.
//
// Signatures are made when an answer set is built (Signer.Sign), off the query path, and kept with the
// set until Signer.NeedsResign says the window is running out. Validity windows are deterministic:
// inception is the current hour rounded down, less one hour (validators whose clocks run up to an
// hour behind still accept the signature), and expiration is inception plus Options.Validity (default
// 7 days) less a jitter of up to Options.Jitter (default 1 day) drawn from a hash of the owner name and
// type. Two nodes signing the same set within the same hour therefore give it the same window (the
// signature bytes differ: ECDSA signatures are randomized, and both verify), and the sets of one zone do
// not all expire, and are not all re-signed, in the same hour.
//
// Why 7 days: a signed answer can be replayed by anyone who saw it until it expires, and for a failover
// service a replayed answer is one pointing at a region that has since failed; a week bounds that, as
// CoreDNS's online signer does with 8 days. It is still long enough that a secondary at another
// provider, serving the signatures it transferred, keeps validating for days if every outlast node is
// down. A set is re-signed when less than Options.Refresh (default 2 days, as CoreDNS) is left, far more
// than any TTL outlast serves, so no resolver ever holds a signature that expires while cached.
//
// # Denial of existence
//
// Names that do not exist cannot be signed ahead of time (any name can be asked), so Signer.Deny signs
// them per query with compact denial of existence (RFC 9824, the "compact lies" Cloudflare and NS1
// serve): one NSEC owned by the query name whose Next Domain Name is its immediate successor
// \000.<qname>, so it covers no other name and reveals nothing about the zone. For a name that does not
// exist the type bitmap is {RRSIG, NSEC, NXNAME}; for a name that exists without the asked type
// (NODATA, and empty non-terminals) it is the types present plus RRSIG and NSEC.
//
// The server, not this package, sets the response code. RFC 9824 answers a nonexistent name with
// NOERROR (the NXNAME type in the bitmap is what tells it apart from NODATA), except that a client
// that sets the EDNS "Compact Answers OK" flag (CO, miekg's OPT.Co) is given NXDOMAIN back, with CO set
// in the response's OPT; a query whose type is NXNAME itself gets FORMERR. Signed denials are kept in
// a small fixed-size cache keyed by name and bitmap, so a name asked again costs a map lookup, not a
// signature; a flood of random names costs one signature each (see BenchmarkDeny), which the
// server bounds with DenyLimited for queries over UDP: Options.DenialRate fresh denials a second,
// the rest sent to TCP, where a source cannot be forged.
//
// # Rotating a key (in brief)
//
//  1. Generate the new key with Keygen and copy both files to every node.
//  2. Add it to the zone's key list on every node: the DNSKEY set now holds both keys (publish).
//     Wait at least the DNSKEY TTL plus the longest TTL of the zone's signed sets.
//  3. For a CSK or KSK: put the new DS at the parent (`outlast dnssec ds`, or let the parent read the
//     CDS/CDNSKEY records published here), wait for the parent's DS TTL, then remove the old DS.
//  4. Remove the old key from the list on every node, wait the DNSKEY TTL again, then delete its files.
//
// While both keys are listed every set is signed with both, which is the double-signature rollover:
// wasteful in bytes but correct whichever DNSKEY set a resolver holds.
//
// # Status
//
// The DNS server signs (issue 18): given a Signer per zone (dnsserver.Static.Signers) it signs every
// authoritative RRset when it builds a snapshot, with SignCached, which keeps each set's signatures
// across builds (bounded by Options.SigCache, and swept by Sweep after each build of the sets no
// build used since the last), so a rebuild signs only the sets that changed. Existing names get
// their compact denials then too (Deny, exists true); nonexistent names per query (Deny, exists
// false, from the fixed-size denial cache). The node rebuilds by Snapshot.ResignAt, built on
// ResignAt here, so no signature runs out. Not done yet: wiring the keys from the configuration
// (the node's side), and NSEC for the additional section (it is optional, RFC 4035 3.1.1).
package dnssec
