package geoip

import (
	"errors"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/maxmind/mmdbwriter"

	"outlast/internal/geo"
	"outlast/internal/geo/geoip/geoiptest"
)

// replace writes data over path as an operator's update would, and moves
// its modification time on so that the change is seen whatever the
// filesystem's timestamp granularity.
func replace(t *testing.T, path string, data []byte, age time.Duration) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(age)
	if err := os.Chtimes(path, at, at); err != nil {
		t.Fatal(err)
	}
}

func check(t *testing.T, w *Watcher, wantReloaded bool, wantErr error) {
	t.Helper()
	reloaded, err := w.Check()
	if reloaded != wantReloaded || !errors.Is(err, wantErr) || (wantErr == nil) != (err == nil) {
		t.Fatalf("Check() = %v, %v; want %v, %v", reloaded, err, wantReloaded, wantErr)
	}
}

func wantEntries(t *testing.T, w *Watcher, want []geo.Entry) {
	t.Helper()
	db := w.DB()
	if db == nil {
		t.Fatal("no database; want the last good one")
	}
	if !slices.Equal(db.Entries, want) {
		t.Fatalf("entries\n got %v\nwant %v", db.Entries, want)
	}
}

var (
	versionA = []geoiptest.Network{{CIDR: "5.1.0.0/16", Country: "DE", Continent: "EU"}}
	versionB = []geoiptest.Network{
		{CIDR: "5.1.0.0/16", Country: "US", Continent: "NA"},
		{CIDR: "1.0.16.0/20", Country: "JP", Continent: "AS"},
	}
)

func TestWatcherReloadsWhenTheFileChanges(t *testing.T) {
	path := geoiptest.WriteFile(t, t.TempDir(), "db.mmdb", geoiptest.Build(t, mmdbwriter.Options{}, versionA))
	replace(t, path, geoiptest.Build(t, mmdbwriter.Options{}, versionA), -time.Hour)
	w := NewWatcher(path, worldRules)
	if w.DB() != nil {
		t.Fatal("a database before the first Check")
	}
	check(t, w, true, nil)
	wantEntries(t, w, entries(t, "5.1.0.0/16", 0))
	check(t, w, false, nil) // unchanged: not read again

	replace(t, path, geoiptest.Build(t, mmdbwriter.Options{}, versionB), 0)
	check(t, w, true, nil)
	wantEntries(t, w, entries(t, "1.0.16.0/20", 2, "5.1.0.0/16", 1))
	if w.Err() != nil {
		t.Errorf("Err() = %v after a good load", w.Err())
	}
}

func TestWatcherKeepsLastGoodOnBrokenFile(t *testing.T) {
	path := geoiptest.WriteFile(t, t.TempDir(), "db.mmdb", geoiptest.Build(t, mmdbwriter.Options{}, versionA))
	replace(t, path, geoiptest.Build(t, mmdbwriter.Options{}, versionA), -time.Hour)
	w := NewWatcher(path, worldRules)
	check(t, w, true, nil)

	replace(t, path, []byte("<html>404 Not Found</html>"), -time.Minute)
	check(t, w, false, ErrNotMaxMind)
	wantEntries(t, w, entries(t, "5.1.0.0/16", 0))
	check(t, w, false, nil) // the same broken file is reported once ...
	if !errors.Is(w.Err(), ErrNotMaxMind) {
		t.Errorf("Err() = %v, want %v", w.Err(), ErrNotMaxMind) // ... and stays in Err
	}
	wantEntries(t, w, entries(t, "5.1.0.0/16", 0))

	replace(t, path, geoiptest.Build(t, mmdbwriter.Options{}, versionB), 0)
	check(t, w, true, nil)
	wantEntries(t, w, entries(t, "1.0.16.0/20", 2, "5.1.0.0/16", 1))
	if w.Err() != nil {
		t.Errorf("Err() = %v after the file was fixed", w.Err())
	}
}

func TestWatcherMissingFile(t *testing.T) {
	path := t.TempDir() + "/db.mmdb"
	w := NewWatcher(path, worldRules)
	check(t, w, false, os.ErrNotExist)
	if w.DB() != nil {
		t.Fatal("a database from a missing file")
	}
	check(t, w, false, nil) // still missing: reported once

	replace(t, path, geoiptest.Build(t, mmdbwriter.Options{}, versionA), 0)
	check(t, w, true, nil)

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	check(t, w, false, os.ErrNotExist)
	wantEntries(t, w, entries(t, "5.1.0.0/16", 0))
}
