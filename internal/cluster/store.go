package cluster

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"go.etcd.io/bbolt"
)

const (
	// snapshotsKept is how many snapshots stay on disk.
	snapshotsKept = 3
	// logCacheSize is how many recent log entries stay in memory, so
	// replication to a follower that is slightly behind reads no disk.
	logCacheSize = 512
	// storeLockTimeout: bbolt locks raft.db; a second process on the same
	// data directory fails after this instead of hanging.
	storeLockTimeout = 2 * time.Second
)

// openStores opens raft's log, stable and snapshot stores in dir, or in
// memory when dir is empty. The stores on disk report every write's
// outcome to c.persist, for Status.
func (c *Cluster) openStores(dir string) (raft.LogStore, raft.StableStore, raft.SnapshotStore, error) {
	if dir == "" {
		mem := raft.NewInmemStore()
		return mem, mem, raft.NewInmemSnapshotStore(), nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, nil, fmt.Errorf("cluster: data dir: %w", err)
	}
	bolt, err := raftboltdb.New(raftboltdb.Options{
		Path:        filepath.Join(dir, "raft.db"),
		BoltOptions: &bbolt.Options{Timeout: storeLockTimeout},
	})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("cluster: open %s: %w", filepath.Join(dir, "raft.db"), err)
	}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(dir, snapshotsKept, newRaftLogger(c.logger, c.sampled))
	if err != nil {
		bolt.Close()
		return nil, nil, nil, fmt.Errorf("cluster: snapshot store: %w", err)
	}
	// The watch sits under the cache, on the writes that reach the disk.
	logs, err := raft.NewLogCache(logCacheSize, watchedLogs{bolt, &c.persist})
	if err != nil {
		bolt.Close()
		return nil, nil, nil, fmt.Errorf("cluster: log cache: %w", err)
	}
	c.stores = bolt
	return logs, watchedStable{bolt, &c.persist}, watchedSnapshots{snaps, &c.persist}, nil
}
