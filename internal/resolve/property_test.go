package resolve

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// TestPropertyNeverEmptyWithinMaxStale drives a Record with random outcomes
// at random times and checks it against a naive model that shares no code
// with it: the latest good set, and when it expires. Whatever happens, the
// answer is never empty while that set is within MaxStale past its expiry,
// it is exactly that set, and it is bounded.
func TestPropertyNeverEmptyWithinMaxStale(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := Policy{
			MinTTL:   time.Duration(rapid.IntRange(1, 30).Draw(t, "minTTL")) * time.Second,
			MaxTTL:   time.Duration(rapid.IntRange(30, 3600).Draw(t, "maxTTL")) * time.Second,
			MaxStale: time.Duration(rapid.IntRange(1, 7200).Draw(t, "maxStale")) * time.Second,
			MaxAddrs: rapid.IntRange(1, 8).Draw(t, "maxAddrs"),
		}
		var (
			r        Record
			now      = t0
			model    []netip.Addr // naive: the latest good set
			modelEnd time.Time    // naive: its expiry
		)
		for i := range rapid.IntRange(1, 40).Draw(t, "steps") {
			now = now.Add(time.Duration(rapid.IntRange(0, 4000).Draw(t, "gap")) * time.Second)
			o := drawOutcome(t, i)
			if o.Kind == Addrs && len(o.Addrs) > 0 {
				model = naiveBound(o.Addrs, p.MaxAddrs)
				ttl := o.TTL
				if ttl < p.MinTTL {
					ttl = p.MinTTL
				}
				if ttl > p.MaxTTL {
					ttl = p.MaxTTL
				}
				modelEnd = now.Add(ttl)
			}
			r = r.Observe(p, now, o, rapid.Float64Range(0, 1).Draw(t, "jitter"))
			for _, probe := range []time.Duration{0, time.Second, time.Minute, time.Hour} {
				at := now.Add(probe)
				d := r.Decide(p, at)
				within := model != nil && at.Before(modelEnd.Add(p.MaxStale))
				if within && !slices.Equal(d.Addrs, model) {
					t.Fatalf("at +%s: served %v (%s), want the last good set %v within MaxStale", at.Sub(t0), d.Addrs, d.State, model)
				}
				if !within && len(d.Addrs) > 0 {
					t.Fatalf("at +%s: served %v (%s) beyond MaxStale", at.Sub(t0), d.Addrs, d.State)
				}
				if len(d.Addrs) > p.MaxAddrs || d.TTL > p.MaxTTL || d.TTL < 0 {
					t.Fatalf("unbounded decision %+v", d)
				}
				if (d.State == Fresh) != (within && at.Before(modelEnd)) {
					t.Fatalf("at +%s: state %s, fresh until %s", at.Sub(t0), d.State, modelEnd.Sub(t0))
				}
			}
			if !r.RefreshAt().After(now) {
				t.Fatalf("refresh due at %s, not after the observation at %s", r.RefreshAt(), now)
			}
		}
	})
}

func drawOutcome(t *rapid.T, i int) Outcome {
	kind := Kind(rapid.IntRange(0, 3).Draw(t, "kind"))
	ttl := time.Duration(rapid.Int64Range(0, 1<<40).Draw(t, "ttl")) * time.Second / 1000
	o := Outcome{Kind: kind, TTL: ttl, Err: "e"}
	if kind == Addrs {
		n := rapid.IntRange(0, 12).Draw(t, "n")
		for range n {
			o.Addrs = append(o.Addrs, netip.AddrFrom4([4]byte{192, 0, 2, byte(rapid.IntRange(0, 20).Draw(t, "a"))}))
		}
	}
	return o
}

// naiveBound is the reference for boundAddrs: distinct, first limit of
// them, sorted.
func naiveBound(in []netip.Addr, limit int) []netip.Addr {
	seen := map[netip.Addr]bool{}
	var out []netip.Addr
	for _, a := range in {
		if !seen[a] && len(out) < limit {
			seen[a] = true
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b netip.Addr) int { return a.Compare(b) })
	return out
}
