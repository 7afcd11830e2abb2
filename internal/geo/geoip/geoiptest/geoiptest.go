// Package geoiptest builds small MaxMind-format databases for tests, with
// github.com/maxmind/mmdbwriter: the records hold what a GeoLite2-City
// record does (country, continent, location, city names), so the reader
// is tested against the shape it meets in the field. Only tests import it.
package geoiptest

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// Network is one network of a test database and its location; empty codes
// leave the field out of the record.
type Network struct {
	CIDR      string
	Country   string
	Continent string
	City      string // makes records of one country distinct
}

// Record is a GeoLite2-City-like record: the fields Load reads among
// others it must skip.
func (n Network) Record() mmdbtype.Map {
	m := mmdbtype.Map{
		"location": mmdbtype.Map{
			"latitude":  mmdbtype.Float64(50.1),
			"longitude": mmdbtype.Float64(8.6),
		},
		"traits": mmdbtype.Map{"is_anycast": mmdbtype.Bool(n.Country == "")},
	}
	if n.Country != "" {
		m["country"] = mmdbtype.Map{
			"iso_code":   mmdbtype.String(n.Country),
			"geoname_id": mmdbtype.Uint32(2921044),
			"names":      mmdbtype.Map{"en": mmdbtype.String("Country " + n.Country)},
		}
		m["registered_country"] = mmdbtype.Map{"iso_code": mmdbtype.String(n.Country)}
	}
	if n.Continent != "" {
		m["continent"] = mmdbtype.Map{
			"code":  mmdbtype.String(n.Continent),
			"names": mmdbtype.Map{"en": mmdbtype.String("Continent " + n.Continent)},
		}
	}
	if n.City != "" {
		m["city"] = mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String(n.City)}}
	}
	return m
}

// Build returns the bytes of a database holding networks.
func Build(t testing.TB, opts mmdbwriter.Options, networks []Network) []byte {
	t.Helper()
	if opts.DatabaseType == "" {
		opts.DatabaseType = "GeoLite2-Country"
	}
	if opts.Description == nil {
		opts.Description = map[string]string{"en": "outlast test database"}
	}
	tree, err := mmdbwriter.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range networks {
		_, ipnet, err := net.ParseCIDR(n.CIDR)
		if err != nil {
			t.Fatal(err)
		}
		if err := tree.Insert(ipnet, n.Record()); err != nil {
			t.Fatalf("insert %s: %v", n.CIDR, err)
		}
	}
	var buf bytes.Buffer
	if _, err := tree.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// WriteFile writes data to dir/name, replacing what was there, and returns
// the path.
func WriteFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
