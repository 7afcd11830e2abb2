package zonediff

import (
	_ "embed" // the example zone travels with the package
	"fmt"
	"io"
	"strings"

	"github.com/miekg/dns"
)

// ExampleZone is the zone file the differential tests serve: what a
// provider's export of a real domain holds (SOA, two in-zone NS with glue,
// MX, SPF and long multi-string TXT, CAA, A/AAAA, a CNAME chain inside the
// zone and one leaving it, SRV, PTR, a delegation with glue and one
// without, an empty non-terminal, mixed-case owner names).
//
//go:embed testdata/example.test.zone
var ExampleZone string

// ExampleApex is the apex of ExampleZone.
const ExampleApex = "example.test."

// maxZoneRecords bounds what ReadZone keeps: a test zone, not a real one.
const maxZoneRecords = 10000

// ReadZone parses an RFC 1035 master file whose $ORIGIN defaults to apex.
// file names the text in errors.
func ReadZone(r io.Reader, file, apex string) ([]dns.RR, error) {
	zp := dns.NewZoneParser(r, dns.Fqdn(apex), file)
	var rrs []dns.RR
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		if len(rrs) == maxZoneRecords {
			return nil, fmt.Errorf("zonediff: %s holds more than %d records", file, maxZoneRecords)
		}
		rrs = append(rrs, rr)
	}
	if err := zp.Err(); err != nil {
		return nil, err
	}
	return rrs, nil
}

// MustReadZone is ReadZone of a string, for zones a test holds.
func MustReadZone(text, apex string) []dns.RR {
	rrs, err := ReadZone(strings.NewReader(text), "zone", apex)
	if err != nil {
		panic("zonediff: " + err.Error())
	}
	return rrs
}
