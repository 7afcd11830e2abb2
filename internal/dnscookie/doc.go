// Package dnscookie makes and checks DNS server cookies (RFC 7873) in the
// interoperable format of RFC 9018, the one BIND, Knot, PowerDNS and Unbound
// share, so outlast nodes and those servers can stand behind one anycast
// address or one NS set with the same secret.
//
// # What a cookie proves
//
// A client puts an 8-byte client cookie in the EDNS COOKIE option of its
// query. The server answers with a 16-byte server cookie: a version, a
// timestamp, and SipHash-2-4 of the client cookie, that timestamp and the
// client's IP address under a secret only the servers know. When the client
// sends that server cookie back, it shows that it received one of our
// earlier answers at that address within the last hour. An off-path attacker
// who forges the source address of its queries never sees our answers, so
// it cannot present a valid server cookie for the victim's address.
//
// # Why a valid cookie exempts a client from rate limiting
//
// Response rate limiting exists because a DNS server can be made to reflect
// and amplify traffic at a spoofed victim. A query with a valid server
// cookie cannot be spoofed (see above), so answering it in full reflects
// nothing at anyone: it goes to the address that asked. Such queries skip
// the rate limiter; queries with no cookie, a client cookie alone or an
// invalid one are limited as usual (and may be slipped to TC=1, which sends
// a real client to TCP or to a retry with the cookie it just learned).
//
// # Secrets and their rotation
//
// A [Jar] holds two secrets. Every node of a cluster must hold the same two,
// or a client answered by one node would fail at the next. [Jar.Make] always
// uses Current; [Jar.Check] accepts a cookie made with Current or Previous,
// and reports one verified with Previous as [ValidButRefresh] so that the
// client learns a cookie of Current before Previous goes. A rotation to a
// new secret from [NewSecret] takes the three stages of RFC 9018 §5, so that
// no node makes cookies with a secret another node does not yet accept:
//
//  1. every node gets Jar{Current: old, Previous: new} (accept new, make old);
//  2. once all have it, Jar{Current: new, Previous: old} ([Jar.Rotated]);
//  3. an hour later at least (the lifetime of a cookie), Jar{Current: new}.
//
// Rotating about once a day is plenty (Knot's default is 26 hours).
//
// A zero Secret is never accepted by Check: it would be a key every attacker
// knows, and an unset Previous must accept nothing.
//
// The package is pure: it does no IO, reads no clock (the caller passes the
// time) and logs nothing. A Jar is a value; share it between goroutines
// behind an atomic.Pointer and replace it whole to rotate.
package dnscookie
