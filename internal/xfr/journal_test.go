package xfr

import (
	"errors"
	"slices"
	"testing"

	"github.com/miekg/dns"
)

func TestAddRefusesBadVersions(t *testing.T) {
	j := NewJournal(Limits{})
	if err := j.Add(version(t, 10, "www.example. 60 IN A 192.0.2.1")); err != nil {
		t.Fatal(err)
	}
	noSOA := Version{Serial: 11, Records: []dns.RR{mustRR(t, "www.example. 60 IN A 192.0.2.1")}}
	wrongSerial := version(t, 11)
	wrongSerial.Serial = 12
	tests := []struct {
		name string
		v    Version
		want error
	}{
		{"empty", Version{Serial: 11}, ErrNoSOA},
		{"no leading SOA", noSOA, ErrNoSOA},
		{"SOA serial differs", wrongSerial, ErrNoSOA},
		{"second SOA", version(t, 11, "example. 300 IN SOA ns. h. 11 1 1 1 1"), ErrSecondSOA},
		{"outside the zone", version(t, 11, "www.example.org. 60 IN A 192.0.2.1"), ErrOutOfZone},
		{"same serial", version(t, 10), ErrSerialNotNewer},
		{"older serial", version(t, 9), ErrSerialNotNewer},
		{"2^31 ahead is undefined", version(t, 10+1<<31), ErrSerialNotNewer},
	}
	for _, tt := range tests {
		if err := j.Add(tt.v); !errors.Is(err, tt.want) {
			t.Errorf("%s: Add = %v, want %v", tt.name, err, tt.want)
		}
	}
	other := Version{Serial: 11, Records: []dns.RR{soaRR("example.org.", 11)}}
	if err := j.Add(other); !errors.Is(err, ErrZoneChanged) {
		t.Errorf("another zone: Add = %v, want ErrZoneChanged", err)
	}
	if got := j.Latest().Serial; got != 10 {
		t.Errorf("a refused version changed the journal: newest serial %d, want 10", got)
	}
}

func TestAddAcceptsWrappedSerial(t *testing.T) {
	j := NewJournal(Limits{})
	serials := []uint32{0xFFFFFFF0, 0xFFFFFFFF, 0, 3}
	for i, s := range serials {
		if err := j.Add(version(t, s, "www.example. 60 IN TXT \"v"+string(rune('0'+i))+"\"")); err != nil {
			t.Fatalf("Add serial %d after a wrap: %v", s, err)
		}
	}
	diffs, ok := j.Diff(0xFFFFFFF0)
	if !ok || len(diffs) != 3 {
		t.Fatalf("Diff(0xFFFFFFF0) = %d steps, %v; want 3 steps across the wrap", len(diffs), ok)
	}
	if diffs[1].From() != 0xFFFFFFFF || diffs[1].To() != 0 {
		t.Errorf("middle step %d→%d, want 4294967295→0", diffs[1].From(), diffs[1].To())
	}
	if _, ok := j.Diff(7); !ok {
		t.Errorf("Diff from a serial ahead of the newest (7 > 3) = not ok; RFC 1995 answers it with the single SOA")
	}
}

// After the serial wraps far enough, an old version's serial is no longer
// before the newest: a step kept from there would be offered to a client
// whose serial only looks older, and serials could name two kept versions.
// The journal drops such steps.
func TestTrimDropsVersionsNoLongerBeforeNewest(t *testing.T) {
	j := NewJournal(Limits{})
	// Each serial is greater than the one before (by less than 2^31), but
	// 2^31-1 is ahead of 1, so versions 0 and 2^31-1 must go.
	for _, s := range []uint32{0, 1<<31 - 1, 0xFFFFFFFE, 1} {
		if err := j.Add(version(t, s)); err != nil {
			t.Fatal(err)
		}
	}
	if st := j.Stats(); st.Versions != 2 || st.Oldest != 0xFFFFFFFE {
		t.Errorf("Stats = %+v, want 2 versions from 4294967294", st)
	}
	if _, ok := j.Diff(0); ok {
		t.Errorf("Diff(0) ok, but its chain passes through 2^31-1, a serial ahead of the newest")
	}
	if diffs, ok := j.Diff(0xFFFFFFFE); !ok || len(diffs) != 1 {
		t.Errorf("Diff(4294967294) = %d steps, %v; want 1", len(diffs), ok)
	}
	// Back to a serial seen before: 0 after 0xFFFFFFFE.
	j = NewJournal(Limits{})
	for _, s := range []uint32{0, 1<<31 - 1, 0xFFFFFFFE, 0} {
		if err := j.Add(version(t, s)); err != nil {
			t.Fatal(err)
		}
	}
	if diffs, ok := j.Diff(0); !ok || len(diffs) != 0 {
		t.Errorf("Diff(0) with 0 the newest again = %d steps, %v; want the single SOA (no steps)", len(diffs), ok)
	}
}

