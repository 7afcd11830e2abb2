package cluster

import (
	"testing"
	"time"
)

// TestTimingScaled: the multiplier stretches failure detection and leaves
// the commit batching alone; below 1 it counts as 1; what it yields is
// what raft is configured with.
func TestTimingScaled(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		m                                  int
		heartbeat, election, lease, commit time.Duration
	}{
		{0, 500 * ms, 500 * ms, 250 * ms, 50 * ms},
		{1, 500 * ms, 500 * ms, 250 * ms, 50 * ms},
		{3, 1500 * ms, 1500 * ms, 750 * ms, 50 * ms},
		{10, 5000 * ms, 5000 * ms, 2500 * ms, 50 * ms},
	} {
		conf, _ := (&Cluster{}).raftConfig(Options{NodeID: "n1", Timing: Timing{}.Scaled(tc.m)})
		got := [4]time.Duration{conf.HeartbeatTimeout, conf.ElectionTimeout, conf.LeaderLeaseTimeout, conf.CommitTimeout}
		want := [4]time.Duration{tc.heartbeat, tc.election, tc.lease, tc.commit}
		if got != want {
			t.Errorf("multiplier %d: heartbeat, election, lease, commit = %v, want %v", tc.m, got, want)
		}
	}
}
