package xfr

import (
	"fmt"
	"testing"

	"github.com/miekg/dns"
)

// BenchmarkAddOneChange is the cost of publishing a version of a
// 10,000-record zone in which one answer changed (a failover), diff included.
func BenchmarkAddOneChange(b *testing.B) {
	zone := bigZone(b, 1, 10000)
	j := NewJournal(Limits{})
	if err := j.Add(zone); err != nil {
		b.Fatal(err)
	}
	serial := uint32(1)
	b.ReportAllocs()
	for b.Loop() {
		serial++
		v := Version{Serial: serial, Records: append([]dns.RR{soaRR("example.", serial)}, zone.Records[1:]...)}
		v.Records[1] = mustRR(b, fmt.Sprintf("h0.example. 60 IN A 192.0.2.%d", serial%250+1))
		if err := j.Add(v); err != nil {
			b.Fatal(err)
		}
	}
}
