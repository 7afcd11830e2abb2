package cluster

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

func TestRaftLogLevels(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	l := newRaftLogger(logger, newSampledLog(logger, time.Hour))
	l.Trace("trace chatter")
	l.Info("entering follower state", "term", 3)
	l.Named("snapshot").Warn("heartbeat timeout reached")
	l.With("peer", "n2").Error("failed to appendEntries")
	l.Warn("heartbeat timeout reached, starting election", "last-leader-addr", raft.ServerAddress(""), "last-leader-id", raft.ServerID(""))
	l.Warn("heartbeat timeout reached, starting election", "last-leader-addr", "10.0.0.1:7000", "last-leader-id", "n1")

	got := buf.String()
	for _, want := range []string{
		`level=DEBUG msg="entering follower state" raft=raft term=3`,
		`level=WARN msg="heartbeat timeout reached" raft=raft.snapshot`,
		`level=ERROR msg="failed to appendEntries" raft=raft peer=n2`,
		// A node's first election is how a cluster forms; a leader gone silent is news.
		`level=DEBUG msg="heartbeat timeout reached, starting election" raft=raft last-leader-addr="" last-leader-id=""`,
		`level=WARN msg="heartbeat timeout reached, starting election" raft=raft last-leader-addr=10.0.0.1:7000 last-leader-id=n1`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("raft log: want a line with %q, got:\n%s", want, got)
		}
	}
	if strings.Contains(got, "trace chatter") {
		t.Errorf("raft log: trace was kept, want it dropped:\n%s", got)
	}
}

// TestRaftRepeatedErrorsSampled: raft repeats an error for as long as the
// fault lasts (every append to a full disk); the log gets it once and then
// a count, while Debug, asked for, stays whole.
func TestRaftRepeatedErrorsSampled(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	sampled := newSampledLog(logger, time.Hour)
	l := newRaftLogger(logger, sampled)
	for range 1000 {
		l.Error("failed to append to logs", "error", "no space left on device")
		l.Debug("accepted connection")
	}
	sampled.report(true)

	got := buf.String()
	if n := strings.Count(got, `msg="failed to append to logs"`); n != 2 {
		t.Errorf("1,000 raft errors: got %d lines, want the first and one summary:\n%.2000s", n, got)
	}
	if !strings.Contains(got, `from=raft more=999`) || !strings.Contains(got, `last="error=no space left on device"`) {
		t.Errorf("summary: want from=raft more=999 and the last error, got:\n%.2000s", got)
	}
	if n := strings.Count(got, `msg="accepted connection"`); n != 1000 {
		t.Errorf("raft debug lines: got %d of 1000, want all (debug is asked for)", n)
	}
}
