package node

import (
	"context"
	"errors"
	"fmt"

	"outlast/internal/config"
	"outlast/internal/health"
	"outlast/internal/model"
)

// ErrListenersChanged is returned by Reload when the new configuration moves
// the DNS or HTTP listener: that needs a restart, and a half-applied reload
// (new services, old sockets) would not be what the file says.
var ErrListenersChanged = errors.New("node: dns.listen and http.listen cannot change without a restart")

// generation is one applied configuration with the engine judging its endpoints.
type generation struct {
	cfg       *config.Config
	engine    *health.Engine
	endpoints map[string]endpointInfo
	status    *statusBoard       // published to HTTP readers when the generation is applied
	stop      context.CancelFunc // stops this generation's probes
	stopped   chan struct{}      // closed when they have stopped
}

// endpointInfo is the fixed facts about an endpoint that logs and metrics label with.
type endpointInfo struct {
	service  string
	location model.Location
}

type reload struct {
	cfg   *config.Config
	reply chan error
}

// newGeneration builds the engine for cfg. Verdicts of endpoints that were
// already judged carry over, so a reload neither forgets an outage nor
// announces changes that already happened.
func (n *Node) newGeneration(cfg *config.Config, prev *generation) (*generation, error) {
	engine, err := health.New(health.Options{StaleAfter: cfg.Health.StaleAfter}, endpointSpecs(cfg),
		[]health.Vantage{{Name: cfg.Node.Name, Location: cfg.Node.Location}})
	if err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}
	gen := &generation{cfg: cfg, engine: engine, endpoints: map[string]endpointInfo{}, stopped: make(chan struct{})}
	for _, s := range cfg.Services {
		for _, e := range s.Endpoints {
			gen.endpoints[e.Name] = endpointInfo{service: s.Name, location: e.Location}
		}
	}
	gen.status = newStatusBoard(cfg, n.opts.Version)
	if prev != nil {
		now := n.opts.Clock.Now()
		for name := range gen.endpoints {
			if v, ok := prev.engine.Verdict(name, now); ok {
				_ = engine.Restore(name, v.Health, v.Since) // name is in both engines
				gen.status.verdict(v)
			}
		}
	}
	return gen, nil
}

// Reload applies a new configuration while the node runs: probes restart
// for the new endpoint set and answers follow at once. On any error the
// running configuration stays in force, untouched.
func (n *Node) Reload(cfg *config.Config) error {
	if cfg.DNS.Listen != n.listeners[0] || cfg.HTTP.Listen != n.listeners[1] {
		return fmt.Errorf("%w (running dns %s http %s, file says dns %s http %s)", ErrListenersChanged,
			n.listeners[0], n.listeners[1], cfg.DNS.Listen, cfg.HTTP.Listen)
	}
	r := reload{cfg: cfg, reply: make(chan error, 1)}
	select {
	case n.reloads <- r:
		return <-r.reply
	case <-n.ctx.Done():
		return n.ctx.Err()
	}
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
	n.log.Info("configuration reloaded", "file", path, "hash", cfg.Hash,
		"services", len(cfg.Services), "endpoints", len(n.status.Load().order))
	return nil
}

// applyReload runs in the decide loop, which owns n.gen.
func (n *Node) applyReload(cfg *config.Config) error {
	old := n.gen
	gen, err := n.newGeneration(cfg, old)
	if err != nil {
		return err
	}
	snap, err := n.steer(gen)
	if err != nil {
		return err
	}
	old.stop()
	<-old.stopped
	n.gen = gen
	n.status.Store(gen.status)
	n.metrics.ResetVerdicts()
	for name, info := range gen.endpoints {
		n.metrics.Verdict(info.service, name, info.location, gen.engine.Current(name), false)
	}
	n.dns.Swap(snap)
	n.startProbing(gen)
	return nil
}
