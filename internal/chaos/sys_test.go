//go:build linux

package chaos

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"outlast/internal/fulldisk"
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
	disk = fulldisk.Unavailable()
	return partition, disk
}

// tmpfsSize is the data disk of the node whose disk fills up: room for the
// Raft log of a run, small enough to fill in a moment.
const tmpfsSize = "32m"

// fillFile is the file that fills the data disk.
func fillFile(dir string) string { return filepath.Join(dir, "chaos-fill") }

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
