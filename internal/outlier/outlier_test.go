package outlier

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func mustNew(t *testing.T, cfg Config, names ...string) *Detector {
	t.Helper()
	d, err := New(cfg, names)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return d
}

// fail reports n failures of name at now and returns the last Change.
func fail(d *Detector, name string, n int, now time.Time) Change {
	var c Change
	for range n {
		c = d.Result(name, false, now)
	}
	return c
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string // substring of the error, "" for none
	}{
		{Config{}, ""},
		{Config{Consecutive: 1, BaseEjection: time.Second, MaxEjection: time.Second, MaxEjectedPercent: 100}, ""},
		{Config{Consecutive: -1}, "outlier: consecutive must be at least 1, got -1"},
		{Config{BaseEjection: -time.Second}, "base_ejection must be positive"},
		{Config{BaseEjection: time.Minute, MaxEjection: time.Second}, "max_ejection (1s) must be at least base_ejection (1m0s)"},
		{Config{BaseEjection: 48 * time.Hour}, "max_ejection must be at most 24h0m0s, got 48h0m0s"},
		{Config{MaxEjection: 1<<63 - 1}, "max_ejection must be at most 24h0m0s"},
		{Config{MaxEjectedPercent: 101}, "max_ejected_percent must be between 1 and 100, got 101"},
		{Config{MaxEjectedPercent: -5}, "got -5"},
	} {
		err := tc.cfg.WithDefaults().Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%+v: %v", tc.cfg, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%+v: error %v, want one containing %q", tc.cfg, err, tc.want)
		}
	}
	if err := (Config{}).Validate(); err == nil || !strings.Contains(err.Error(), "consecutive must be at least 1, got 0") {
		t.Errorf("zero Config without defaults: %v", err)
	}
}

func TestDefaults(t *testing.T) {
	got := Config{}.WithDefaults()
	want := Config{Consecutive: 5, BaseEjection: 30 * time.Second, MaxEjection: 300 * time.Second, MaxEjectedPercent: 50}
	if got != want {
		t.Errorf("defaults %+v, want %+v", got, want)
	}
	if got := (Config{BaseEjection: 10 * time.Minute}).WithDefaults().MaxEjection; got != 10*time.Minute {
		t.Errorf("MaxEjection below a long BaseEjection: %s, want 10m", got)
	}
}

func TestNewRejects(t *testing.T) {
	many := make([]string, MaxEndpoints+1)
	for i := range many {
		many[i] = fmt.Sprint(i)
	}
	for _, tc := range []struct {
		names []string
		want  string
	}{
		{[]string{"a", ""}, "empty"},
		{[]string{"a", "b", "a"}, `"a" listed twice`},
		{many, "at most 4096"},
	} {
		if _, err := New(Config{}, tc.names); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%d names: error %v, want %q", len(tc.names), err, tc.want)
		}
	}
	if _, err := New(Config{Consecutive: -2}, []string{"a"}); err == nil {
		t.Error("New accepted consecutive -2")
	}
}

func TestAllowed(t *testing.T) {
	for _, tc := range []struct{ n, percent, want int }{
		{0, 50, 0}, {1, 50, 0}, {1, 100, 0},
		{2, 50, 1}, {2, 10, 1}, {2, 100, 1},
		{3, 50, 1}, {3, 67, 2}, {3, 100, 2},
		{10, 50, 5}, {10, 10, 1}, {10, 5, 1}, {10, 99, 9}, {10, 100, 9},
	} {
		if got := Allowed(tc.n, tc.percent); got != tc.want {
			t.Errorf("Allowed(%d, %d%%) = %d, want %d", tc.n, tc.percent, got, tc.want)
		}
	}
}

