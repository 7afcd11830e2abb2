// Package rrl owns response rate limiting (RRL) for outlast's authoritative
// DNS server: it decides, per response about to go out over UDP, whether to
// send it, send it truncated (a "slip": TC=1 and no records, so a real
// client retries over TCP), or drop it. It is pure: the caller passes the
// time, and the package does no IO, logs nothing and keeps no counters (the
// caller counts the Actions it gets, for metrics).
//
// # Why
//
// An authoritative server on the internet is used for reflection attacks:
// an attacker sends small queries with the victim's address as the source,
// and the server sends the victim larger answers. Over UDP the source is not
// checked, so the server cannot refuse the attacker, only limit how many
// identical responses one network receives. Knot (its rrl module) and BIND
// (rate-limit in options or a view) do this the same way, and so does this
// package.
//
// # The model
//
// A response is charged to an account keyed by
//
//   - the client's network: its address cut to IPv4Prefix (default /24) or
//     IPv6Prefix (default /56) bits, IPv4-mapped IPv6 addresses taken as
//     IPv4, so one attacker cannot spread a flood over a network's
//     addresses, and a victim's neighbours are one account;
//   - the response's Class (Answer, NoData, NXDomain, Referral, Error,
//     Large), as both Knot and BIND key by the kind of response;
//   - a name: for Answer and Large the query name, as BIND keys positive
//     answers (different names are different responses); for NoData,
//     NXDomain and Referral the zone apex (or the delegation point) the
//     answer came from, as Knot does, so a flood of random names in one
//     zone ("water torture", or a reflection asking random names) is one
//     account instead of one per name; for Error no name at all, since a
//     malformed query may carry none (BIND and CoreDNS likewise key errors
//     by client only). Names are compared without ASCII case, so resolvers
//     that randomise case (DNS 0x20) do not get a new account per query.
//     The caller passes the name in any form (wire or text) as long as it
//     is always the same form; bytes past 255 are ignored.
//
// Each account is a token bucket with BIND's semantics. It earns Rate
// credits a second (default 20). Neither server gives a default for a
// per-response limit: BIND's responses-per-second must be set, as had the
// rate-limit of Knot's classic rrl module, which keyed by response class as
// this package does (Knot's current module limits all queries from one
// address, 50 a second by default, instead). 20 is conservative against
// attacks and still far above what one resolver asks of one name, or of
// one zone's negative answers, in a second, since it caches them. A
// response, sent or not, costs one credit. Credit never exceeds Rate (one second's worth), so an idle
// account bursts at most Rate responses; debt never exceeds Rate×Window
// (default 15 s, BIND's window), so an account that was flooded is answered
// again Window (and one response's cost, 1/Rate) after the flood stops,
// however long it lasted. A response is
// sent while the account is not in debt after paying; otherwise it is
// limited. Precisely, with T = ⌈1 s / Rate⌉ (the cost of a response, in
// nanoseconds), the sends of one account over any interval of length I
// (on a clock that does not go back) are at most ⌊I / T⌋ + Rate ≤
// Rate×I/1 s + Rate: the sustained rate plus one second's burst, never
// more however the requests are spread; Window does not add to it, since
// it bounds debt, not credit. The tests hold that bound.
//
// Internally an account is one "theoretical arrival time" (TAT, as in the
// generic cell rate algorithm): the time at which its debt would be paid.
// The TAT becomes max(TAT, now) + T with every response and is clamped to
// at most now + Rate×T + Window; a response is sent when its new TAT is at
// most now + Rate×T. That is the bucket above, kept in a single int64
// updated by compare-and-swap, so Decide takes no lock and allocates
// nothing.
//
// Every Slip-th limited response of an account is slipped instead of
// dropped (default 2, BIND's slip default: half the limited responses are
// truncated). A truncated response carries the question and no records,
// about the size of the query, so it amplifies next to nothing, and a
// genuine client whose network shares an account with an attack still gets
// through by retrying over TCP. Slip 0 drops every limited response; 1
// truncates every one (Knot's default, which sends as many packets as
// arrive, if small ones).
//
// # Memory
//
// Accounts live in a table of TableSize buckets (a power of two, default
// 2^18, 4 MiB, of the order of Knot's tables: 393241 buckets in its classic
// rrl module, 524288 in its current one), allocated once by New: a flood
// from random source addresses cannot grow it. Keys that hash to one
// bucket share it, with no key stored to tell them apart; a shared bucket
// can only limit more, never less (Knot's current table, also of a fixed
// size, approximates likewise). The hash is keyed with a random seed per
// Limiter (hash/maphash), so an attacker cannot choose sources or names
// that land on a victim's bucket.
//
// # Exemptions
//
// Decide is only for responses over UDP to unverified sources. The caller
// skips it (and sends) for responses over TCP, whose source is verified by
// the handshake, and for queries carrying a valid DNS server cookie
// (RFC 7873), which proves that the client received an earlier response at
// that address, as Knot does when its cookies module is on; cookies are
// checked elsewhere, before Decide would be called. A nil *Limiter sends everything, so a server with RRL off holds a
// nil one.
//
// # Time
//
// now is in nanoseconds on any clock that does not jump (a process-start
// offset from time.Since works well). If it goes backwards, an account's
// debt is still clamped to Window past the new now, so a clock step cannot
// silence a network for longer than Window after it.
package rrl
