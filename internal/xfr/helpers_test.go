package xfr

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

func mustRR(t testing.TB, s string) dns.RR {
	t.Helper()
	rr, err := dns.NewRR(s)
	if err != nil {
		t.Fatalf("bad test record %q: %v", s, err)
	}
	return rr
}

func soaRR(apex string, serial uint32) *dns.SOA {
	return &dns.SOA{
		Hdr: dns.RR_Header{Name: apex, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 300},
		Ns:  "ns1." + apex, Mbox: "hostmaster." + apex, Serial: serial,
		Refresh: 3600, Retry: 600, Expire: 604800, Minttl: 60,
	}
}

// version builds a version of example. from record texts.
func version(t testing.TB, serial uint32, records ...string) Version {
	t.Helper()
	v := Version{Serial: serial, Records: []dns.RR{soaRR("example.", serial)}}
	for _, s := range records {
		v.Records = append(v.Records, mustRR(t, s))
	}
	return v
}

// refKey is the test's own notion of record identity, sharing no code with
// the package: the presentation form with the owner name lowercased.
func refKey(rr dns.RR) string {
	c := dns.Copy(rr)
	c.Header().Name = strings.ToLower(c.Header().Name)
	return c.String()
}

// refSet is a version's records (SOA included) as a sorted set of refKeys.
func refSet(records []dns.RR) []string { return keySet(refKey, records) }

func keySet(key func(dns.RR) string, records []dns.RR) []string {
	seen := map[string]bool{}
	var out []string
	for _, rr := range records {
		if k := key(rr); !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// replay applies steps to a zone as an IXFR client does (RFC 1995 §4):
// delete each step's Deleted records, then add its Added ones. It fails on
// a step that does not start at the zone's serial or deletes a record the
// zone does not hold.
func replay(records []dns.RR, diffs []Diff) ([]string, error) {
	return replayWith(refKey, records, diffs)
}

func replayWith(refKey func(dns.RR) string, records []dns.RR, diffs []Diff) ([]string, error) {
	set := map[string]bool{}
	for _, k := range keySet(refKey, records) {
		set[k] = true
	}
	serial := records[0].(*dns.SOA).Serial
	for _, d := range diffs {
		if d.From() != serial {
			return nil, fmt.Errorf("step from %d applied to %d", d.From(), serial)
		}
		for _, rr := range d.Deleted {
			if !set[refKey(rr)] {
				return nil, fmt.Errorf("step %d→%d deletes %q, not in the zone", d.From(), d.To(), rr)
			}
			delete(set, refKey(rr))
		}
		for _, rr := range d.Added {
			if set[refKey(rr)] {
				return nil, fmt.Errorf("step %d→%d adds %q, already in the zone", d.From(), d.To(), rr)
			}
			set[refKey(rr)] = true
		}
		serial = d.To()
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	slices.Sort(out)
	return out, nil
}
