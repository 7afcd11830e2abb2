package resolve

import (
	"net/netip"
	"slices"
	"time"
)

// Defaults of Policy, documented in the package doc.
const (
	DefaultMinTTL   = 5 * time.Second
	DefaultMaxTTL   = time.Hour
	DefaultMaxStale = time.Hour
	DefaultStaleTTL = 30 * time.Second
	DefaultMaxAddrs = 64
	RetryMin        = time.Second
	RetryMax        = 30 * time.Second
	MaxChain        = 8
)

// Policy holds the bounds applied to what upstreams say. Zero fields take
// their defaults (see WithDefaults).
type Policy struct {
	// MinTTL is the shortest TTL an upstream answer is cached for (default 5 s).
	MinTTL time.Duration
	// MaxTTL is the longest TTL an upstream answer is cached for (default 1 h).
	MaxTTL time.Duration
	// MaxStale is how long past the end of its TTL a good set of addresses
	// is still served while lookups fail (default 1 h).
	MaxStale time.Duration
	// StaleTTL is the TTL a Stale answer carries, so resolvers ask again
	// soon (default 30 s, never above MaxTTL).
	StaleTTL time.Duration
	// MaxAddrs is how many distinct addresses are kept per family (default 64).
	MaxAddrs int
}

// WithDefaults returns p with zero fields set to their defaults and
// inconsistent bounds made consistent (MaxTTL at least MinTTL, StaleTTL at
// most MaxTTL).
func (p Policy) WithDefaults() Policy {
	if p.MinTTL <= 0 {
		p.MinTTL = DefaultMinTTL
	}
	if p.MaxTTL <= 0 {
		p.MaxTTL = DefaultMaxTTL
	}
	p.MaxTTL = max(p.MaxTTL, p.MinTTL)
	if p.MaxStale <= 0 {
		p.MaxStale = DefaultMaxStale
	}
	if p.StaleTTL <= 0 {
		p.StaleTTL = DefaultStaleTTL
	}
	p.StaleTTL = min(p.StaleTTL, p.MaxTTL)
	if p.MaxAddrs <= 0 {
		p.MaxAddrs = DefaultMaxAddrs
	}
	return p
}

// Clamp bounds an upstream TTL to [MinTTL, MaxTTL].
func (p Policy) Clamp(ttl time.Duration) time.Duration {
	return min(max(ttl, p.MinTTL), p.MaxTTL)
}

// State says what a family or a name may serve now.
type State uint8

// States, from best to worst for a caller.
const (
	Unresolved State = iota // no addresses: never resolved, NXDOMAIN, or stale beyond MaxStale
	Fresh                   // addresses within their (clamped) upstream TTL
	Stale                   // last good addresses past their TTL while lookups fail, within MaxStale
	Empty                   // the upstream says the name has no addresses of this type (NODATA)
)

func (s State) String() string {
	switch s {
	case Fresh:
		return "fresh"
	case Stale:
		return "stale"
	case Empty:
		return "empty"
	default:
		return "unresolved"
	}
}

// Kind classifies an upstream outcome.
type Kind uint8

// Outcome kinds.
const (
	Failure  Kind = iota // timeout, network error, SERVFAIL, REFUSED, malformed reply, CNAME loop
	Addrs                // NOERROR with addresses of the asked type
	NoData               // NOERROR without addresses of the asked type
	NXDomain             // the name (or the end of its CNAME chain) does not exist
)

// Outcome is one upstream lookup of one name and type, as ParseReply or a
// failed exchange reports it.
type Outcome struct {
	Kind  Kind
	Addrs []netip.Addr  // Kind Addrs: the addresses (bounded by ParseReply)
	TTL   time.Duration // Addrs: the smallest TTL on the chain; NoData/NXDomain: the negative TTL
	Err   string        // Failure, NoData, NXDomain: what to tell an operator
}

// Record is what is known about one address family of one name. The zero
// Record is a family never resolved, due for a lookup now. A Record is a
// value: Observe returns a new one and never changes the addresses it
// returned before, so readers may keep them.
type Record struct {
	addrs        []netip.Addr // last good set; nil when none
	expires      time.Time    // end of the good set's (or Empty's) clamped TTL
	empty        bool         // the last answer was NODATA and no good set is kept
	refreshAt    time.Time    // when the next lookup is due
	failingSince time.Time    // first failure since the last good answer; zero when none
	failures     int          // consecutive failures, for backoff
	lastErr      string       // the last failure, "" after a good answer
}

// Decision is what a Record allows serving at one instant.
type Decision struct {
	State        State
	Addrs        []netip.Addr  // shared, do not modify; nil unless Fresh or Stale
	TTL          time.Duration // how long a DNS answer carrying Addrs may be cached
	Err          string        // the last failure, "" when the last lookup succeeded
	FailingSince time.Time     // zero when the last lookup succeeded
}

