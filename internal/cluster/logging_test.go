package cluster

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestRaftLogLevels(t *testing.T) {
	var buf bytes.Buffer
	l := newRaftLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	l.Trace("trace chatter")
	l.Info("entering follower state", "term", 3)
	l.Named("snapshot").Warn("heartbeat timeout reached")
	l.With("peer", "n2").Error("failed to appendEntries")

	got := buf.String()
	for _, want := range []string{
		`level=DEBUG msg="entering follower state" raft=raft term=3`,
		`level=WARN msg="heartbeat timeout reached" raft=raft.snapshot`,
		`level=ERROR msg="failed to appendEntries" raft=raft peer=n2`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("raft log: want a line with %q, got:\n%s", want, got)
		}
	}
	if strings.Contains(got, "trace chatter") {
		t.Errorf("raft log: trace was kept, want it dropped:\n%s", got)
	}
}
