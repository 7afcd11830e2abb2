package geoip

import (
	"errors"
	"outlast/internal/geo/geoip/geoiptest"
	"testing"
	"time"

	"github.com/maxmind/mmdbwriter"
	"github.com/oschwald/maxminddb-golang/v2"
)

// sharedTree returns a database whose search tree is a chain in which both
// records of every node point at the next node: a DAG with 2^32 paths to
// the one data record. The library's Networks iterator would walk every
// path (it has no visited set); Load must refuse the file at once.
func sharedTree(t testing.TB) []byte {
	t.Helper()
	data := geoiptest.Build(t, mmdbwriter.Options{IPVersion: 4, RecordSize: 24, IncludeReservedNetworks: true}, []geoiptest.Network{
		{CIDR: "1.2.3.4/32", Country: "DE", Continent: "EU"},
	})
	const nodes = 32 // one node per bit of the /32
	if r, err := maxminddb.OpenBytes(data); err != nil || r.Metadata.NodeCount != nodes {
		t.Fatalf("test database: %v, want %d nodes", err, nodes)
	}
	for n := range nodes {
		b := data[n*6 : n*6+6]
		left, right := be(b[0:3]), be(b[3:6])
		next := left // the record that is not empty (empty is nodes)
		if left == nodes {
			next = right
		}
		copy(b[0:3], []byte{byte(next >> 16), byte(next >> 8), byte(next)})
		copy(b[3:6], b[0:3])
	}
	return data
}

func TestSharedSearchTreeIsRefused(t *testing.T) {
	path := geoiptest.WriteFile(t, t.TempDir(), "dag.mmdb", sharedTree(t))
	done := make(chan error, 1)
	go func() {
		_, err := Load(path, worldRules)
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrCorrupt) || !errors.Is(err, errTreeShared) {
			t.Fatalf("error %v, want %v wrapping %v", err, ErrCorrupt, errTreeShared)
		}
	case <-time.After(time.Minute):
		t.Fatal("Load of a 2^32-path search tree still running after a minute: the tree check is missing")
	}
}
