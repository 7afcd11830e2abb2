package rrl

import (
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

const sec = int64(time.Second)

// t0 is an arbitrary start, far from zero as a real clock would be.
const t0 = int64(1_700_000_000) * sec

var (
	www    = []byte("www.example.test.")
	zone   = []byte("example.test.")
	client = netip.MustParseAddr("192.0.2.1")
)

// mustNew builds a Limiter from c, failing the test if c is invalid.
func mustNew(t testing.TB, c Config) *Limiter {
	t.Helper()
	l, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// key is one account's arguments to Decide.
type key struct {
	addr  netip.Addr
	class Class
	name  []byte
}

// distinct builds Limiters from c until the keys land in different
// buckets, so a test of independence is not undone by a chance collision.
func distinct(t testing.TB, c Config, keys ...key) *Limiter {
	t.Helper()
	for range 100 {
		l := mustNew(t, c)
		seen := map[uint64]bool{}
		for _, k := range keys {
			seen[l.index(k.addr, k.class, k.name)] = true
		}
		if len(seen) == len(keys) {
			return l
		}
	}
	t.Fatalf("keys %v share a bucket under 100 seeds: they are one account", keys)
	return nil
}

func cfg(rate, slip int) Config {
	c := Defaults()
	c.Rate, c.Slip = rate, slip
	return c
}

// actions calls Decide n times at now and spells the result: one letter
// per response, S send, T slip (truncated), D drop.
func actions(l *Limiter, n int, now int64, k key) string {
	var b strings.Builder
	for range n {
		b.WriteByte("STD"[l.Decide(now, k.addr, k.class, k.name)])
	}
	return b.String()
}

func TestDecideBurstThenSlipRatio(t *testing.T) {
	k := key{client, Answer, www}
	for _, c := range []struct {
		name       string
		rate, slip int
		want       string
	}{
		{"slip 2 (default)", 5, 2, "SSSSS" + "DTDTDTDT"},
		{"slip 0 drops all", 5, 0, "SSSSS" + "DDDDDDDD"},
		{"slip 1 truncates all", 5, 1, "SSSSS" + "TTTTTTTT"},
		{"slip 3", 5, 3, "SSSSS" + "DDTDDTDD"},
		{"rate 1", 1, 2, "S" + "DTDTDTDTDTDT"},
		{"rate 3 (1s/3 rounds up)", 3, 2, "SSS" + "DTDTDTDTDT"},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := mustNew(t, cfg(c.rate, c.slip))
			if got := actions(l, len(c.want), t0, k); got != c.want {
				t.Errorf("at one instant got %s, want %s", got, c.want)
			}
		})
	}
}

func TestDecideUnderRateAlwaysSends(t *testing.T) {
	l := mustNew(t, Defaults())
	for i := range 1000 { // 50 s at exactly 20 a second
		now := t0 + int64(i)*sec/20
		if a := l.Decide(now, client, Answer, www); a != Send {
			t.Fatalf("response %d at the configured rate: %v, want send", i, a)
		}
	}
}

func TestDecideRefillsWithTime(t *testing.T) {
	l := mustNew(t, cfg(10, 2))
	k := key{client, Answer, www}
	if got := actions(l, 11, t0, k); got != "SSSSSSSSSSD" {
		t.Fatalf("burst: %s", got)
	}
	// One response's cost later (100 ms) one more is allowed: the drop
	// above took one credit too, so the account is one behind.
	if got := actions(l, 1, t0+sec/10, k); got != "T" {
		t.Errorf("after 100 ms, one response still owed: %s, want T", got)
	}
	if got := actions(l, 2, t0+3*sec/10, k); got != "SD" {
		t.Errorf("after 300 ms: %s, want SD", got)
	}
	// A full second later the whole burst is back, and no more.
	if got := actions(l, 11, t0+5*sec, k); got != "SSSSSSSSSST" {
		t.Errorf("after 5 s: %s, want 10 sends then a limited one", got)
	}
}

func TestIdleCreditIsCappedAtOneSecond(t *testing.T) {
	l := mustNew(t, Defaults())
	k := key{client, Answer, www}
	actions(l, 5, t0, k)
	// An hour idle earns no more than Rate (BIND: credit never exceeds
	// the per-second limit); Window bounds debt, not credit.
	got := actions(l, 21, t0+3600*sec, k)
	if got != strings.Repeat("S", 20)+"D" {
		t.Errorf("after an hour idle: %s, want 20 sends then a drop", got)
	}
}

