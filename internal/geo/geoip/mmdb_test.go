package geoip

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// network is one network of a test database and its location; empty codes
// leave the field out of the record.
type network struct {
	cidr      string
	country   string
	continent string
	city      string // makes records of one country distinct
}

// record is a GeoLite2-City-like record: the fields Load reads among
// others it must skip.
func (n network) record() mmdbtype.Map {
	m := mmdbtype.Map{
		"location": mmdbtype.Map{
			"latitude":  mmdbtype.Float64(50.1),
			"longitude": mmdbtype.Float64(8.6),
		},
		"traits": mmdbtype.Map{"is_anycast": mmdbtype.Bool(n.country == "")},
	}
	if n.country != "" {
		m["country"] = mmdbtype.Map{
			"iso_code":   mmdbtype.String(n.country),
			"geoname_id": mmdbtype.Uint32(2921044),
			"names":      mmdbtype.Map{"en": mmdbtype.String("Country " + n.country)},
		}
		m["registered_country"] = mmdbtype.Map{"iso_code": mmdbtype.String(n.country)}
	}
	if n.continent != "" {
		m["continent"] = mmdbtype.Map{
			"code":  mmdbtype.String(n.continent),
			"names": mmdbtype.Map{"en": mmdbtype.String("Continent " + n.continent)},
		}
	}
	if n.city != "" {
		m["city"] = mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String(n.city)}}
	}
	return m
}

// build returns the bytes of a database holding networks.
func build(t testing.TB, opts mmdbwriter.Options, networks []network) []byte {
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
		_, ipnet, err := net.ParseCIDR(n.cidr)
		if err != nil {
			t.Fatal(err)
		}
		if err := tree.Insert(ipnet, n.record()); err != nil {
			t.Fatalf("insert %s: %v", n.cidr, err)
		}
	}
	var buf bytes.Buffer
	if _, err := tree.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// writeFile writes data to dir/name, replacing what was there, and returns
// the path.
func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
