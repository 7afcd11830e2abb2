package balance

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Defaults of SlowStart, the same as Envoy's slow_start_config.
const (
	// DefaultAggression makes the ramp linear.
	DefaultAggression = 1.0
	// DefaultMinPercent is the floor of the ramp, in percent of the weight:
	// an endpoint that has just come back still gets a little traffic, so
	// the ramp is observed at all and a bad return shows up early.
	DefaultMinPercent = 10.0
)

// SlowStart configures the gradual return of an endpoint that comes back up.
// The zero value is off.
type SlowStart struct {
	// Window is how long an endpoint takes, after coming back up, to reach
	// its full weight (default 0: off).
	Window time.Duration
	// Aggression shapes the ramp: the factor is (elapsed/Window)^(1/Aggression),
	// so 1 is linear, above 1 returns traffic faster early on and below 1
	// slower (default 1; 0 means the default).
	Aggression float64
	// MinPercent is the least share of its weight an endpoint gets during
	// the window, in percent, in (0, 100] (default 10; 0 means the default).
	MinPercent float64
}

// Validate reports every field out of its range, naming the field.
func (s SlowStart) Validate() error {
	var errs []error
	if s.Window < 0 {
		errs = append(errs, fmt.Errorf("slow_start.window: %v is negative; use 0 to turn slow start off", s.Window))
	}
	if math.IsNaN(s.Aggression) || math.IsInf(s.Aggression, 0) || s.Aggression < 0 {
		errs = append(errs, fmt.Errorf("slow_start.aggression: %v is not a finite number >= 0; use 1 for a linear ramp (0 means 1)", s.Aggression))
	}
	if math.IsNaN(s.MinPercent) || s.MinPercent < 0 || s.MinPercent > 100 {
		errs = append(errs, fmt.Errorf("slow_start.min_percent: %v is outside 0..100; use e.g. 10 (0 means 10)", s.MinPercent))
	}
	return errors.Join(errs...)
}

// Factor is Ramp with s's settings.
func (s SlowStart) Factor(upSince, now time.Time) float64 {
	return Ramp(upSince, now, s.Window, s.Aggression, s.MinPercent)
}

// Ramp returns the factor in (0, 1] that scales the weight of an endpoint up
// since upSince, at now:
//
//	1                                                 if window <= 0 (off), upSince is zero, or now-upSince >= window
//	max(minPercent/100, (elapsed/window)^(1/aggression))  otherwise
//
// elapsed is now-upSince, taken as 0 if now is before upSince (another
// node's clock a little ahead): the endpoint then starts at the floor. The
// factor never decreases as now advances.
//
// Ramp never fails, so a caller on the request path needs no error check:
// an aggression that is not a finite number > 0 counts as 1, a minPercent
// that is not > 0 counts as 10 and one above 100 as 100. SlowStart.Validate
// rejects such values where the configuration is read.
func Ramp(upSince, now time.Time, window time.Duration, aggression, minPercent float64) float64 {
	if window <= 0 || upSince.IsZero() {
		return 1
	}
	elapsed := max(now.Sub(upSince), 0)
	if elapsed >= window {
		return 1
	}
	if !(aggression > 0) || math.IsInf(aggression, 1) {
		aggression = DefaultAggression
	}
	if !(minPercent > 0) {
		minPercent = DefaultMinPercent
	}
	floor := min(minPercent, 100) / 100
	x := float64(elapsed) / float64(window)
	if aggression != 1 {
		x = math.Pow(x, 1/aggression)
	}
	return max(floor, x)
}