func TestDebtIsCappedAtWindow(t *testing.T) {
	c := Defaults()
	l := mustNew(t, c)
	k := key{client, Answer, www}
	// A minute's flood at 1000 a second, four times the window.
	end := t0 + 60*sec
	for now := t0; now < end; now += sec / 1000 {
		l.Decide(now, k.addr, k.class, k.name)
	}
	last := end - sec/1000
	cost := sec / int64(c.Rate)
	recover := last + int64(c.Window) + cost
	if a := l.Decide(recover-1, k.addr, k.class, k.name); a == Send {
		t.Errorf("1 ns before Window+1/Rate after the flood: sent, want limited")
	}
	// That limited probe cost a response too; the account is answered
	// again one cost later, not a minute's debt later.
	if a := l.Decide(recover+cost, k.addr, k.class, k.name); a != Send {
		t.Errorf("Window+2/Rate after a minute's flood: %v, want send (debt capped at Window)", a)
	}
}

func TestClockGoingBackSilencesAtMostWindow(t *testing.T) {
	c := Defaults()
	l := mustNew(t, c)
	k := key{client, Answer, www}
	actions(l, 1000, t0+3600*sec, k) // deep in debt at a time an hour ahead
	back := t0
	if a := l.Decide(back, k.addr, k.class, k.name); a == Send {
		t.Fatalf("right after the step back: sent, want limited")
	}
	if a := l.Decide(back+int64(c.Window)+sec, k.addr, k.class, k.name); a != Send {
		t.Errorf("Window+1s after the clock went back an hour: %v, want send", a)
	}
}

func TestNeighboursShareAnAccount(t *testing.T) {
	for _, c := range []struct {
		name        string
		first, near string // near is in first's network
		far         string // far is not
	}{
		{"IPv4 /24", "192.0.2.1", "192.0.2.254", "192.0.3.1"},
		{"IPv4-mapped is IPv4", "::ffff:192.0.2.7", "192.0.2.8", "::ffff:198.51.100.1"},
		{"IPv6 /56", "2001:db8:0:ff::1", "2001:db8:0:1:ffff::2", "2001:db8:0:100::1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			first, near, far := netip.MustParseAddr(c.first), netip.MustParseAddr(c.near), netip.MustParseAddr(c.far)
			l := distinct(t, cfg(5, 0), key{first, Answer, www}, key{far, Answer, www})
			actions(l, 5, t0, key{first, Answer, www})
			if got := actions(l, 1, t0, key{near, Answer, www}); got != "D" {
				t.Errorf("%s after %s used the credit: %s, want D (one account)", c.near, c.first, got)
			}
			if got := actions(l, 5, t0, key{far, Answer, www}); got != "SSSSS" {
				t.Errorf("%s, another network: %s, want SSSSS", c.far, got)
			}
		})
	}
}