// RefreshAt is when the next lookup of this family is due.
func (r Record) RefreshAt() time.Time { return r.refreshAt }

// Observe folds one outcome, received at now, into r. jitter in [0, 1)
// spreads the refresh of a good answer (see the package doc).
func (r Record) Observe(p Policy, now time.Time, o Outcome, jitter float64) Record {
	p = p.WithDefaults()
	if o.Kind == Addrs && len(o.Addrs) > 0 {
		return good(p, now, o, jitter)
	}
	if o.Kind == NoData && !r.keepsGood(p, now) {
		ttl := p.Clamp(o.TTL)
		return Record{empty: true, expires: now.Add(ttl), refreshAt: refreshAt(now, ttl, jitter)}
	}
	return r.failed(p, now, o)
}

// good is the record after an answer with addresses.
func good(p Policy, now time.Time, o Outcome, jitter float64) Record {
	ttl := p.Clamp(o.TTL)
	return Record{
		addrs:     boundAddrs(o.Addrs, p.MaxAddrs),
		expires:   now.Add(ttl),
		refreshAt: refreshAt(now, ttl, jitter),
	}
}

// failed is the record after a failure, or an NXDOMAIN or NODATA treated as
// one: the good set stays while it is within MaxStale, and the next try
// backs off.
func (r Record) failed(p Policy, now time.Time, o Outcome) Record {
	next := Record{failures: r.failures + 1, failingSince: r.failingSince, lastErr: o.Err}
	if next.lastErr == "" {
		next.lastErr = "lookup failed"
	}
	if next.failingSince.IsZero() {
		next.failingSince = now
	}
	if r.keepsGood(p, now) {
		next.addrs, next.expires = r.addrs, r.expires
	} else if r.empty && o.Kind != NXDomain {
		// A name known to have no addresses of this type stays so while
		// its upstream fails: failing changes nothing for the answer.
		next.empty, next.expires = true, r.expires
	}
	next.refreshAt = now.Add(backoff(next.failures))
	return next
}

// keepsGood says whether r holds a good set still servable at now.
func (r Record) keepsGood(p Policy, now time.Time) bool {
	return len(r.addrs) > 0 && now.Before(r.expires.Add(p.MaxStale))
}

// Decide says what r allows serving at now.
func (r Record) Decide(p Policy, now time.Time) Decision {
	p = p.WithDefaults()
	d := Decision{Err: r.lastErr, FailingSince: r.failingSince}
	switch {
	case len(r.addrs) > 0 && now.Before(r.expires):
		d.State, d.Addrs, d.TTL = Fresh, r.addrs, r.expires.Sub(now)
	case r.keepsGood(p, now):
		d.State, d.Addrs, d.TTL = Stale, r.addrs, p.StaleTTL
	case r.empty:
		d.State, d.TTL = Empty, max(r.expires.Sub(now), 0)
	default:
		d.State = Unresolved
		if len(r.addrs) > 0 && d.Err == "" {
			d.Err = "addresses expired and not refreshed"
		}
	}
	return d
}

// NextChange is the first instant after now at which Decide's state changes
// without any new outcome (a Fresh set turning Stale, a Stale set turning
// Unresolved); zero when none is coming.
func (r Record) NextChange(p Policy, now time.Time) time.Time {
	p = p.WithDefaults()
	if len(r.addrs) == 0 {
		return time.Time{}
	}
	if now.Before(r.expires) {
		return r.expires
	}
	if end := r.expires.Add(p.MaxStale); now.Before(end) {
		return end
	}
	return time.Time{}
}

// refreshAt is 3/4 of the TTL minus up to 1/8 of it, never sooner than
// RetryMin (the TTL is at least MinTTL, but MinTTL may be configured low).
func refreshAt(now time.Time, ttl time.Duration, jitter float64) time.Time {
	jitter = min(max(jitter, 0), 1)
	d := ttl*3/4 - time.Duration(jitter*float64(ttl/8))
	return now.Add(max(d, min(RetryMin, ttl)))
}

// backoff is the wait before retry number n of a failing family.
func backoff(n int) time.Duration {
	d := RetryMin
	for i := 1; i < n && d < RetryMax; i++ {
		d *= 2
	}
	return min(d, RetryMax)
}

// boundAddrs returns at most limit distinct valid addresses of in, sorted,
// in a new slice.
func boundAddrs(in []netip.Addr, limit int) []netip.Addr {
	out := make([]netip.Addr, 0, min(len(in), limit))
	for _, a := range in {
		if len(out) == limit {
			break
		}
		a = a.Unmap()
		if a.IsValid() && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, netip.Addr.Compare)
	return out
}
