package dnssec

import (
	"errors"
	"sync"
	"time"
)

// ErrDenialBudget is what DenyLimited returns when a denial would need a
// fresh signature and the zone's per-second allowance of them is spent.
var ErrDenialBudget = errors.New("dnssec: the zone's fresh denials for this second are spent (Options.DenialRate)")

// denialBudget is a token bucket of fresh signatures for denials of
// nonexistent names. A flood of random names costs one signature each,
// whatever rate limiting does with the replies afterwards (it judges a
// reply once it is built), so this bounds what a spoofed flood can make
// a node sign: Rate a second, up to Rate at once. Taken only on a cache
// miss, which costs a signature anyway, so a mutex is cheap here.
type denialBudget struct {
	mu     sync.Mutex
	rate   float64
	tokens float64
	last   time.Time
}

func newDenialBudget(rate int) *denialBudget {
	return &denialBudget{rate: float64(rate), tokens: float64(rate)}
}

// take spends one token at now, reporting whether there was one.
func (b *denialBudget) take(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.last.IsZero() {
		if d := now.Sub(b.last); d > 0 {
			b.tokens = min(b.rate, b.tokens+d.Seconds()*b.rate)
		}
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
