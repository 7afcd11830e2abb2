package node

import (
	"errors"
	"fmt"
	"reflect"

	"outlast/internal/config"
)

// ErrLocalChanged is returned by Reload when the new file changes this
// node's own settings (node, dns, http, cluster): those need a restart, and
// a half-applied reload (new services, old sockets) would not be what the
// file says.
var ErrLocalChanged = errors.New("node: node, dns, http and cluster settings cannot change without a restart")

// Reload applies a new configuration while the node runs. Its replicated
// part (health, zones, services) goes to the cluster, through the leader,
// and every node follows once it is committed. On any error nothing changes.
func (n *Node) Reload(cfg *config.Config) error {
	if diff := localDiff(n.local, cfg); diff != "" {
		return fmt.Errorf("%w (%s changed)", ErrLocalChanged, diff)
	}
	return n.proposeConfig(cfg, n.local.Node.Name)
}

// localDiff names the first of this node's own settings that differ.
func localDiff(running, next *config.Config) string {
	switch {
	case !reflect.DeepEqual(running.Node, next.Node):
		return "node"
	case running.DNS != next.DNS:
		return "dns"
	case running.HTTP != next.HTTP:
		return "http"
	case !reflect.DeepEqual(running.Cluster, next.Cluster):
		return "cluster"
	}
	return ""
}

// ReloadFile loads the file and applies it; a file that does not load is
// reported (log and metric) and changes nothing.
func (n *Node) ReloadFile(path string) error {
	cfg, err := config.Load(path)
	if err == nil {
		err = n.Reload(cfg)
	}
	if err != nil {
		n.metrics.Config(path, "", false)
		n.log.Error("configuration not reloaded; the previous one stays in force", "file", path, "err", err)
		return err
	}
	n.metrics.Config(path, cfg.Hash, true)
	n.log.Info("configuration applied to the cluster", "file", path, "hash", cfg.Hash, "services", len(cfg.Services))
	return nil
}
