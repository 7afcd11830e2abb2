package xfr

import (
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"outlast/internal/zoneserial"
)

// fuzzVersions turns fuzz input into up to 8 versions of example.: chunks
// separated by "---" lines, each a zone-file fragment; a chunk's first byte
// picks the serial step (some steps are invalid on purpose).
func fuzzVersions(data string) []Version {
	if len(data) > 8192 {
		data = data[:8192]
	}
	steps := []uint32{1, 2, 1000, 1<<31 - 1, 1 << 31, 0}
	var out []Version
	serial := uint32(0xFFFFFFF0)
	for i, chunk := range strings.Split(data, "\n---\n") {
		if i == 8 {
			break
		}
		if len(chunk) > 0 {
			serial += steps[int(chunk[0])%len(steps)]
		}
		v := Version{Serial: serial, Records: []dns.RR{soaRR("example.", serial)}}
		zp := dns.NewZoneParser(strings.NewReader(chunk), "example.", "")
		zp.SetDefaultTTL(60)
		for rr, ok := zp.Next(); ok && len(v.Records) < 64; rr, ok = zp.Next() {
			v.Records = append(v.Records, rr)
		}
		out = append(out, v)
	}
	return out
}

func packedKey(rr dns.RR) string {
	k, err := recordKey(rr)
	if err != nil {
		return "unpackable " + rr.String()
	}
	return k
}

// FuzzJournal adds fuzzed versions: Add never panics, the bounds always
// hold, every step starts where the previous one ended, replaying the steps
// from any kept version gives the newest, and the transfer builders never
// panic.
func FuzzJournal(f *testing.F) {
	f.Add("\x00www 60 IN A 192.0.2.1\n---\n\x00www 30 IN A 192.0.2.1\nWWW 30 IN A 192.0.2.2\n---\n\x03mail IN MX 10 www\n")
	f.Add("\x01a IN TXT \"x\"\n---\n\x04a IN TXT \"y\"\n---\n\x05b IN AAAA ::1\n---\n\x00c.example.org. IN A 192.0.2.9\n")
	f.Add("\x02@ IN NS ns1\n@ IN SOA ns. h. 1 1 1 1 1\n---\n\x02big IN TXT \"" + strings.Repeat("z", 250) + "\"\n")
	f.Fuzz(func(t *testing.T, data string) {
		lim := Limits{MaxVersions: 3, MaxBytes: 2048}
		j := NewJournal(lim)
		var accepted []Version
		for _, v := range fuzzVersions(data) {
			if err := j.Add(v); err == nil {
				accepted = append(accepted, v)
			}
			if st := j.Stats(); st.Versions > lim.MaxVersions || st.Bytes > lim.MaxBytes {
				t.Fatalf("bounds broken: %+v with %+v", st, lim)
			}
		}
		if len(accepted) == 0 {
			return
		}
		newest := j.Latest()
		want := keySet(packedKey, newest.Records)
		seen := map[uint32]bool{}
		for i := len(accepted) - 1; i >= 0; i-- {
			v := accepted[i]
			if seen[v.Serial] {
				continue
			}
			seen[v.Serial] = true
			diffs, ok := j.Diff(v.Serial)
			if !ok || v.Serial == newest.Serial || zoneserial.Less(newest.Serial, v.Serial) {
				continue // full zone, up to date, or (after a jump of 2^31 in all) looks ahead: single SOA
			}
			got, err := replayWith(packedKey, v.Records, diffs)
			if err != nil {
				t.Fatalf("replay from %d: %v", v.Serial, err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("replay from %d does not give the newest version", v.Serial)
			}
		}
		for _, size := range []int{MessageReserve + 300, DefaultMessageSize} {
			_, _ = j.AXFR(size)
			for _, v := range accepted {
				_, _, _ = j.IXFR(v.Serial, size)
			}
		}
	})
}
