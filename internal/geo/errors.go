package geo

import "errors"

// The errors this package returns wrap one of these, so callers can tell
// the cases apart with errors.Is; the wrapping text says what to fix.
var (
	// ErrInvalidPoint: a latitude or longitude out of range.
	ErrInvalidPoint = errors.New("geo: invalid point")
	// ErrInvalidPrefix: an entry's prefix is not a valid CIDR prefix.
	ErrInvalidPrefix = errors.New("geo: invalid prefix")
	// ErrAreaOutOfRange: an entry names an area index outside the names.
	ErrAreaOutOfRange = errors.New("geo: area index out of range")
	// ErrDuplicatePrefix: two entries list the same prefix (after masking
	// the host bits and reading IPv4-mapped IPv6 prefixes as IPv4).
	ErrDuplicatePrefix = errors.New("geo: duplicate prefix")
	// ErrTooLarge: more entries or names than a table holds.
	ErrTooLarge = errors.New("geo: table too large")
	// ErrNamesDiffer: the two tables of a Chain do not share one names list.
	ErrNamesDiffer = errors.New("geo: tables have different area names")
	// ErrNoCoordinates: Nearest was asked to place a location it has no
	// point for.
	ErrNoCoordinates = errors.New("geo: no coordinates")
)
