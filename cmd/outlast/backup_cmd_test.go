package main

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"outlast/internal/wire"
)

// TestBackupRestoreIntoFreshCluster is issue 19's third done-when line: a
// backup taken from a running 3-node cluster, after a configuration change
// through the API, a drain and the history they make, restores into a new
// 3-node cluster (new data directories, the same configuration files) with
// the same configuration, overrides and history, the restore recorded, and
// DNS answers that follow the restored drain.
func TestBackupRestoreIntoFreshCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two clusters of processes")
	}
	lab := newClusterLab(t)
	lab.startAll()
	lab.waitForLeader(nil, 15*time.Second)
	lab.waitAllAnswer(clusterPrimary, 15*time.Second)

	lab.appendToFiles(t, "extra.example.test", "extra")
	node := lab.nodes[0]
	mustOps(t, lab, node, "config", "apply", node.config, "--reason", "add extra before the backup")
	mustOps(t, lab, node, "drain", "primary", "--reason", "maintenance kept across the disaster")
	lab.waitAllAnswer(clusterSecondary, 15*time.Second)
	file := filepath.Join(t.TempDir(), "backup.json")
	// The state read before and after the backup is the backup's when both
	// agree: a member joining late adds an event meanwhile (seen in CI).
	var before agreed
	for try := 0; ; try++ {
		before = agreedOf(t, lab, lab.nodes[1])
		mustOps(t, lab, lab.nodes[1], "backup", "-o", file)
		if after := agreedOf(t, lab, lab.nodes[1]); reflect.DeepEqual(after, before) {
			break
		}
		if try == 10 {
			t.Fatal("the cluster's state kept changing around every backup")
		}
		time.Sleep(300 * time.Millisecond)
	}

	// The disaster: every node is gone. The new cluster has the same files
	// and addresses, and empty data directories.
	for _, n := range lab.nodes {
		stopProcess(t, n.cmd)
	}
	fresh := &clusterLab{t: t, bin: lab.bin, dir: lab.dir, ports: lab.ports, api: lab.api, healthy: lab.healthy}
	newData := t.TempDir()
	for _, n := range lab.nodes {
		text, err := os.ReadFile(n.config)
		if err != nil {
			t.Fatal(err)
		}
		text = []byte(strings.ReplaceAll(string(text), filepath.Join(lab.dir, n.name+"-data"), filepath.Join(newData, n.name+"-data")))
		m := &labNode{name: n.name, ip: n.ip, dnsAddr: n.dnsAddr, httpAddr: n.httpAddr, config: filepath.Join(newData, n.name+".yaml")}
		if err := os.WriteFile(m.config, text, 0o644); err != nil {
			t.Fatal(err)
		}
		fresh.nodes = append(fresh.nodes, m)
	}
	fresh.startAll()
	fresh.waitForLeader(nil, 15*time.Second)
	fresh.waitAllAnswer(clusterPrimary, 15*time.Second) // no drain yet: a new cluster

	// restore-state is a kind of protocol version 2: it is proposed once
	// every member has said it speaks 2, which a new cluster's do shortly.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		out, err := fresh.ops(fresh.nodes[2], adminToken, "restore", "--reason", "region lost: rebuilt from backup", file)
		if err == nil {
			t.Logf("outlast restore: %s", out)
			break
		}
		if !strings.Contains(out, "protocol version") || time.Now().After(deadline) {
			t.Fatalf("outlast restore: %v\n%s", err, out)
		}
	}
	fresh.waitAllAnswer(clusterSecondary, 15*time.Second)
	for _, n := range fresh.nodes {
		after := waitAgreed(t, fresh, n, before.config.Hash)
		if after.config.Version != before.config.Version || !reflect.DeepEqual(after.overrides, before.overrides) {
			t.Errorf("%s: config v%d %s, overrides %+v; the backup's: v%d %s, %+v", n.name, after.config.Version,
				after.config.Hash, after.overrides, before.config.Version, before.config.Hash, before.overrides)
		}
		if k := len(before.events); len(after.events) < k+1 || !reflect.DeepEqual(after.events[:k], before.events) {
			t.Fatalf("%s: history %+v, want the backup's %+v first", n.name, after.events, before.events)
		}
		if e := after.events[len(before.events)]; e.Kind != "restore" || e.Who != "alice" || !strings.Contains(e.Why, "region lost") {
			t.Errorf("%s: the event after the backup's is %+v, want alice's restore", n.name, e)
		}
	}
	// A second restore would replace history: refused without --force.
	if out, err := fresh.ops(fresh.nodes[0], adminToken, "restore", "--reason", "again", file); err == nil || !strings.Contains(out, "has_history") {
		t.Errorf("a second restore: %v\n%s", err, out)
	}
}

func mustOps(t *testing.T, lab *clusterLab, n *labNode, args ...string) string {
	t.Helper()
	out, err := lab.ops(n, adminToken, args...)
	if err != nil {
		t.Fatalf("outlast %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// agreed is what a node's API says of the replicated state.
type agreed struct {
	config    *wire.ConfigDoc
	overrides []wire.Override
	events    []wire.Event
}

func agreedOf(t *testing.T, lab *clusterLab, n *labNode) agreed {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c := lab.client(n)
	var a agreed
	var err error
	if a.config, err = c.Config(ctx); err != nil {
		t.Fatal(err)
	}
	if a.overrides, err = c.Overrides(ctx); err != nil {
		t.Fatal(err)
	}
	page, err := c.Events(ctx, -1, 1000)
	if err != nil {
		t.Fatal(err)
	}
	a.events = page.Events
	return a
}

// waitAgreed waits until n applied the configuration of hash at a version
// above 1 (the restored one, not its bootstrap) and returns its state.
func waitAgreed(t *testing.T, lab *clusterLab, n *labNode, hash string) agreed {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		a := agreedOf(t, lab, n)
		if a.config.Hash == hash && a.config.Version > 1 && len(a.overrides) > 0 {
			return a
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not apply the restore within 10s: config v%d %s, overrides %+v", n.name, a.config.Version, a.config.Hash, a.overrides)
		}
	}
}
