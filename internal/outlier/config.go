package outlier

import (
	"errors"
	"fmt"
	"time"
)

// Config tunes one Detector. A zero field takes its default.
type Config struct {
	// Consecutive is how many failures in a row, with no success between
	// them, eject an endpoint (default 5, as Envoy's consecutive_5xx).
	// Fewer would eject on the few resets any healthy origin produces under
	// load; many more would let a dead region cost that many failed tries.
	Consecutive int
	// BaseEjection is how long the first ejection lasts (default 30s). The
	// n-th ejection in a row lasts n times as long, up to MaxEjection, so a
	// flapping endpoint is tried less and less often.
	BaseEjection time.Duration
	// MaxEjection caps one ejection (default 300s, or BaseEjection when
	// that is longer). An endpoint is never kept out longer than this
	// without being tried again.
	MaxEjection time.Duration
	// MaxEjectedPercent is the largest share of the endpoints, in percent,
	// that may be ejected at once (default 50). The share is rounded down,
	// but one endpoint may always be ejected when there are at least two,
	// and one always stays in: see Allowed.
	MaxEjectedPercent int
}

// Defaults; see the fields of Config for why.
const (
	DefaultConsecutive       = 5
	DefaultBaseEjection      = 30 * time.Second
	DefaultMaxEjection       = 300 * time.Second
	DefaultMaxEjectedPercent = 50
)

// MaxEjectionLimit bounds MaxEjection (and so BaseEjection): an endpoint
// out for more than a day is a decision for an operator, not for passive
// detection, and the bound keeps the duration arithmetic far from overflow.
const MaxEjectionLimit = 24 * time.Hour

// MaxEndpoints bounds the endpoint names one Detector tracks: a service
// with more endpoints than this is a configuration error, not a case the
// per-request ejection count (linear in the endpoints) should serve.
const MaxEndpoints = 4096

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	if c.Consecutive == 0 {
		c.Consecutive = DefaultConsecutive
	}
	if c.BaseEjection == 0 {
		c.BaseEjection = DefaultBaseEjection
	}
	if c.MaxEjection == 0 {
		c.MaxEjection = max(DefaultMaxEjection, c.BaseEjection)
	}
	if c.MaxEjectedPercent == 0 {
		c.MaxEjectedPercent = DefaultMaxEjectedPercent
	}
	return c
}

// Validate reports every field out of range, joined. It does not apply the
// defaults: call it on c.WithDefaults().
func (c Config) Validate() error {
	var errs []error
	if c.Consecutive < 1 {
		errs = append(errs, fmt.Errorf("outlier: consecutive must be at least 1, got %d", c.Consecutive))
	}
	if c.BaseEjection <= 0 {
		errs = append(errs, fmt.Errorf("outlier: base_ejection must be positive, got %s", c.BaseEjection))
	}
	if c.MaxEjection > MaxEjectionLimit {
		errs = append(errs, fmt.Errorf("outlier: max_ejection must be at most %s, got %s", MaxEjectionLimit, c.MaxEjection))
	}
	if c.MaxEjection < c.BaseEjection {
		errs = append(errs, fmt.Errorf("outlier: max_ejection (%s) must be at least base_ejection (%s)", c.MaxEjection, c.BaseEjection))
	}
	if c.MaxEjectedPercent < 1 || c.MaxEjectedPercent > 100 {
		errs = append(errs, fmt.Errorf("outlier: max_ejected_percent must be between 1 and 100, got %d", c.MaxEjectedPercent))
	}
	return errors.Join(errs...)
}

// Allowed is how many of n endpoints may be ejected at once under percent:
// n*percent/100 rounded down, but at least 1 and at most n-1 when n >= 2,
// and 0 when n < 2.
//
// At least one, as Envoy does, so that a small service (2 or 3 endpoints
// at 10%) can still eject its one dead endpoint. At most n-1, unlike
// Envoy, because a failover proxy with every endpoint ejected has nothing
// left to send to: the last endpoint standing is tried, and its failures
// still reach the health engine. With a single endpoint ejection would
// only turn the origin's own error into the proxy's, so there is none.
func Allowed(n, percent int) int {
	if n < 2 {
		return 0
	}
	return min(max(n*percent/100, 1), n-1)
}
