package config

import (
	"fmt"
	"strconv"
	"strings"
)

// Contains reports whether code lies in the range.
func (r StatusRange) Contains(code int) bool { return code >= r.Min && code <= r.Max }

func (r StatusRange) String() string {
	if r.Min == r.Max {
		return strconv.Itoa(r.Min)
	}
	return fmt.Sprintf("%d-%d", r.Min, r.Max)
}

// IsZero reports whether the range was left unset.
func (r StatusRange) IsZero() bool { return r.Min == 0 && r.Max == 0 }

// MarshalText writes "200-399" or "204", and nothing for an unset range.
func (r StatusRange) MarshalText() ([]byte, error) {
	if r.IsZero() {
		return nil, nil
	}
	return []byte(r.String()), nil
}

// UnmarshalText parses "200-399" or a single "204"; empty text is an unset range.
func (r *StatusRange) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "" {
		*r = StatusRange{}
		return nil
	}
	lo, hi, isRange := strings.Cut(s, "-")
	if !isRange {
		hi = lo
	}
	min, err1 := strconv.Atoi(strings.TrimSpace(lo))
	max, err2 := strconv.Atoi(strings.TrimSpace(hi))
	if err1 != nil || err2 != nil || min < 100 || max > 599 || min > max {
		return fmt.Errorf("status range %q must be a code or an inclusive range of codes between 100 and 599, such as 200-399", s)
	}
	r.Min, r.Max = min, max
	return nil
}
