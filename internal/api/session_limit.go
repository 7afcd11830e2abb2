package api

import (
	"net/netip"
	"sync"
	"time"
)

// Login attempts per client. A token is 128 random bits, past guessing;
// the limit is for the hash an operator made of a weaker one, and it bounds
// the log lines a guesser can cause.
const (
	// loginBurst is how many login attempts a client may make at once.
	loginBurst = 5
	// loginRefill is how often a client gets one attempt back: after the
	// burst, five a minute.
	loginRefill = 12 * time.Second
	// maxLoginClients bounds the clients remembered; beyond it the one
	// whose last attempt is oldest is forgotten.
	maxLoginClients = 4096
)

// attempts is a token bucket of login attempts per client. Every attempt
// takes one before its token is checked, so parallel requests cannot race
// past the limit; a successful login gives it back. Time is an argument.
type attempts struct {
	mu       sync.Mutex
	byClient map[netip.Addr]bucket
	burst    int
	refill   time.Duration
	max      int
}

type bucket struct {
	left int       // attempts left at 'at'
	at   time.Time // when left was computed
}

func newAttempts(burst int, refill time.Duration, limit int) *attempts {
	return &attempts{byClient: make(map[netip.Addr]bucket), burst: burst, refill: refill, max: limit}
}

// take spends one attempt of client and reports whether there was one;
// when there was not, wait is how long until there is.
func (a *attempts) take(now time.Time, client netip.Addr) (ok bool, wait time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	b, known := a.byClient[client]
	if !known {
		if len(a.byClient) >= a.max {
			a.forgetOldest()
		}
		b = bucket{left: a.burst, at: now}
	}
	b = a.refilled(b, now)
	if b.left == 0 {
		a.byClient[client] = b
		return false, b.at.Add(a.refill).Sub(now)
	}
	b.left--
	a.byClient[client] = b
	return true, 0
}

// giveBack returns the attempt a successful login took.
func (a *attempts) giveBack(client netip.Addr) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if b, ok := a.byClient[client]; ok && b.left < a.burst {
		b.left++
		a.byClient[client] = b
	}
}

// refilled adds the attempts earned since b.at. A full bucket starts its
// refill clock now; a short one advances it by whole periods only, so no
// fraction of a period is lost.
func (a *attempts) refilled(b bucket, now time.Time) bucket {
	if b.left >= a.burst {
		return bucket{left: a.burst, at: now}
	}
	earned := 0
	if now.After(b.at) {
		earned = int(now.Sub(b.at) / a.refill)
	}
	if b.left+earned >= a.burst {
		return bucket{left: a.burst, at: now}
	}
	b.left += earned
	b.at = b.at.Add(time.Duration(earned) * a.refill)
	return b
}

// forgetOldest drops the client whose bucket was touched longest ago.
func (a *attempts) forgetOldest() {
	var oldest netip.Addr
	var at time.Time
	for c, b := range a.byClient {
		if at.IsZero() || b.at.Before(at) {
			oldest, at = c, b.at
		}
	}
	delete(a.byClient, oldest)
}

// clientOf is the client a request counts against: its IPv4 address, or
// the /64 of its IPv6 address (one host usually holds a whole /64). A
// remote address that does not parse counts as one shared client.
func clientOf(remoteAddr string) netip.Addr {
	ap, err := netip.ParseAddrPort(remoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	ip := ap.Addr().Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.Addr()
	}
	return ip
}
