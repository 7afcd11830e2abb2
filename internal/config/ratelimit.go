package config

import (
	"net/netip"
	"time"

	"outlast/internal/rrl"
)

// RateLimit is response rate limiting on the DNS listener's UDP answers,
// as Knot's and BIND's: a network that is sent more identical responses
// than Rate a second (a reflection attack aims them at a victim) gets some
// truncated and the rest dropped. Local: each node limits what it sends.
// Zero fields take internal/rrl's defaults.
type RateLimit struct {
	// Rate is the responses a second one network may receive of one kind
	// (one answer, or one zone's NXDOMAIN, NODATA or referral) (default
	// 20; 0 turns rate limiting off).
	Rate *int `yaml:"rate"`
	// Slip: every Slip-th limited response is sent truncated (TC=1, no
	// records), so a real client behind the address retries over TCP, and
	// the others are dropped (default 2; 0 drops them all, 1 truncates all).
	Slip *int `yaml:"slip"`
	// Window bounds how long a network's excess is remembered: a flooded
	// network is answered again at most this long after the flood stops
	// (default 15s).
	Window time.Duration `yaml:"window,nonzero"`
	// IPv4Prefix and IPv6Prefix are the network sizes one account covers
	// (default 24 and 56).
	IPv4Prefix int `yaml:"ipv4_prefix,nonzero"`
	IPv6Prefix int `yaml:"ipv6_prefix,nonzero"`
	// TableSize is the number of accounts kept, a power of two: memory is
	// 16 bytes each, allocated once whatever the traffic (default 262144).
	TableSize int `yaml:"table_size,nonzero"`
	// Exempt are client networks never limited (default: 127.0.0.0/8 and
	// ::1/128, the node's own host: its checks and a local resolver).
	Exempt []netip.Prefix `yaml:"exempt"`
}

// MaxRateLimitExempt bounds rate_limit.exempt, which every limited reply
// is checked against.
const MaxRateLimitExempt = 64

// DefaultRateLimitExempt is rate_limit.exempt's default: this host.
var DefaultRateLimitExempt = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// Enabled reports whether responses are rate limited.
func (r *RateLimit) Enabled() bool { return r.Rate == nil || *r.Rate > 0 }

// Limiter is the configuration internal/rrl takes; defaults fill what is unset.
func (r *RateLimit) Limiter() rrl.Config {
	c := rrl.Defaults()
	if r.Rate != nil {
		c.Rate = *r.Rate
	}
	if r.Slip != nil {
		c.Slip = *r.Slip
	}
	setNonZero(&c.Window, r.Window)
	setNonZero(&c.IPv4Prefix, r.IPv4Prefix)
	setNonZero(&c.IPv6Prefix, r.IPv6Prefix)
	setNonZero(&c.TableSize, r.TableSize)
	return c
}

func setNonZero[T comparable](dst *T, v T) {
	var zero T
	if v != zero {
		*dst = v
	}
}

func rateLimitDefaults(r *RateLimit) {
	if r.Exempt == nil {
		r.Exempt = DefaultRateLimitExempt
	}
}

func (v *validator) rateLimit(r *RateLimit) {
	if !r.Enabled() {
		if r.Rate != nil && *r.Rate < 0 {
			v.add("dns.rate_limit.rate", "must not be negative, got %d (0 turns rate limiting off)", *r.Rate)
		}
		return
	}
	if err := r.Limiter().Validate(); err != nil {
		errs := []error{err}
		if joined, ok := err.(interface{ Unwrap() []error }); ok {
			errs = joined.Unwrap()
		}
		for _, e := range errs {
			if fe, ok := e.(*rrl.FieldError); ok { // rrl names each field as this section does
				v.add("dns.rate_limit."+fe.Field, "is %v, want %s", fe.Got, fe.Want)
			} else {
				v.add("dns.rate_limit", "%v", e)
			}
		}
	}
	if len(r.Exempt) > MaxRateLimitExempt {
		v.add("dns.rate_limit.exempt", "%d networks; at most %d (they are checked for every reply)", len(r.Exempt), MaxRateLimitExempt)
	}
}