func TestAccountsByClassAndName(t *testing.T) {
	other := []byte("other.example.test.")
	l := distinct(t, cfg(3, 0),
		key{client, Answer, www}, key{client, Answer, other},
		key{client, NXDomain, zone}, key{client, Error, nil})
	actions(l, 3, t0, key{client, Answer, www})
	for _, c := range []struct {
		name string
		k    key
		want string
	}{
		{"same name in other case (0x20)", key{client, Answer, []byte("WwW.ExAmPlE.TeSt.")}, "D"},
		{"another name", key{client, Answer, other}, "SSSD"},
		{"another class", key{client, NXDomain, zone}, "SSSD"},
		{"errors ignore the name", key{client, Error, []byte("a.")}, "SSS"},
		{"so a second error name shares it", key{client, Error, []byte("b.")}, "D"},
		{"unknown class counts as error", key{client, Class(200), []byte("c.")}, "D"},
	} {
		if got := actions(l, len(c.want), t0, c.k); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

func TestLongNamesAreCutAt255(t *testing.T) {
	l := mustNew(t, cfg(1, 0))
	long := []byte(strings.Repeat("a", 300))
	actions(l, 1, t0, key{client, Answer, long})
	if got := actions(l, 1, t0, key{client, Answer, long[:maxName]}); got != "D" {
		t.Errorf("a name's first 255 bytes are its key: %s, want D", got)
	}
}

func TestNilLimiterSends(t *testing.T) {
	var l *Limiter
	if a := l.Decide(t0, client, Answer, www); a != Send {
		t.Errorf("nil Limiter: %v, want send (RRL off)", a)
	}
}

func TestDefaultsAreValid(t *testing.T) {
	if err := Defaults().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestValidateNamesEveryBadField(t *testing.T) {
	for _, c := range []struct {
		name  string
		edit  func(*Config)
		wants []string
	}{
		{"zero config", func(c *Config) { *c = Config{} }, []string{"rate is 0", "window is 0s", "ipv4_prefix is 0", "ipv6_prefix is 0", "table_size is 0"}},
		{"rate high", func(c *Config) { c.Rate = MaxRate + 1 }, []string{"rate is 100001, want responses per second from 1 to 100000"}},
		{"slip negative", func(c *Config) { c.Slip = -1 }, []string{"slip is -1"}},
		{"slip high", func(c *Config) { c.Slip = 101 }, []string{"slip is 101"}},
		{"window short", func(c *Config) { c.Window = time.Millisecond }, []string{"window is 1ms, want a duration from 1s to 1h0m0s"}},
		{"window long", func(c *Config) { c.Window = 2 * time.Hour }, []string{"window is 2h0m0s"}},
		{"ipv4 /33", func(c *Config) { c.IPv4Prefix = 33 }, []string{"ipv4_prefix is 33, want a prefix length from 8 to 32"}},
		{"ipv6 /129", func(c *Config) { c.IPv6Prefix = 129 }, []string{"ipv6_prefix is 129"}},
		{"table not a power of two", func(c *Config) { c.TableSize = 1000 }, []string{"table_size is 1000, want a power of two"}},
		{"table too large", func(c *Config) { c.TableSize = MaxTableSize * 2 }, []string{"table_size is 8388608"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			conf := Defaults()
			c.edit(&conf)
			err := conf.Validate()
			if err == nil {
				t.Fatal("valid, want an error")
			}
			for _, w := range c.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if _, nerr := New(conf); nerr == nil {
				t.Error("New accepted a config Validate refuses")
			}
		})
	}
	edge := Config{Rate: MaxRate, Slip: 0, Window: MaxWindow, IPv4Prefix: MaxIPv4Prefix, IPv6Prefix: MinIPv6Prefix, TableSize: MinTableSize}
	if err := edge.Validate(); err != nil {
		t.Errorf("bounds themselves refused: %v", err)
	}
}

// TestDecideAllocatesNothing holds the query path's promise.
func TestDecideAllocatesNothing(t *testing.T) {
	l := mustNew(t, Defaults())
	v6 := netip.MustParseAddr("2001:db8::1")
	long := []byte(strings.Repeat("x", 400))
	for _, c := range []key{
		{client, Answer, www}, {v6, NXDomain, zone}, {client, Error, nil},
		{netip.Addr{}, Large, long}, {netip.MustParseAddr("::ffff:10.0.0.1"), Referral, zone},
	} {
		now := t0
		if n := testing.AllocsPerRun(200, func() { now += sec / 100; l.Decide(now, c.addr, c.class, c.name) }); n != 0 {
			t.Errorf("Decide(%v, %v, %d-byte name): %v allocations, want 0", c.addr, c.class, len(c.name), n)
		}
	}
}

// TestConcurrentDecideChargesEveryResponse has many goroutines charge one
// account at one instant: exactly Rate are sent and exactly every Slip-th
// of the rest is slipped, so no charge was lost between goroutines.
func TestConcurrentDecideChargesEveryResponse(t *testing.T) {
	// The largest rate, so most calls race through the burst, where a
	// lost update would send one response too many.
	const workers, each = 8, 20000
	c := cfg(MaxRate, 3)
	l := mustNew(t, c)
	var counts [3][workers]int
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for range each {
				counts[l.Decide(t0, client, Answer, www)][w]++
			}
		})
	}
	wg.Wait()
	var sum [3]int
	for a := range counts {
		for w := range workers {
			sum[a] += counts[a][w]
		}
	}
	limited := workers*each - c.Rate
	if sum[Send] != c.Rate || sum[Slip] != limited/c.Slip || sum[Drop] != limited-limited/c.Slip {
		t.Errorf("sent %d, slipped %d, dropped %d; want %d, %d, %d", sum[Send], sum[Slip], sum[Drop], c.Rate, limited/c.Slip, limited-limited/c.Slip)
	}
}

// TestConcurrentDecideManyAccounts runs Decide from many goroutines over
// many accounts with a moving clock, for the race detector, and checks
// each goroutine's own network stayed within its bound.
func TestConcurrentDecideManyAccounts(t *testing.T) {
	const workers, each = 8, 5000
	c := Defaults()
	l := mustNew(t, c)
	var wg sync.WaitGroup
	sent := make([]int, workers)
	for w := range workers {
		wg.Go(func() {
			own := netip.AddrFrom4([4]byte{10, byte(w), 0, 1})
			shared := netip.AddrFrom4([4]byte{192, 0, 2, byte(w)})
			for i := range each {
				now := t0 + int64(i)*sec/1000 // 5 s at 1000 a second
				if l.Decide(now, own, Answer, www) == Send {
					sent[w]++
				}
				l.Decide(now, shared, NXDomain, zone)
			}
		})
	}
	wg.Wait()
	// 5 s of 1000 a second: at most 5×Rate + Rate sent (more only if two
	// networks collide, which only limits more).
	for w, n := range sent {
		if n > 6*c.Rate {
			t.Errorf("worker %d's network was sent %d responses in 5 s, want at most %d", w, n, 6*c.Rate)
		}
	}
}
