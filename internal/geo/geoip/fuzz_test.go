package geoip

import (
	"outlast/internal/geo/geoip/geoiptest"
	"path/filepath"
	"slices"
	"testing"

	"github.com/maxmind/mmdbwriter"
)

// FuzzLoad writes arbitrary bytes to a file and loads it: errors are fine,
// a panic, a hang or an entry that is not a masked prefix of a rule's area
// is not. Seeds: valid databases of each record size and IP version, the
// shared-node tree, and junk.
//
//	go test -run '^$' -fuzz FuzzLoad -fuzztime 30s ./internal/geo/geoip/
func FuzzLoad(f *testing.F) {
	for _, opts := range []mmdbwriter.Options{
		{RecordSize: 24}, {RecordSize: 28}, {RecordSize: 32},
		{IPVersion: 4}, {DisableIPv4Aliasing: true},
	} {
		f.Add(geoiptest.Build(f, opts, world))
	}
	f.Add(sharedTree(f))
	f.Add([]byte("\xab\xcd\xefMaxMind.com"))
	f.Add([]byte{})
	areas := []int{0, 1, 2}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "fuzz.mmdb")
		geoiptest.WriteFile(t, filepath.Dir(path), "fuzz.mmdb", data)
		db, err := Load(path, worldRules, MaxFileSize(1<<20))
		if err != nil {
			return
		}
		if db.Matched > db.Networks || len(db.Entries) > db.Matched {
			t.Fatalf("%d entries, %d matched of %d networks", len(db.Entries), db.Matched, db.Networks)
		}
		for _, e := range db.Entries {
			if !e.Prefix.IsValid() || e.Prefix.Masked() != e.Prefix || !slices.Contains(areas, e.Area) {
				t.Fatalf("entry %v", e)
			}
		}
	})
}
