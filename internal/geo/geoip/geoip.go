// Package geoip reads a MaxMind-format database file (GeoLite2 or GeoIP2
// Country/City, DB-IP lite Country/City; the .mmdb format) and turns it into
// the networks of the configuration's areas: every network whose country or
// continent an area names becomes a geo.Entry with that area's index.
//
// It owns the IO of issue 15's database: outlast never downloads a database,
// the operator places the file and names its path in the configuration.
// [Load] reads the file once, whole, into memory (never mmap, so a file
// replaced in place cannot fault the process), keeps only the entries and
// lets the rest go. [Watcher] holds the last good result and reloads when the
// file changes; a missing or broken file is an error that keeps the last good
// entries.
//
// The file crosses a trust boundary and is bounded before it is believed:
// its size (default 512 MiB, [MaxFileSize]), the shape of its search tree
// (every node visited at most once, checked before the networks are walked,
// so a hostile tree whose branches share nodes cannot make the walk
// exponential), and each distinct data record is decoded once, with the
// library's own decoding limits.
//
// Matching: a country rule wins over a continent rule; among rules of the
// same kind the first area in rule order wins. Networks that match no rule
// are left out (the caller's default order serves them). Adjacent sibling
// networks of the same area are merged into their parent, which is the same
// mapping with fewer entries and the scope that the answer really depends on.
package geoip

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/oschwald/maxminddb-golang/v2"

	"outlast/internal/geo"
)

// DefaultMaxFileSize is the largest database file Load reads unless told
// otherwise: GeoLite2-City is about 60 MiB and DB-IP's city lite about
// 130 MiB, so 512 MiB leaves room while refusing a wrong file early.
const DefaultMaxFileSize = 512 << 20

// Errors that Load and Watcher.Check wrap; test for them with errors.Is.
var (
	// ErrTooLarge: the file is larger than the limit (DefaultMaxFileSize
	// or MaxFileSize).
	ErrTooLarge = errors.New("database file too large")
	// ErrNotMaxMind: the file is not in the MaxMind DB format at all.
	ErrNotMaxMind = errors.New("not a MaxMind database")
	// ErrCorrupt: the file is MaxMind DB but truncated or damaged.
	ErrCorrupt = errors.New("corrupt MaxMind database")
	// ErrDatabaseType: a MaxMind database of a kind without countries
	// (ASN, ISP, anonymous IP, ...).
	ErrDatabaseType = errors.New("unsupported database type")
	// ErrNoLocations: a database in which no network has a country or a
	// continent, so it cannot map any client.
	ErrNoLocations = errors.New("no network has a country or continent")
)

// Rule maps clients to one area of the configuration.
type Rule struct {
	// Area is the area's index in the configuration's list of areas; it is
	// copied into every geo.Entry the rule matches.
	Area int
	// Countries are ISO 3166-1 alpha-2 codes, upper case ("DE").
	Countries []string
	// Continents are continent codes: AF AN AS EU NA OC SA.
	Continents []string
}

// DB is what a database file gave: the entries and figures for logs.
type DB struct {
	// Path is the file read.
	Path string
	// Type is the database_type of its metadata, e.g. "GeoLite2-Country".
	Type string
	// Built is the build time of its metadata.
	Built time.Time
	// Entries are the networks mapped to an area, in address order, IPv4
	// networks as IPv4 prefixes; sibling networks of one area are merged.
	Entries []geo.Entry
	// Networks is the number of networks with data the file holds.
	Networks int
	// Matched is the number of those networks mapped to an area (before
	// merging siblings).
	Matched int
}

// Option changes a limit of Load.
type Option func(*options)

type options struct {
	maxFileSize int64
}

// MaxFileSize sets the largest file Load reads, in bytes (default
// DefaultMaxFileSize; n <= 0 keeps the default).
func MaxFileSize(n int64) Option {
	return func(o *options) {
		if n > 0 {
			o.maxFileSize = n
		}
	}
}

// Load reads the database file at path and maps its networks to areas by
// rules. Every error names the path and says what to fix.
func Load(path string, rules []Rule, opts ...Option) (*DB, error) {
	o := options{maxFileSize: DefaultMaxFileSize}
	for _, opt := range opts {
		opt(&o)
	}
	data, err := readBounded(path, o.maxFileSize)
	if err != nil {
		return nil, err
	}
	r, err := open(path, data)
	if err != nil {
		return nil, err
	}
	db, err := mapNetworks(r, compile(rules))
	if err != nil {
		return nil, fmt.Errorf("geoip: %s: %w: %w (replace the file with an intact copy)", path, ErrCorrupt, err)
	}
	if db.Networks > 0 && !db.located {
		return nil, fmt.Errorf("geoip: %s: %w among its %d networks: use a Country or City database", path, ErrNoLocations, db.Networks)
	}
	db.Path = path
	db.Type = r.Metadata.DatabaseType
	db.Built = r.Metadata.BuildTime()
	return &db.DB, nil
}