func TestConsecutiveFailuresEject(t *testing.T) {
	d := mustNew(t, Config{}, "a", "b")
	if c := fail(d, "a", 4, t0); c != (Change{}) || d.Ejected("a", t0) {
		t.Fatalf("4 failures: change %+v, ejected %v; want neither", c, d.Ejected("a", t0))
	}
	c := d.Result("a", false, t0)
	want := Change{Name: "a", Ejected: true, At: t0, Until: t0.Add(30 * time.Second)}
	if c != want {
		t.Fatalf("5th failure: %+v, want %+v", c, want)
	}
	if !d.Ejected("a", t0.Add(29*time.Second)) || d.Ejected("a", t0.Add(30*time.Second)) {
		t.Error("ejection should hold for exactly 30s")
	}
	if d.Ejected("b", t0) {
		t.Error("b ejected without failures")
	}
}

func TestSuccessResets(t *testing.T) {
	d := mustNew(t, Config{}, "a", "b")
	fail(d, "a", 4, t0)
	d.Result("a", true, t0)
	if c := fail(d, "a", 4, t0); c.Ejected {
		t.Fatal("ejected after 4 failures, a success and 4 failures")
	}
	if c := d.Result("a", false, t0); !c.Ejected {
		t.Fatal("not ejected after 5 failures in a row")
	}
}

func TestEjectionGrowth(t *testing.T) {
	for _, tc := range []struct {
		base, max time.Duration
		want      []time.Duration
	}{
		{30 * time.Second, 300 * time.Second, []time.Duration{30, 60, 90, 120, 150}},
		{30 * time.Second, 100 * time.Second, []time.Duration{30, 60, 90, 100, 100, 100}},
		{30 * time.Second, 30 * time.Second, []time.Duration{30, 30, 30}},
	} {
		d := mustNew(t, Config{BaseEjection: tc.base, MaxEjection: tc.max}, "a", "b")
		now := t0
		for i, w := range tc.want {
			c := fail(d, "a", 5, now)
			if got := c.Until.Sub(now); !c.Ejected || got != w*time.Second {
				t.Errorf("base %s max %s, ejection %d: %+v lasting %s, want %ds", tc.base, tc.max, i+1, c, got, w)
			}
			now = c.Until // fails again the moment it returns
		}
	}
}

func TestMultiplierDecay(t *testing.T) {
	d := mustNew(t, Config{}, "a", "b")
	now := t0
	for range 3 {
		now = fail(d, "a", 5, now).Until
	}
	// Back at now with multiplier 3; healthy for two whole periods and a bit.
	now = now.Add(2*30*time.Second + 10*time.Second)
	if s := d.Snapshot(now)[0]; s.Multiplier != 1 || s.Ejections != 3 {
		t.Fatalf("after 70s healthy: %+v, want multiplier 1, ejections 3", s)
	}
	if c := fail(d, "a", 5, now); c.Until.Sub(now) != 60*time.Second {
		t.Fatalf("next ejection lasts %s, want 60s (multiplier 1+1)", c.Until.Sub(now))
	}
	// A long healthy stretch brings it back to the base time.
	now = now.Add(time.Hour)
	if c := fail(d, "a", 5, now); c.Until.Sub(now) != 30*time.Second {
		t.Fatalf("after an hour healthy the ejection lasts %s, want 30s", c.Until.Sub(now))
	}
}

func TestDecayPartialPeriodKeepsRemainder(t *testing.T) {
	d := mustNew(t, Config{}, "a", "b")
	now := t0
	for range 3 {
		now = fail(d, "a", 5, now).Until
	}
	// Two looks 20s apart each see less than a period; together they see 40s.
	d.Snapshot(now.Add(20 * time.Second))
	if s := d.Snapshot(now.Add(40 * time.Second))[0]; s.Multiplier != 2 {
		t.Fatalf("40s healthy in two looks: multiplier %d, want 2", s.Multiplier)
	}
}

func TestMaxEjectedPercent(t *testing.T) {
	for _, tc := range []struct{ n, percent, want int }{
		{2, 50, 1}, {3, 50, 1}, {10, 50, 5}, {10, 10, 1}, {3, 100, 2},
	} {
		names := make([]string, tc.n)
		for i := range names {
			names[i] = fmt.Sprintf("e%d", i)
		}
		d := mustNew(t, Config{MaxEjectedPercent: tc.percent}, names...)
		for _, n := range names {
			fail(d, n, 10, t0)
		}
		got := 0
		for _, n := range names {
			if d.Ejected(n, t0) {
				got++
			}
		}
		if got != tc.want {
			t.Errorf("%d endpoints at %d%%, all failing: %d ejected, want %d", tc.n, tc.percent, got, tc.want)
		}
	}
}

