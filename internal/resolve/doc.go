// Package resolve keeps hostname endpoint targets (an AWS ALB name, a CDN
// hostname) resolved to addresses, through configured upstream resolvers,
// with static stability: when the DNS that resolves a target is down, the
// last good addresses keep being served for a bounded time.
//
// The package has a pure part and an IO part.
//
// The pure part (record.go, reply.go) takes time as an argument and does no
// IO. ParseReply turns an upstream reply into an Outcome; Record.Observe
// folds an Outcome into what is known about one address family of a name;
// Record.Decide says what may be served now. Its rules:
//
//   - An upstream TTL is clamped to [MinTTL, MaxTTL] (defaults 5 s and 1 h),
//     so a hostile or broken upstream can neither make the node ask every
//     millisecond nor pin addresses for a year. A set of addresses is Fresh
//     until its clamped TTL ends; Decide returns the remaining TTL.
//   - A family is refreshed before expiry: at 3/4 of its TTL, minus a jitter
//     of up to 1/8 of the TTL drawn from an injected source, so many names
//     learned at once do not all ask at the same instant.
//   - A failure (timeout, network error, SERVFAIL, REFUSED, a malformed or
//     mismatched reply, a CNAME loop) never removes a good set. After the
//     good set's TTL ends it is served as Stale, with TTL StaleTTL (default
//     30 s) so resolvers come back soon, for at most MaxStale (default 1 h)
//     past the end of its TTL. Beyond that the family is Unresolved: no
//     addresses, and the caller treats the endpoint as having none. While a
//     family fails it is retried with backoff from RetryMin (1 s) doubling
//     up to RetryMax (30 s).
//   - NXDOMAIN and NODATA (NOERROR without addresses of the asked type) are
//     answers, not failures, but a provider's broken DNS can answer them too.
//     So while a good set is within MaxStale they are treated exactly like a
//     failure: the good set keeps being served (Stale after its TTL) and the
//     reply is reported as the last error. With no good set, NODATA makes the
//     family Empty (the name has no addresses of this type: the usual AAAA of
//     an IPv4-only target, not an error), cached for its negative TTL (the
//     SOA minimum, clamped like any TTL); NXDOMAIN makes it Unresolved with
//     the error "NXDOMAIN". The price of this rule: a target really deleted
//     keeps its old addresses for up to its TTL plus MaxStale; the probes of
//     those addresses take the endpoint out of the answers meanwhile.
//   - A CNAME chain in a reply is followed to the addresses, at most
//     MaxChain (8) links, refusing loops; the TTL of the result is the
//     smallest TTL on the chain. At most MaxAddrs (default 64) distinct
//     addresses are kept per family; names longer than 253 characters or with
//     labels over 63 are refused before any query.
//
// The IO part (resolver.go, exchange.go) is a Resolver: Set says which names
// to keep fresh, Run refreshes them in the background, asking the upstream
// servers in order for A and AAAA with recursion desired, over UDP and over
// TCP when the UDP reply is truncated, and moving on to the next server on a
// failure or SERVFAIL. Lookup never blocks: it reads an immutable snapshot
// swapped atomically, so the answer builder can call it freely. Changes
// signals when a name's addresses or state changed, including the changes
// that only time makes (Fresh to Stale, Stale to Unresolved), and when a
// name has its first outcome, a failure included.
package resolve
