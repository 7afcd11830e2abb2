package rrl

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// refLimiter is a deliberately naive RRL, written as BIND's manual words
// it and sharing no code with Limiter: a map from an account's name in
// text to a credit balance in nanoseconds of time, earned as time passes,
// never above Rate responses' worth, debited one response's worth per
// response, never below Window; a response is sent when the balance is not
// negative after paying.
type refLimiter struct {
	c        Config
	cost     int64 // one response, in ns
	accounts map[string]*refAccount
}

type refAccount struct {
	credit, last int64
	limited      int
}

func newRef(c Config) *refLimiter {
	cost := int64(time.Second) / int64(c.Rate)
	if int64(time.Second)%int64(c.Rate) != 0 {
		cost++
	}
	return &refLimiter{c: c, cost: cost, accounts: map[string]*refAccount{}}
}

// account names the account of a response in text.
func (r *refLimiter) account(a netip.Addr, class Class, name string) string {
	a = a.Unmap()
	bits := r.c.IPv6Prefix
	if a.Is4() {
		bits = r.c.IPv4Prefix
	}
	p, _ := a.Prefix(bits)
	if class == Error {
		name = ""
	}
	return fmt.Sprintf("%v %v %s", p, class, strings.ToLower(name))
}

func (r *refLimiter) decide(now int64, a netip.Addr, class Class, name string) Action {
	full := r.cost * int64(r.c.Rate)
	k := r.account(a, class, name)
	acc := r.accounts[k]
	if acc == nil {
		acc = &refAccount{credit: full, last: now}
		r.accounts[k] = acc
	}
	acc.credit = min(acc.credit+(now-acc.last), full) - r.cost
	acc.credit = max(acc.credit, -int64(r.c.Window))
	acc.last = now
	if acc.credit >= 0 {
		return Send
	}
	acc.limited++
	if r.c.Slip > 0 && acc.limited%r.c.Slip == 0 {
		return Slip
	}
	return Drop
}

// arrival is one response in a generated trace.
type arrival struct {
	now  int64
	addr netip.Addr
	cl   Class
	name string
}

// Addresses: /24 and /56 neighbours, other networks, a mapped address.
var propAddrs = []string{"192.0.2.1", "192.0.2.77", "198.51.100.9", "::ffff:192.0.2.5",
	"2001:db8:0:1::1", "2001:db8:0:2:abcd::9", "2001:db8:1::1"}
var propNames = []string{"www.example.test.", "WWW.example.TEST.", "api.example.test.", "example.test."}

func genConfig(t *rapid.T) Config {
	c := Defaults()
	c.Rate = rapid.IntRange(1, 40).Draw(t, "rate")
	c.Slip = rapid.IntRange(0, 4).Draw(t, "slip")
	c.Window = time.Duration(rapid.IntRange(1, 4).Draw(t, "window_s")) * time.Second
	c.TableSize = 1 << 12
	return c
}

func genTrace(t *rapid.T) []arrival {
	n := rapid.IntRange(1, 400).Draw(t, "n")
	// Gaps mostly shorter than one response's cost at the rates drawn, so
	// accounts go in and out of debt; now and then a long pause.
	gap := rapid.OneOf(rapid.Int64Range(0, int64(20*time.Millisecond)), rapid.Int64Range(0, int64(6*time.Second)))
	now := t0
	trace := make([]arrival, n)
	for i := range trace {
		now += gap.Draw(t, "gap")
		trace[i] = arrival{
			now:  now,
			addr: netip.MustParseAddr(rapid.SampledFrom(propAddrs).Draw(t, "addr")),
			cl:   Class(rapid.IntRange(0, int(classCount)-1).Draw(t, "class")),
			name: rapid.SampledFrom(propNames).Draw(t, "name"),
		}
	}
	return trace
}

