package rrl

import (
	"errors"
	"fmt"
	"time"
)

// Bounds of the Config fields; Validate names the bound a field breaks.
const (
	MinRate       = 1
	MaxRate       = 100_000
	MaxSlip       = 100
	MinWindow     = time.Second
	MaxWindow     = time.Hour
	MinIPv4Prefix = 8
	MaxIPv4Prefix = 32
	MinIPv6Prefix = 16
	MaxIPv6Prefix = 128
	MinTableSize  = 16
	MaxTableSize  = 1 << 22
)

// Config sets a Limiter's limits. Start from Defaults: the zero Config is
// not valid (Rate 0), and Slip 0 has a meaning of its own.
type Config struct {
	// Rate is how many responses a second one account (client network,
	// class, name) may receive, sustained; an idle account may also burst
	// up to Rate at once (default 20, conservative: see the package doc;
	// 1 to 100000).
	Rate int
	// Slip makes every Slip-th limited response of an account go out
	// truncated (TC=1) instead of being dropped: 0 drops them all, 1
	// truncates them all (default 2, as BIND's slip; 0 to 100).
	Slip int
	// Window is how far behind an account may fall: its debt is capped at
	// Rate×Window responses, so it is answered again at most Window after
	// a flood ends (default 15s, as BIND's window; 1s to 1h).
	Window time.Duration
	// IPv4Prefix is how many leading bits of an IPv4 client address make
	// its network, the unit of accounting (default 24; 8 to 32).
	IPv4Prefix int
	// IPv6Prefix is the same for IPv6 clients (default 56, a typical end
	// site; 16 to 128).
	IPv6Prefix int
	// TableSize is how many accounts the table holds, a power of two; it
	// is allocated once, 16 bytes each (default 262144, 4 MiB, of the order
	// of Knot's table sizes; 16 to 4194304).
	TableSize int
}

// Defaults returns the default Config; the values and their reasons are in
// the package doc.
func Defaults() Config {
	return Config{
		Rate:       20,
		Slip:       2,
		Window:     15 * time.Second,
		IPv4Prefix: 24,
		IPv6Prefix: 56,
		TableSize:  1 << 18,
	}
}

// FieldError is one field out of its bounds: Validate's errors are these,
// joined, so a caller (the configuration) can name the field its own way.
type FieldError struct {
	Field string // as the configuration spells it: rate, slip, window…
	Got   any
	Want  string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("rrl: %s is %v, want %s", e.Field, e.Got, e.Want)
}

// Validate reports every field out of its bounds, joined (*FieldError
// each), each naming the field and what to set it to.
func (c Config) Validate() error {
	var errs []error
	def := Defaults()
	bad := func(field string, got any, want string) {
		errs = append(errs, &FieldError{Field: field, Got: got, Want: want})
	}
	if c.Rate < MinRate || c.Rate > MaxRate {
		bad("rate", c.Rate, fmt.Sprintf("responses per second from %d to %d (default %d)", MinRate, MaxRate, def.Rate))
	}
	if c.Slip < 0 || c.Slip > MaxSlip {
		bad("slip", c.Slip, fmt.Sprintf("0 (drop all limited responses) to %d (default %d)", MaxSlip, def.Slip))
	}
	if c.Window < MinWindow || c.Window > MaxWindow {
		bad("window", c.Window, fmt.Sprintf("a duration from %v to %v (default %v)", MinWindow, MaxWindow, def.Window))
	}
	if c.IPv4Prefix < MinIPv4Prefix || c.IPv4Prefix > MaxIPv4Prefix {
		bad("ipv4_prefix", c.IPv4Prefix, fmt.Sprintf("a prefix length from %d to %d (default %d)", MinIPv4Prefix, MaxIPv4Prefix, def.IPv4Prefix))
	}
	if c.IPv6Prefix < MinIPv6Prefix || c.IPv6Prefix > MaxIPv6Prefix {
		bad("ipv6_prefix", c.IPv6Prefix, fmt.Sprintf("a prefix length from %d to %d (default %d)", MinIPv6Prefix, MaxIPv6Prefix, def.IPv6Prefix))
	}
	if c.TableSize < MinTableSize || c.TableSize > MaxTableSize || c.TableSize&(c.TableSize-1) != 0 {
		bad("table_size", c.TableSize, fmt.Sprintf("a power of two from %d to %d (default %d)", MinTableSize, MaxTableSize, def.TableSize))
	}
	return errors.Join(errs...)
}
