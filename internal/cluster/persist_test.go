package cluster

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"outlast/internal/fulldisk"
)

// TestPersistWatch: a store's failure is kept with its first time until one
// of its writes succeeds; Status reports the failure that began first.
func TestPersistWatch(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	now := t0
	w := persistWatch{now: func() time.Time { return now }}
	full := errors.New("no space left on device")
	check := func(step, wantErr string, wantSince time.Time) {
		t.Helper()
		if f := w.state(); f.err != wantErr || !f.since.Equal(wantSince) {
			t.Fatalf("%s: got %q since %v, want %q since %v", step, f.err, f.since, wantErr, wantSince)
		}
	}
	check("healthy", "", time.Time{})
	w.record(storeLog, full)
	now = now.Add(time.Second)
	w.record(storeLog, fmt.Errorf("again: %w", full))
	check("log failing twice", "log store: again: no space left on device", t0)
	w.record(storeStable, full)
	w.record(storeStable, nil)
	check("stable failed and recovered", "log store: again: no space left on device", t0)
	w.record(storeSnapshot, full)
	w.record(storeLog, nil)
	check("log recovered, snapshot failing", "snapshot store: no space left on device", t0.Add(time.Second))
	w.record(storeSnapshot, nil)
	check("all recovered", "", time.Time{})
	// A snapshot that failed first must not hide a log failing after it:
	// the node stops applying only for the log.
	w.record(storeSnapshot, full)
	now = now.Add(time.Second)
	w.record(storeLog, full)
	check("snapshot then log failing", "log store: no space left on device", now)
	if f := w.state(); f.store != "log" {
		t.Errorf("store %q, want log", f.store)
	}
}

// TestTCPFullDiskReported is issue 12's defect 2 as far as the cluster
// sees it: a follower whose data directory is full (a real tmpfs, filled to
// ENOSPC) stops storing entries while it still hears heartbeats. Its
// Status must say so, and say so no more once the disk has room again.
func TestTCPFullDiskReported(t *testing.T) {
	if why := fulldisk.Unavailable(); why != "" {
		t.Skip(why)
	}
	nodes := newTCPCluster(t, newTestCA(t, "cluster"), 3, func(n *tcpNode) {
		n.dir = filepath.Join(t.TempDir(), "data")
		fulldisk.Mount(t, n.dir, "2m")
	})
	leader := leaderOf(t, nodes)
	f := followerOf(nodes, leader)
	applyN(t, leader.c, "warm", 3)
	waitSame(t, 3, tcpMachines(nodes)...)

	filler := filepath.Join(f.dir, "filler")
	if _, err := fulldisk.Fill(filler); err != nil {
		t.Fatal(err)
	}
	filled := time.Now()

	// Entries of 4 KB: the follower must grow its log file to take them.
	payload := strings.Repeat("x", 4<<10)
	var reported time.Duration
	var st Status
	committed := 3
	waitFor(t, f.id+" reporting a persist error", func() (bool, string) {
		if err := leader.c.Apply(testCtx(t), []byte(fmt.Sprint(committed, payload))); err != nil {
			return false, fmt.Sprintf("apply on the leader: %v", err)
		}
		committed++
		st = f.c.Status()
		reported = time.Since(filled)
		return st.PersistError != "", fmt.Sprintf("%d committed, %s status %+v", committed, f.id, st)
	})
	t.Logf("%s reported %q %v after its disk filled (%d entries committed; it applied %d, the leader %d)",
		f.id, st.PersistError, reported.Round(time.Millisecond), committed-3, st.AppliedIndex, leader.c.Status().AppliedIndex)
	if st.PersistStore != "log" || !strings.Contains(st.PersistError, "no space left") {
		t.Errorf("persist error: got %q in store %q, want the log store's ENOSPC", st.PersistError, st.PersistStore)
	}
	if st.PersistFailingSince.Before(filled) || st.PersistFailingSince.After(time.Now()) {
		t.Errorf("failing since %v: want after the disk filled at %v", st.PersistFailingSince, filled)
	}

	// A snapshot cannot be written either, and is recorded too; Status
	// keeps reporting the failure that began first.
	if err := f.c.Snapshot(); err == nil {
		t.Errorf("snapshot on a full disk: no error")
	}
	if snap := f.c.persist.failing[storeSnapshot]; snap.since.IsZero() {
		t.Errorf("snapshot on a full disk: not recorded")
	} else {
		t.Logf("snapshot on a full disk: %s", snap.err)
	}
	if st := f.c.Status(); st.PersistStore != "log" {
		t.Errorf("after the snapshot failed: reporting store %q, want the log store's earlier failure", st.PersistStore)
	}

	// Room again: the follower catches up and its error clears.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	applyN(t, leader.c, "after", 1)
	committed++
	waitSame(t, committed, tcpMachines(nodes)...)
	if err := f.c.Snapshot(); err != nil { // a snapshot failure stays until one succeeds
		t.Fatalf("snapshot with room again: %v", err)
	}
	waitFor(t, f.id+" with its persist error cleared", func() (bool, string) {
		st := f.c.Status()
		return st.PersistError == "" && st.PersistFailingSince.IsZero() && st.PersistStore == "", fmt.Sprintf("%+v", st)
	})
}