// limiterWithoutCollisions builds a Limiter whose table holds each of the
// trace's accounts in a bucket of its own.
func limiterWithoutCollisions(t *rapid.T, c Config, ref *refLimiter, trace []arrival) *Limiter {
	for range 100 {
		l, err := New(c)
		if err != nil {
			t.Fatal(err)
		}
		owner := map[uint64]string{}
		ok := true
		for _, a := range trace {
			i, k := l.index(a.addr, a.cl, []byte(a.name)), ref.account(a.addr, a.cl, a.name)
			if o, seen := owner[i]; seen && o != k {
				ok = false
				break
			}
			owner[i] = k
		}
		if ok {
			return l
		}
	}
	t.Fatal("no seed of 100 kept the accounts apart")
	return nil
}

// TestLimiterMatchesReference: on any trace, every action equals the naive
// reference's, so accounts are keyed by network, class and case-free name
// as documented, /24 and /56 neighbours share one, and the slip ratio is
// exact.
func TestLimiterMatchesReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := genConfig(t)
		trace := genTrace(t)
		ref := newRef(c)
		l := limiterWithoutCollisions(t, c, ref, trace)
		for i, a := range trace {
			got, want := l.Decide(a.now, a.addr, a.cl, []byte(a.name)), ref.decide(a.now, a.addr, a.cl, a.name)
			if got != want {
				t.Fatalf("response %d (%+v): %v, reference says %v", i, a, got, want)
			}
		}
	})
}

// TestSendsWithinBound holds the package doc's bound: the sends of one
// account over any interval I between two of its sends are at most
// ⌊I/T⌋ + Rate, T = ⌈1s/Rate⌉, however the responses arrive.
func TestSendsWithinBound(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := genConfig(t)
		trace := genTrace(t)
		ref := newRef(c)
		l := limiterWithoutCollisions(t, c, ref, trace)
		sends := map[string][]int64{}
		for _, a := range trace {
			if l.Decide(a.now, a.addr, a.cl, []byte(a.name)) == Send {
				k := ref.account(a.addr, a.cl, a.name)
				sends[k] = append(sends[k], a.now)
			}
		}
		for k, ts := range sends {
			for i := range ts {
				for j := i; j < len(ts); j++ {
					n, interval := int64(j-i+1), ts[j]-ts[i]
					if bound := interval/ref.cost + int64(c.Rate); n > bound {
						t.Fatalf("account %s: %d sends in %v, bound %d", k, n, time.Duration(interval), bound)
					}
				}
			}
		}
	})
}

// TestAccountsAreIndependent: each account alone on a fresh table with the
// same seed gets the same actions as when all share one table, unless
// their buckets collide (which the generator's Limiter excludes).
func TestAccountsAreIndependent(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := genConfig(t)
		trace := genTrace(t)
		ref := newRef(c)
		shared := limiterWithoutCollisions(t, c, ref, trace)
		alone := map[string]*Limiter{}
		for i, a := range trace {
			k := ref.account(a.addr, a.cl, a.name)
			own := alone[k]
			if own == nil {
				own = &Limiter{}
				*own = *shared
				own.table = make([]bucket, len(shared.table))
				alone[k] = own
			}
			got, want := shared.Decide(a.now, a.addr, a.cl, []byte(a.name)), own.Decide(a.now, a.addr, a.cl, []byte(a.name))
			if got != want {
				t.Fatalf("response %d (%+v) with others: %v, alone: %v", i, a, got, want)
			}
		}
	})
}

// TestPacedClientsAreNeverLimited: an account asked no faster than Rate a
// second is always sent, whatever its pauses.
func TestPacedClientsAreNeverLimited(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := genConfig(t)
		l, err := New(c)
		if err != nil {
			t.Fatal(err)
		}
		cost := int64(time.Second)/int64(c.Rate) + 1
		now := t0
		for i := range rapid.IntRange(1, 300).Draw(t, "n") {
			now += cost + rapid.Int64Range(0, int64(3*time.Second)).Draw(t, "extra")
			if a := l.Decide(now, client, Answer, www); a != Send {
				t.Fatalf("response %d, paced under the rate: %v", i, a)
			}
		}
	})
}
