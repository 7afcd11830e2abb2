package main

import (
	"outlast/internal/fulldisk"

	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestFollowerWithAFullDisk is defect 2 of issue 12: a follower whose data
// directory was full stopped applying, answered a dead backend for 29 s
// and said ok in /healthz. Now it says it is not ready (503, with the
// reason), answers without what its own probes see dead, and catches up
// once space is freed. It needs root to mount a small tmpfs.
func TestFollowerWithAFullDisk(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a cluster of processes")
	}
	if why := fulldisk.Unavailable(); why != "" {
		t.Skip(why)
	}
	lab := newClusterLab(t)
	for _, n := range lab.nodes {
		fulldisk.Mount(t, filepath.Join(lab.dir, n.name+"-data"), "32m")
	}
	lab.startAll()
	leader := lab.waitForLeader(nil, 15*time.Second)
	lab.waitAllAnswer(clusterPrimary, 15*time.Second)
	full := lab.nodes[0]
	if full == leader {
		full = lab.nodes[1]
	}
	filler := filepath.Join(lab.dir, full.name+"-data", "filler")
	if _, err := fulldisk.Fill(filler); err != nil {
		t.Fatal(err)
	}

	// The primary dies; the cluster decides so, and the full follower cannot write it down.
	lab.primary.stop()
	filled := time.Now()
	var reason string
	for deadline := time.Now().Add(60 * time.Second); ; {
		// Log writes of no consequence for the answers, until bbolt runs out of pages it can reuse.
		_, _ = lab.ops(leader, adminToken, "force", "up", "secondary", "--reason", "full-disk test: write the log")
		_, _ = lab.ops(leader, adminToken, "undrain", "secondary", "--reason", "full-disk test: write the log")
		code, body := readyOf(t, full)
		if code == http.StatusServiceUnavailable && strings.Contains(body, "cannot write the Raft log") {
			reason = body
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("60s after its disk filled, %s's /healthz/ready says %d %q; want 503 saying it cannot write the Raft log", full.name, code, body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("%s reported not ready %s after its disk filled: %s", full.name, time.Since(filled).Round(time.Millisecond), strings.TrimSpace(reason))
	if s := lab.status(full); s.Ready || s.Cluster.PersistStore != "log" || s.Cluster.PersistError == "" || s.Cluster.PersistFailingSince.IsZero() {
		t.Errorf("the status of the full follower says ready %v, persist store %q, error %q since %v; want not ready, the log store failing",
			s.Ready, s.Cluster.PersistStore, s.Cluster.PersistError, s.Cluster.PersistFailingSince)
	}
	took := lab.waitAllAnswer(clusterSecondary, 3*clusterSwitchBound)
	t.Logf("every node, the full follower included, answered %s %s after that", clusterSecondary, took.Round(time.Millisecond))

	// Space comes back: the follower writes, applies and is ready again.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		code, body := readyOf(t, full)
		if code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("30s after space was freed %s says %d %q, want ready", full.name, code, body)
		}
	}
	lab.primary.serve()
	lab.waitAllAnswer(clusterPrimary, 20*time.Second)
}

func readyOf(t *testing.T, n *labNode) (int, string) {
	t.Helper()
	client := http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get("http://" + n.httpAddr + "/healthz/ready")
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}
