package cluster

import (
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// A follower whose disk is full still hears the leader's heartbeats, which
// need no disk, so by raft's own account it is a healthy follower; only its
// log writes fail, and it stops applying. persistWatch keeps that fact
// where Status can report it: each of raft's stores records the outcome of
// every write, a failure with its time and error, a success clearing it.

// The stores persistWatch watches.
const (
	storeLog = iota
	storeStable
	storeSnapshot
	storeCount
)

// storeNames are the stores as Status.PersistStore names them.
var storeNames = [storeCount]string{"log", "stable", "snapshot"}

// maxPersistError bounds the error text kept (and sent in Status).
const maxPersistError = 512

// persistWatch is the latest write failure of each store, if any.
type persistWatch struct {
	now     func() time.Time
	mu      sync.Mutex
	failing [storeCount]persistFailure
}

// persistFailure is a store whose last write failed, since when and why.
type persistFailure struct {
	store string    // its name in storeNames; set by state
	since time.Time // zero while the store's writes succeed
	err   string
}

// record notes the outcome of one write to store and returns err.
func (w *persistWatch) record(store int, err error) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	f := &w.failing[store]
	if err == nil {
		*f = persistFailure{}
		return nil
	}
	if f.since.IsZero() {
		f.since = w.now()
	}
	f.err = storeNames[store] + " store: " + err.Error()
	if len(f.err) > maxPersistError {
		f.err = f.err[:maxPersistError]
	}
	return err
}

// state returns the failure that matters most, or zero values when every
// store's last write succeeded: a failing log or stable store (the node
// stops applying) before a failing snapshot store (it still applies), and
// of those the one that began first. A snapshot failure that came first
// must not hide a log that fails after it.
func (w *persistWatch) state() persistFailure {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, stores := range [][]int{{storeLog, storeStable}, {storeSnapshot}} {
		var first persistFailure
		for _, i := range stores {
			if f := w.failing[i]; !f.since.IsZero() && (first.since.IsZero() || f.since.Before(first.since)) {
				first, first.store = f, storeNames[i]
			}
		}
		if !first.since.IsZero() {
			return first
		}
	}
	return persistFailure{}
}

// watchedLogs records the outcome of every write to raft's log store.
type watchedLogs struct {
	raft.LogStore
	w *persistWatch
}

func (s watchedLogs) StoreLog(l *raft.Log) error {
	return s.w.record(storeLog, s.LogStore.StoreLog(l))
}

func (s watchedLogs) StoreLogs(logs []*raft.Log) error {
	return s.w.record(storeLog, s.LogStore.StoreLogs(logs))
}

func (s watchedLogs) DeleteRange(lo, hi uint64) error {
	return s.w.record(storeLog, s.LogStore.DeleteRange(lo, hi))
}

// IsMonotonic passes on the wrapped store's answer (raft.MonotonicLogStore).
func (s watchedLogs) IsMonotonic() bool {
	m, ok := s.LogStore.(raft.MonotonicLogStore)
	return ok && m.IsMonotonic()
}

// watchedStable records the outcome of every write to raft's stable store
// (its term and vote).
type watchedStable struct {
	raft.StableStore
	w *persistWatch
}

func (s watchedStable) Set(k, v []byte) error {
	return s.w.record(storeStable, s.StableStore.Set(k, v))
}

func (s watchedStable) SetUint64(k []byte, v uint64) error {
	return s.w.record(storeStable, s.StableStore.SetUint64(k, v))
}

// watchedSnapshots records the outcome of every snapshot written: raft's
// own, and one a follower receives from the leader to catch up.
type watchedSnapshots struct {
	raft.SnapshotStore
	w *persistWatch
}

func (s watchedSnapshots) Create(version raft.SnapshotVersion, index, term uint64, conf raft.Configuration,
	confIndex uint64, trans raft.Transport) (raft.SnapshotSink, error) {
	sink, err := s.SnapshotStore.Create(version, index, term, conf, confIndex, trans)
	if err != nil {
		return nil, s.w.record(storeSnapshot, fmt.Errorf("create: %w", err))
	}
	return &watchedSink{SnapshotSink: sink, w: s.w}, nil
}

// watchedSink records a snapshot's failed writes, and its close: a snapshot
// is persisted once its sink closes without error.
type watchedSink struct {
	raft.SnapshotSink
	w      *persistWatch
	failed bool
}

func (s *watchedSink) Write(p []byte) (int, error) {
	n, err := s.SnapshotSink.Write(p)
	if err != nil {
		s.failed = true
		s.w.record(storeSnapshot, fmt.Errorf("write: %w", err))
	}
	return n, err
}

func (s *watchedSink) Close() error {
	err := s.SnapshotSink.Close()
	if err != nil {
		return s.w.record(storeSnapshot, fmt.Errorf("close: %w", err))
	}
	if !s.failed {
		s.w.record(storeSnapshot, nil)
	}
	return nil
}
