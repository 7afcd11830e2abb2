package xfr

import (
	"fmt"
	"slices"
	"testing"

	"github.com/miekg/dns"
	"pgregory.net/rapid"

	"outlast/internal/zoneserial"
)

// genRecord draws a record of example. from a small universe, so versions
// share, drop and re-add records; owner case and TTL vary on purpose.
func genRecord(t *rapid.T) dns.RR {
	owner := rapid.SampledFrom([]string{"www", "WWW", "api", "mail", "a.b", "example."}).Draw(t, "owner")
	if owner != "example." {
		owner += ".example."
	}
	ttl := rapid.SampledFrom([]int{30, 60, 300}).Draw(t, "ttl")
	var text string
	switch rapid.IntRange(0, 3).Draw(t, "type") {
	case 0:
		text = fmt.Sprintf("A 192.0.2.%d", rapid.IntRange(1, 4).Draw(t, "a"))
	case 1:
		text = fmt.Sprintf("AAAA 2001:db8::%d", rapid.IntRange(1, 3).Draw(t, "aaaa"))
	case 2:
		text = fmt.Sprintf("TXT %q", rapid.SampledFrom([]string{"v", "V", "x y"}).Draw(t, "txt"))
	default:
		text = fmt.Sprintf("MX %d mx.example.", rapid.IntRange(1, 2).Draw(t, "pref"))
	}
	rr, err := dns.NewRR(fmt.Sprintf("%s %d IN %s", owner, ttl, text))
	if err != nil {
		t.Fatalf("generator made a bad record: %v", err)
	}
	return rr
}

func genVersion(t *rapid.T, serial uint32) Version {
	v := Version{Serial: serial, Records: []dns.RR{soaRR("example.", serial)}}
	n := rapid.IntRange(0, 12).Draw(t, "records")
	for range n {
		v.Records = append(v.Records, genRecord(t))
	}
	return v
}

// Replaying the steps Diff gives from any kept version onto that version
// yields the newest version exactly, as a set, whatever the zones, the
// changes and the serials (wrap-around included).
func TestDiffReplayEqualsNewestProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		j := NewJournal(Limits{MaxVersions: rapid.IntRange(1, 8).Draw(t, "maxVersions")})
		serial := rapid.Uint32().Draw(t, "firstSerial")
		var history []Version
		for range rapid.IntRange(1, 10).Draw(t, "versions") {
			v := genVersion(t, serial)
			if err := j.Add(v); err != nil {
				t.Fatalf("Add(%d): %v", serial, err)
			}
			history = append(history, v)
			serial += rapid.SampledFrom([]uint32{1, 2, 1000, 1<<31 - 1}).Draw(t, "step")
		}
		newest := history[len(history)-1]
		want := refSet(newest.Records)
		if got := refSet(j.Latest().Records); !slices.Equal(got, want) {
			t.Fatalf("Latest differs from the last version added:\n got %q\nwant %q", got, want)
		}
		kept := 0
		seen := map[uint32]bool{}
		for i := len(history) - 1; i >= 0; i-- {
			v := history[i]
			if seen[v.Serial] { // a serial reused after wrapping names the newer version
				continue
			}
			seen[v.Serial] = true
			diffs, ok := j.Diff(v.Serial)
			if !ok {
				continue
			}
			kept++
			got, err := replay(v.Records, diffs)
			if err != nil {
				t.Fatalf("replaying from %d: %v", v.Serial, err)
			}
			if !slices.Equal(got, want) && v.Serial != newest.Serial && !zoneserial.Less(newest.Serial, v.Serial) {
				t.Fatalf("replaying %d steps from %d:\n got %q\nwant %q", len(diffs), v.Serial, got, want)
			}
		}
		if st := j.Stats(); st.Versions > j.limits.MaxVersions || kept < 1 {
			t.Fatalf("Stats %+v with MaxVersions %d; %d versions reachable", st, j.limits.MaxVersions, kept)
		}
	})
}
