package chaos

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// The root-only faults: a partition made of nftables rules on the
// loopback, and a data directory on a small tmpfs that the suite fills.

// rootFaults says which root-only faults this machine allows, and why not.
func rootFaults() (partition, disk string) {
	if os.Geteuid() != 0 {
		return "not root: the partition needs nftables rules", "not root: the full disk needs a tmpfs mount"
	}
	if _, err := exec.LookPath("nft"); err != nil {
		partition = "nft is not installed (apt-get install nftables)"
	} else if out, err := exec.Command("nft", "list", "tables").CombinedOutput(); err != nil {
		partition = fmt.Sprintf("nft list tables failed: %v: %s", err, strings.TrimSpace(string(out)))
	}
	probe, err := os.MkdirTemp("", "chaos-tmpfs-")
	if err != nil {
		return partition, err.Error()
	}
	defer os.Remove(probe)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", probe).CombinedOutput(); err != nil {
		disk = fmt.Sprintf("mount -t tmpfs failed: %v: %s", err, strings.TrimSpace(string(out)))
	} else {
		_ = exec.Command("umount", probe).Run()
	}
	return partition, disk
}

// tmpfsSize is the data disk of the node whose disk fills up: room for the
// Raft log of a run, small enough to fill in a moment.
const tmpfsSize = "32m"

func mountTmpfs(t *testing.T, dir string) {
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+tmpfsSize, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs on %s: %v: %s", dir, err, out)
	}
	// Registered before the node starts, so it runs after the node is stopped.
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Logf("umount %s: %v: %s; detaching it lazily", dir, err, out)
			_ = exec.Command("umount", "-l", dir).Run()
		}
	})
}

// fillDisk writes dir/chaos-fill until the file system is full; it
// returns how many bytes it wrote.
func fillDisk(dir string) (int64, error) {
	f, err := os.Create(filepath.Join(dir, "chaos-fill"))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	chunk := make([]byte, 256<<10)
	var written int64
	for range 4096 { // at most 1 GiB: the tmpfs is far smaller
		n, err := f.Write(chunk)
		written += int64(n)
		if errors.Is(err, syscall.ENOSPC) {
			return written, nil
		}
		if err != nil {
			return written, err
		}
	}
	return written, fmt.Errorf("wrote %d bytes to %s without filling it: is it the tmpfs?", written, dir)
}

func freeDisk(dir string) error { return os.Remove(filepath.Join(dir, "chaos-fill")) }

// partitionTable is the nftables table of the suite's rules, one per test
// process, deleted whole when the partition ends and in t.Cleanup.
func partitionTable() string { return fmt.Sprintf("outlast_chaos_%d", os.Getpid()) }

// partition cuts n off the other nodes' cluster port and theirs off n's,
// leaving DNS, HTTP and probes alone. On loopback every connection leaves
// from 127.0.0.1, so n's own outgoing connections are matched by the group
// id it runs with; those coming to n by its address.
func partition(n *chaosNode, clusterPort int) error {
	table := partitionTable()
	rules := fmt.Sprintf(`table inet %[1]s {
	chain out {
		type filter hook output priority 0; policy accept;
		meta skgid %[2]d tcp dport %[3]d drop
		ip daddr %[4]s tcp dport %[3]d drop
		ip saddr %[4]s tcp sport %[3]d drop
	}
}
`, table, n.gid, clusterPort, n.ip)
	cmd := exec.Command("nft", "-f", "-")
	cmd.Stdin = strings.NewReader(rules)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("nft -f: %v: %s\n%s", err, out, rules)
	}
	return nil
}

// heal deletes the partition's table; no table is no error.
func heal() error {
	out, err := exec.Command("nft", "delete", "table", "inet", partitionTable()).CombinedOutput()
	if err != nil && !strings.Contains(string(out), "No such file") {
		return fmt.Errorf("nft delete table: %v: %s", err, out)
	}
	return nil
}
