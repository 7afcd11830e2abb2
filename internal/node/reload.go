package node

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"time"

	"outlast/internal/config"
	"outlast/internal/state"
	"outlast/internal/zone"
)

// Errors Reload returns; on any of them nothing changed.
var (
	// ErrLocalChanged: the new file changes this node's own settings (node,
	// dns, http, cluster, resolver, proxy). Those need a restart, and a
	// half-applied reload (new services, old sockets) would not be what
	// the file says.
	ErrLocalChanged = errors.New("node: node, dns, http, cluster, resolver and proxy settings cannot change without a restart")
	// ErrFileBehind: the cluster's configuration changed since this node's
	// file was last in step with it (through the API, or another node's
	// file), so applying the file would silently undo that change.
	ErrFileBehind = errors.New("node: the cluster's configuration changed since this file was last applied")
	// ErrNotJoined: this node has applied no configuration of the cluster
	// yet, so it cannot tell what the file would replace.
	ErrNotJoined = errors.New("node: this node has not applied the cluster's configuration yet")
)

// fileSync is what this node knows of its own file against the cluster: the
// hash of the file's replicated part, and the last configuration version
// that had the same hash (0: none since the node started).
type fileSync struct {
	hash string
	base uint64
}

// Reload applies a new configuration file while the node runs. Its
// replicated part (health, zones, services) goes to the cluster, through
// the leader, and every node follows once it is committed; its api section
// applies to this node at once. On any error nothing changes.
//
// The replicated part is applied only against the version the file was last
// in step with, so a file that is behind the cluster (an operator applied a
// change through the API, or another node's file) is refused with a reason
// instead of reverting that change. A file whose replicated part is what
// the cluster runs changes nothing there.
func (n *Node) Reload(cfg *config.Config) error {
	if diff := localDiff(n.local, cfg); diff != "" {
		return fmt.Errorf("%w (%s changed)", ErrLocalChanged, diff)
	}
	if err := n.reloadShared(cfg); err != nil {
		return err
	}
	if n.access.reload(cfg.API) {
		n.log.Info("api access reloaded", "tokens", len(cfg.API.Tokens), "public_status", cfg.API.PublicStatus)
	}
	return nil
}

// reloadShared proposes cfg's replicated part when the file is in step
// with the cluster's current configuration.
func (n *Node) reloadShared(cfg *config.Config) error {
	current := n.machine.Current().Config
	if current == nil {
		return fmt.Errorf("%w; wait until /healthz/ready says ready, then reload again", ErrNotJoined)
	}
	if current.Hash == cfg.Hash {
		n.syncFile(cfg.Hash, current.Version)
		return nil
	}
	if base := n.fileBase(); base != current.Version {
		return behind(current, base)
	}
	shared := cfg.Shared()
	cmd := state.Command{Kind: state.SetConfig, At: time.Now(), Who: n.local.Node.Name,
		Why: "configuration file reloaded (SIGHUP)", Config: &shared, ConfigHash: cfg.Hash, BaseVersion: current.Version}
	ctx, cancel := context.WithTimeout(n.ctx, proposeTimeout)
	defer cancel()
	if err := n.Propose(ctx, cmd); err != nil {
		if errors.Is(err, state.ErrVersionConflict) {
			return fmt.Errorf("%w: %w", ErrFileBehind, err)
		}
		return err
	}
	n.syncFile(cfg.Hash, 0)
	n.followFile(n.machine.Current().Config) // Propose waited for this node to apply it
	return nil
}

func behind(current *state.AppliedConfig, base uint64) error {
	was := fmt.Sprintf("this file was last in step with version %d", base)
	if base == 0 {
		was = "this file has not matched it since this node started"
	}
	return fmt.Errorf("%w: the cluster runs version %d (by %s at %s), and %s, so applying it would undo what changed since. "+
		"Put that change into this file too (outlast events and outlast config get show it) and replace the cluster's "+
		"configuration with the file on purpose: outlast config apply FILE --reason TEXT (it records who and why)", ErrFileBehind, current.Version, current.Who,
		current.At.UTC().Format(time.RFC3339), was)
}

// syncFile records the file's hash and, when not 0, the version it matches.
func (n *Node) syncFile(hash string, base uint64) {
	n.fileMu.Lock()
	defer n.fileMu.Unlock()
	n.file = fileSync{hash: hash, base: base}
}

func (n *Node) fileBase() uint64 {
	n.fileMu.Lock()
	defer n.fileMu.Unlock()
	return n.file.base
}

// followFile notes, as the node applies configurations, the latest version
// whose replicated part is the file's: the version the file is in step with.
func (n *Node) followFile(current *state.AppliedConfig) {
	if current == nil {
		return
	}
	n.fileMu.Lock()
	defer n.fileMu.Unlock()
	if current.Hash == n.file.hash && current.Version > n.file.base {
		n.file.base = current.Version
	}
}

// localDiff names the first of this node's own settings that differ.
func localDiff(running, next *config.Config) string {
	switch {
	case !reflect.DeepEqual(running.Node, next.Node):
		return "node"
	case !reflect.DeepEqual(running.DNS, next.DNS):
		return "dns"
	case !reflect.DeepEqual(running.HTTP, next.HTTP):
		return "http"
	case !reflect.DeepEqual(running.Cluster, next.Cluster):
		return "cluster"
	case !reflect.DeepEqual(running.Resolver, next.Resolver):
		return "resolver"
	case !reflect.DeepEqual(running.Proxy, next.Proxy):
		return "proxy"
	}
	return ""
}

// ReloadFile loads the file and applies it; a file that does not load or
// apply is reported (log and metric) and changes nothing.
func (n *Node) ReloadFile(path string) error {
	cfg, err := config.Load(path)
	if err == nil {
		err = zone.Check(cfg)
	}
	if err == nil {
		err = n.Reload(cfg)
	}
	if err != nil {
		n.metrics.Config(path, "", false)
		n.log.Error("configuration not reloaded; the previous one stays in force", "file", path, "err", err)
		return err
	}
	n.metrics.Config(path, cfg.Hash, true)
	n.log.Info("configuration reloaded", "file", path, "hash", cfg.Hash, "services", len(cfg.Services))
	return nil
}