func TestRefusedEjectionRetriesOnNextFailure(t *testing.T) {
	d := mustNew(t, Config{}, "a", "b")
	until := fail(d, "a", 5, t0).Until
	if c := fail(d, "b", 7, t0); c.Ejected {
		t.Fatal("b ejected while a is out: 2 of 2")
	}
	// a is back; b's run of failures is still over the threshold, so its
	// next failure ejects it at once.
	if c := d.Result("b", false, until); !c.Ejected {
		t.Fatal("b not ejected on its next failure once a returned")
	}
}

func TestUnknownNamesIgnored(t *testing.T) {
	d := mustNew(t, Config{Consecutive: 1}, "a", "b")
	if c := fail(d, "zz", 10, t0); c != (Change{}) || d.Ejected("zz", t0) {
		t.Fatalf("unknown name: change %+v", c)
	}
	if len(d.Snapshot(t0)) != 2 || d.ejectedCount(t0) != 0 {
		t.Fatal("an unknown name changed the detector")
	}
}

func TestResultsWhileEjectedIgnored(t *testing.T) {
	d := mustNew(t, Config{}, "a", "b")
	c := fail(d, "a", 5, t0)
	// Late failures from requests sent before the ejection.
	if late := fail(d, "a", 20, t0.Add(time.Second)); late != (Change{}) {
		t.Fatalf("failure while ejected: %+v", late)
	}
	s := d.Snapshot(t0.Add(time.Second))[0]
	if s.Until != c.Until || s.Multiplier != 1 || s.ConsecutiveFailures != 0 {
		t.Fatalf("after late failures: %+v, want the first ejection unchanged", s)
	}
}

func TestSnapshot(t *testing.T) {
	d := mustNew(t, Config{}, "a", "b")
	c := fail(d, "a", 5, t0)
	fail(d, "b", 3, t0)
	got := d.Snapshot(t0)
	want := []Status{
		{Name: "a", Ejected: true, Until: c.Until, Multiplier: 1, Ejections: 1},
		{Name: "b", ConsecutiveFailures: 3},
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("status %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}

// TestConcurrentResults runs under -race: many goroutines, each with its
// own (out of order) clock, report results and read Ejected; the ejections
// must still never overlap beyond the share limit.
func TestConcurrentResults(t *testing.T) {
	names := []string{"a", "b", "c", "d", "e", "f"}
	d := mustNew(t, Config{Consecutive: 2}, names...)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		changes []Change
	)
	for g := range 16 {
		wg.Go(func() {
			for i := range 500 {
				now := t0.Add(time.Duration(i) * time.Second)
				if c := d.Result(names[(g+i)%len(names)], (g+i)%3 == 0, now); c.Ejected {
					mu.Lock()
					changes = append(changes, c)
					mu.Unlock()
				}
				d.Ejected(names[i%len(names)], now)
			}
		})
	}
	wg.Wait()
	if len(changes) == 0 {
		t.Fatal("no ejection at all: the test exercised nothing")
	}
	if n, at := maxOverlap(changes); n > Allowed(len(names), 50) {
		t.Fatalf("%d ejections overlap at %s, allowed %d", n, at, Allowed(len(names), 50))
	}
}

// maxOverlap is the largest number of ejections [At, Until) covering one
// instant, and that instant.
func maxOverlap(cs []Change) (int, time.Time) {
	best, at := 0, time.Time{}
	for _, c := range cs {
		n := 0
		for _, o := range cs {
			if !c.At.Before(o.At) && c.At.Before(o.Until) {
				n++
			}
		}
		if n > best {
			best, at = n, c.At
		}
	}
	return best, at
}
