//go:build linux

package benchkit

import (
	"strconv"
	"time"
)

// Seconds is a duration flag that also takes a bare number of seconds, as
// every bench's --duration does: fs.Var((*benchkit.Seconds)(&d), ...).
type Seconds time.Duration

func (s *Seconds) String() string { return time.Duration(*s).String() }

// Set reads "5" as five seconds, or a Go duration such as "500ms".
func (s *Seconds) Set(v string) error {
	if n, err := strconv.ParseFloat(v, 64); err == nil {
		*s = Seconds(n * float64(time.Second))
		return nil
	}
	d, err := time.ParseDuration(v)
	*s = Seconds(d)
	return err
}
