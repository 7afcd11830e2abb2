package rrl

import (
	"net/netip"
	"testing"
	"time"
)

// FuzzConfig: New accepts exactly the configs within the documented
// bounds, and a Limiter it builds has the table asked for and answers.
func FuzzConfig(f *testing.F) {
	d := Defaults()
	f.Add(d.Rate, d.Slip, int64(d.Window), d.IPv4Prefix, d.IPv6Prefix, 1024)
	f.Add(0, -1, int64(0), 0, 0, 0)
	f.Add(MaxRate, MaxSlip, int64(MaxWindow), 32, 128, 16)
	f.Add(1, 0, int64(time.Second), 8, 16, 1000)
	f.Fuzz(func(t *testing.T, rate, slip int, window int64, v4, v6, table int) {
		c := Config{Rate: rate, Slip: slip, Window: time.Duration(window), IPv4Prefix: v4, IPv6Prefix: v6, TableSize: table}
		inBounds := rate >= MinRate && rate <= MaxRate && slip >= 0 && slip <= MaxSlip &&
			c.Window >= MinWindow && c.Window <= MaxWindow &&
			v4 >= MinIPv4Prefix && v4 <= MaxIPv4Prefix && v6 >= MinIPv6Prefix && v6 <= MaxIPv6Prefix &&
			table >= MinTableSize && table <= MaxTableSize && table&(table-1) == 0
		err := c.Validate()
		if (err == nil) != inBounds {
			t.Fatalf("%+v: Validate says %v, within bounds %v", c, err, inBounds)
		}
		if err != nil || table > 1<<14 { // larger tables are valid but slow to fuzz
			return
		}
		l, err := New(c)
		if err != nil {
			t.Fatalf("%+v: Validate passed, New: %v", c, err)
		}
		if len(l.table) != table {
			t.Fatalf("table of %d, want %d", len(l.table), table)
		}
		if a := l.Decide(t0, client, Answer, www); a != Send {
			t.Fatalf("first response of a fresh account: %v, want send", a)
		}
	})
}

// FuzzDecide drives Decide with arbitrary addresses, classes, names and
// times: it never panics, never allocates, never grows the table, and
// leaves the account's TAT no further ahead than Rate×T + Window.
func FuzzDecide(f *testing.F) {
	f.Add([]byte{192, 0, 2, 1}, byte(0), []byte("www.example.test."), t0, int64(0))
	f.Add([]byte(netip.MustParseAddr("2001:db8::1").AsSlice()), byte(2), []byte("\x07example\x04test\x00"), int64(-1), int64(1<<62))
	f.Add([]byte{}, byte(255), make([]byte, 600), int64(9223372036854775807), int64(-9223372036854775808))
	l, err := New(Config{Rate: 3, Slip: 2, Window: time.Second, IPv4Prefix: 24, IPv6Prefix: 56, TableSize: 64})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, addr []byte, class byte, name []byte, now, step int64) {
		a, _ := netip.AddrFromSlice(addr) // any other length: the zero Addr
		for i := range 4 {
			act := l.Decide(now, a, Class(class), name)
			if act > Drop {
				t.Fatalf("action %d", act)
			}
			b := &l.table[l.index(a, Class(class), name)]
			if tat := b.tat.Load(); tat > addSat(now, l.ceil) {
				t.Fatalf("call %d at %d: TAT %d is past now+Rate×T+Window %d", i, now, tat, addSat(now, l.ceil))
			}
			if step < 0 {
				step = -(step + 1) // never negative, MinInt64 included
			}
			now = addSat(now, step%int64(2*time.Second))
		}
		if n := testing.AllocsPerRun(2, func() { l.Decide(now, a, Class(class), name) }); n != 0 {
			t.Fatalf("Decide allocated %v times", n)
		}
		if len(l.table) != 64 {
			t.Fatalf("table grew to %d", len(l.table))
		}
	})
}