func TestJournalDropsOldestPastMaxVersions(t *testing.T) {
	j := NewJournal(Limits{MaxVersions: 3})
	for s := uint32(1); s <= 5; s++ {
		if err := j.Add(version(t, s, "www.example. 60 IN A 192.0.2."+string(rune('0'+s)))); err != nil {
			t.Fatal(err)
		}
	}
	st := j.Stats()
	if st.Versions != 3 || st.Oldest != 3 || st.Newest != 5 {
		t.Fatalf("Stats = %+v, want 3 versions from 3 to 5", st)
	}
	for _, gone := range []uint32{1, 2} {
		if _, ok := j.Diff(gone); ok {
			t.Errorf("Diff(%d) ok after it was dropped; the server must send the full zone", gone)
		}
	}
	if diffs, ok := j.Diff(3); !ok || len(diffs) != 2 {
		t.Errorf("Diff(3) = %d steps, %v; want 2", len(diffs), ok)
	}
}

func TestJournalDropsOldestPastMaxBytes(t *testing.T) {
	base := version(t, 1, "www.example. 60 IN A 192.0.2.1")
	zoneBytes := recordsLen(base.Records)
	j := NewJournal(Limits{MaxBytes: 3 * zoneBytes})
	for s := uint32(1); s <= 20; s++ {
		if err := j.Add(version(t, s, "www.example. 60 IN A 192.0.2."+string(rune('0'+s%10)))); err != nil {
			t.Fatal(err)
		}
		if st := j.Stats(); st.Bytes > 3*zoneBytes {
			t.Fatalf("after serial %d the journal holds %d bytes, over its limit %d", s, st.Bytes, 3*zoneBytes)
		}
	}
	st := j.Stats()
	if st.Versions < 2 || st.Versions >= 20 {
		t.Errorf("Stats = %+v: want some but not all versions kept under the byte limit", st)
	}
	if _, ok := j.Diff(1); ok {
		t.Errorf("Diff(1) ok though the byte limit forced it out")
	}
	big := version(t, 21, "a.example. 60 IN TXT \""+string(make([]byte, 200))+"\"")
	if err := NewJournal(Limits{MaxBytes: 100}).Add(big); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Add of a zone over MaxBytes = %v, want ErrTooLarge", err)
	}
}

func TestDiffSetsAreCaseInsensitiveAndTTLSensitive(t *testing.T) {
	old := version(t, 1,
		"WWW.example. 60 IN A 192.0.2.1",
		"api.example. 60 IN A 192.0.2.2",
		"txt.example. 60 IN TXT \"Hello\"",
	)
	nv := version(t, 2,
		"www.EXAMPLE. 60 IN A 192.0.2.1",   // same record, other case
		"api.example. 30 IN A 192.0.2.2",   // TTL changed
		"txt.example. 60 IN TXT \"hello\"", // RDATA case is data
		"www.example. 60 IN A 192.0.2.1",   // a duplicate, dropped
	)
	d, err := Compute(old, nv)
	if err != nil {
		t.Fatal(err)
	}
	got := func(rrs []dns.RR) []string {
		var s []string
		for _, rr := range rrs[1:] {
			s = append(s, refKey(rr))
		}
		slices.Sort(s)
		return s
	}
	wantDel := []string{refKey(mustRR(t, "api.example. 60 IN A 192.0.2.2")), refKey(mustRR(t, "txt.example. 60 IN TXT \"Hello\""))}
	wantAdd := []string{refKey(mustRR(t, "api.example. 30 IN A 192.0.2.2")), refKey(mustRR(t, "txt.example. 60 IN TXT \"hello\""))}
	slices.Sort(wantDel)
	slices.Sort(wantAdd)
	if !slices.Equal(got(d.Deleted), wantDel) || !slices.Equal(got(d.Added), wantAdd) {
		t.Errorf("Compute:\n deleted %q\n want    %q\n added   %q\n want    %q", got(d.Deleted), wantDel, got(d.Added), wantAdd)
	}
	if d.From() != 1 || d.To() != 2 {
		t.Errorf("step %d→%d, want 1→2", d.From(), d.To())
	}
}

