package node

import (
	"strings"
	"testing"

	"outlast/internal/cluster"
)

// TestStoppedNodeIsNotReady: a node whose state machine stopped at an
// entry of a newer protocol version says so among its readiness reasons,
// and a node that applies says nothing of it.
func TestStoppedNodeIsNotReady(t *testing.T) {
	if got := stoppedReasons(cluster.Status{}); len(got) != 0 {
		t.Errorf("a node that applies: %q, want no reason", got)
	}
	got := stoppedReasons(cluster.Status{ApplyStopped: "state: stopped applying the log at index 9: newer protocol version"})
	if len(got) != 1 || !strings.Contains(got[0], "index 9") || !strings.Contains(got[0], "upgrade this node") {
		t.Errorf("a stopped node: %q, want one reason naming the entry and the remedy", got)
	}
}