// readBounded reads the whole file, refusing one larger than limit before
// allocating for it. It reads the size stat gave: a file that grows while
// being read is read as it was (and seen as changed by the next check).
func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("geoip: %w (the geo database file is configured but cannot be opened; place the file there or fix the path)", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("geoip: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("geoip: %s: %w: not a regular file", path, ErrNotMaxMind)
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("geoip: %s: %w: %d bytes, the limit is %d: use a Country or City database, not a larger product", path, ErrTooLarge, st.Size(), limit)
	}
	data := make([]byte, st.Size())
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, fmt.Errorf("geoip: reading %s: %w (was it being replaced? the next check reads it again)", path, err)
	}
	return data, nil
}

// open parses the metadata, checks the kind of database and the shape of
// its search tree.
func open(path string, data []byte) (*maxminddb.Reader, error) {
	r, err := maxminddb.OpenBytes(data, maxminddb.DisableStringCache())
	if err != nil {
		if len(data) == 0 || !hasMetadataMarker(data) {
			return nil, fmt.Errorf("geoip: %s %w: %w (expected a .mmdb file such as GeoLite2-Country.mmdb)", path, errIsNot, err)
		}
		return nil, fmt.Errorf("geoip: %s: %w: %w (replace the file with an intact copy)", path, ErrCorrupt, err)
	}
	if !supportedType(r.Metadata.DatabaseType) {
		return nil, fmt.Errorf("geoip: %s: %w %q: use a Country or City database (GeoLite2-Country, GeoLite2-City, DB-IP lite country or city)", path, ErrDatabaseType, r.Metadata.DatabaseType)
	}
	if err := checkTree(data, r.Metadata); err != nil {
		return nil, fmt.Errorf("geoip: %s: %w: %w (replace the file with an intact copy)", path, ErrCorrupt, err)
	}
	return r, nil
}

// errIsNot reads well after the path: "x.mmdb is not a MaxMind database".
var errIsNot = fmt.Errorf("is %w", ErrNotMaxMind)

// hasMetadataMarker reports whether data holds the MaxMind DB metadata
// marker, which tells a damaged database from some other kind of file.
func hasMetadataMarker(data []byte) bool {
	return bytes.Contains(data, []byte(metadataMarker))
}

const metadataMarker = "\xab\xcd\xefMaxMind.com"

// supportedType accepts the database types whose records carry the GeoIP2
// country and continent fields: the Country, City and Enterprise products
// of MaxMind and DB-IP's lite Country and City.
func supportedType(t string) bool {
	l := strings.ToLower(t)
	for _, kind := range []string{"country", "city", "enterprise"} {
		if strings.Contains(l, kind) {
			return true
		}
	}
	return false
}

// compiled is the rules as lookups: code -> area (first rule wins).
type compiled struct {
	countries  map[string]int
	continents map[string]int
}

func compile(rules []Rule) compiled {
	c := compiled{countries: map[string]int{}, continents: map[string]int{}}
	for _, r := range rules {
		for _, code := range r.Countries {
			if _, ok := c.countries[code]; !ok {
				c.countries[code] = r.Area
			}
		}
		for _, code := range r.Continents {
			if _, ok := c.continents[code]; !ok {
				c.continents[code] = r.Area
			}
		}
	}
	return c
}

// area is the area of a record, or -1; a country rule wins.
func (c compiled) area(rec record) int {
	if a, ok := c.countries[rec.Country.ISOCode]; ok && rec.Country.ISOCode != "" {
		return a
	}
	if a, ok := c.continents[rec.Continent.Code]; ok && rec.Continent.Code != "" {
		return a
	}
	return -1
}

// record is the part of a GeoIP2 record that areas depend on; the decoder
// skips every other field.
type record struct {
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
	Continent struct {
		Code string `maxminddb:"code"`
	} `maxminddb:"continent"`
}

type loaded struct {
	DB
	located bool // some network had a country or continent
}

// mapNetworks walks every network and maps it by the rules. Records are
// shared by many networks, so each is decoded once, by offset.
func mapNetworks(r *maxminddb.Reader, rules compiled) (loaded, error) {
	var l loaded
	areas := map[uintptr]int{}
	for res := range r.Networks() {
		if err := res.Err(); err != nil {
			return l, err
		}
		l.Networks++
		area, seen := areas[res.Offset()]
		if !seen {
			var rec record
			if err := res.Decode(&rec); err != nil {
				return l, fmt.Errorf("network %s: %w", res.Prefix(), err)
			}
			l.located = l.located || rec.Country.ISOCode != "" || rec.Continent.Code != ""
			area = rules.area(rec)
			areas[res.Offset()] = area
		}
		if area < 0 {
			continue
		}
		l.Matched++
		l.Entries = appendMerged(l.Entries, geo.Entry{Prefix: res.Prefix(), Area: area})
	}
	return l, nil
}

// appendMerged appends e to entries in address order, replacing e and its
// left sibling by their parent while both map to the same area.
func appendMerged(entries []geo.Entry, e geo.Entry) []geo.Entry {
	for len(entries) > 0 && e.Prefix.Bits() > 0 {
		last := entries[len(entries)-1]
		if last.Area != e.Area || last.Prefix.Bits() != e.Prefix.Bits() {
			break
		}
		parent, _ := e.Prefix.Addr().Prefix(e.Prefix.Bits() - 1)
		if lp, _ := last.Prefix.Addr().Prefix(last.Prefix.Bits() - 1); lp != parent {
			break
		}
		entries = entries[:len(entries)-1]
		e = geo.Entry{Prefix: parent, Area: e.Area}
	}
	return append(entries, e)
}