func TestDiffOrderIsDeterministic(t *testing.T) {
	old := version(t, 1, "a.example. 60 IN A 192.0.2.1", "b.example. 60 IN A 192.0.2.2", "c.example. 60 IN A 192.0.2.3")
	nv1 := version(t, 2, "c.example. 60 IN A 192.0.2.9", "b.example. 60 IN A 192.0.2.8", "a.example. 60 IN A 192.0.2.7")
	nv2 := version(t, 2, "a.example. 60 IN A 192.0.2.7", "c.example. 60 IN A 192.0.2.9", "b.example. 60 IN A 192.0.2.8")
	d1, err1 := Compute(old, nv1)
	d2, err2 := Compute(old, nv2)
	if err1 != nil || err2 != nil {
		t.Fatalf("Compute: %v, %v", err1, err2) // two empty diffs would compare equal
	}
	text := func(d Diff) []string {
		var s []string
		for _, rr := range append(slices.Clone(d.Deleted), d.Added...) {
			s = append(s, rr.String())
		}
		return s
	}
	if !slices.Equal(text(d1), text(d2)) {
		t.Errorf("the same change listed in another order gave another diff:\n%q\n%q", text(d1), text(d2))
	}
}

func TestDiffFromCurrentAndEmpty(t *testing.T) {
	j := NewJournal(Limits{})
	if _, ok := j.Diff(1); ok {
		t.Errorf("Diff on an empty journal is ok")
	}
	if _, _, err := j.IXFR(1, DefaultMessageSize); !errors.Is(err, ErrEmpty) {
		t.Errorf("IXFR on an empty journal: %v, want ErrEmpty", err)
	}
	_ = j.Add(version(t, 5))
	if diffs, ok := j.Diff(5); !ok || len(diffs) != 0 {
		t.Errorf("Diff(current) = %d steps, %v; want none, ok", len(diffs), ok)
	}
}

// TestAddIfChanged: the same records under the same serial add nothing;
// a new serial adds a version even when only the SOA changed; other
// records under the newest serial are refused, not silently dropped.
func TestAddIfChanged(t *testing.T) {
	j := NewJournal(Limits{})
	v1 := version(t, 1, "www.example. 60 IN A 192.0.2.1")
	if added, err := j.AddIfChanged(v1); !added || err != nil {
		t.Fatalf("first version: added %v, %v; want added", added, err)
	}
	same := version(t, 1, "WWW.example. 60 IN A 192.0.2.1", "www.example. 60 IN A 192.0.2.1")
	if added, err := j.AddIfChanged(same); added || err != nil {
		t.Fatalf("same records again: added %v, %v; want nothing added", added, err)
	}
	changed := version(t, 1, "www.example. 60 IN A 192.0.2.2")
	if added, err := j.AddIfChanged(changed); added || !errors.Is(err, ErrSerialNotNewer) {
		t.Fatalf("other records, same serial: added %v, %v; want ErrSerialNotNewer", added, err)
	}
	soaOnly := version(t, 2, "www.example. 60 IN A 192.0.2.1")
	if added, err := j.AddIfChanged(soaOnly); !added || err != nil {
		t.Fatalf("new serial, same records: added %v, %v; want added", added, err)
	}
	if got := j.Stats().Versions; got != 2 {
		t.Errorf("journal holds %d versions, want 2", got)
	}
}
