package zone

import (
	"github.com/miekg/dns"

	"outlast/internal/config"
)

// MaxRecords is the most records one zone may hold, its file and inline
// records together (1,000,000). A 16 MiB file (config.MaxZoneFileSize) of
// the shortest records holds about as many; parsing stops there.
const MaxRecords = 1_000_000

// MaxGenerated is the most records a file's $GENERATE lines may stand for
// together (65,536, one full range): a few bytes of $GENERATE would
// otherwise make the node parse and hold MaxRecords records.
const MaxGenerated = 1 << 16

// Records parses the zone's static records: the text of its file (origin
// the apex) followed by its inline records, each relative to the apex.
// The apex SOA and the apex NS set are left out: they come from the
// configuration (Check fills the configuration's from them when it has
// none). Errors read "FILE:LINE: message" for the file and
// "zones[apex].records[j]: message" for inline records.
func Records(z config.Zone) ([]dns.RR, error) {
	p, err := parseZone(z, "")
	if err != nil {
		return nil, err
	}
	return p.served(), nil
}
