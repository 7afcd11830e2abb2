package node

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"outlast/internal/config"
	"outlast/internal/health"
	"outlast/internal/model"
	"outlast/internal/state"
)

// proposeTimeout bounds how long the leader waits for a command to commit.
const proposeTimeout = 5 * time.Second

// decider is the leader's health engine with what it was built for.
type decider struct {
	engine *health.Engine
	key    string // config hash and members the engine was built for
}

// decideLoop routes observations. On the leader they feed the health engine,
// whose verdict changes are committed to the log; on a follower they are
// batched and sent to the leader. Only this goroutine touches the engine.
func (n *Node) decideLoop() {
	var d *decider
	var outbox []model.Observation
	lastSend := time.Now()
	tick := time.NewTimer(evaluateEvery)
	defer tick.Stop()
	for {
		select {
		case <-n.ctx.Done():
			return
		case o := <-n.obs:
			n.own.observe(o)
			n.latest.record(o)
			n.metrics.Observation(o)
			if d != nil {
				n.observe(d, o)
			} else {
				outbox = append(outbox, o)
			}
		case b := <-n.remote:
			if d != nil {
				n.observeRemote(d, b)
			}
		case <-tick.C:
			tick.Reset(evaluateEvery)
			now := time.Now()
			if n.own.evaluate(n.effectiveConfig(n.machine.Current()), now) && n.cutOff() {
				n.signalChange() // a cut-off node's answers follow its own probes' removals
			}
			if !n.cluster.IsLeader() {
				d = nil
				n.primaries.stop()
				if len(outbox) > 0 && now.Sub(lastSend) >= sendEvery {
					n.queueSend(outbox)
					outbox, lastSend = nil, now
				}
				continue
			}
			outbox = nil
			d = n.lead(d, now)
		}
	}
}

// lead does the leader's periodic work and returns the engine to use next.
func (n *Node) lead(d *decider, now time.Time) *decider {
	st := n.machine.Current()
	if st.Config == nil {
		// A new cluster starts from the leader's file.
		_ = n.proposeConfig(n.local, "bootstrap")
		return d
	}
	if d = n.ensureDecider(d, st); d == nil {
		return nil
	}
	if changes := d.engine.Evaluate(now); len(changes) > 0 {
		n.propose(state.Command{Kind: state.SetVerdicts, At: now, Who: n.local.Node.Name, Verdicts: changes}, func() {
			// Not committed: forget the change so the next tick proposes it again.
			for _, v := range changes {
				if old, ok := st.Verdicts.Get(v.Endpoint); ok {
					_ = d.engine.Restore(v.Endpoint, old.Health, old.Since)
				} else {
					_ = d.engine.Restore(v.Endpoint, model.Unknown, time.Time{})
				}
			}
		})
	}
	n.primaries.lead(st, now)
	n.rotateCookies(st, now)
	if next := st.NextExpiry(); !next.IsZero() && !now.Before(next) {
		n.propose(state.Command{Kind: state.ExpireOverrides, At: now, Who: n.local.Node.Name}, nil)
	}
	return d
}

// ensureDecider returns an engine for the current configuration and members,
// building a new one (seeded with the agreed verdicts) when either changed.
func (n *Node) ensureDecider(d *decider, st *state.State) *decider {
	cfg := n.effectiveConfig(st)
	vantages := n.vantages(st)
	key := cfg.Hash + fmt.Sprint(vantages)
	if d != nil && d.key == key {
		return d
	}
	opts, specs := health.Options{StaleAfter: cfg.Health.StaleAfter}, endpointSpecs(cfg)
	var engine *health.Engine
	var err error
	if d != nil {
		// Keep the views of endpoints and vantage points both engines know.
		engine, err = d.engine.Rebuild(opts, specs, vantages)
	} else {
		engine, err = health.New(opts, specs, vantages)
	}
	if err != nil {
		n.log.Error("cannot build the health engine", "err", err)
		return nil
	}
	for name, v := range st.Verdicts.All() {
		_ = engine.Restore(name, v.Health, v.Since) // the agreed verdicts, not this node's memory of them
	}
	n.log.Info("deciding as leader", "vantages", len(vantages), "endpoints", len(endpointSpecs(cfg)))
	return &decider{engine: engine, key: key}
}

// vantages are the members the state knows, plus this node.
func (n *Node) vantages(st *state.State) []health.Vantage {
	self := health.Vantage{Name: n.local.Node.Name, Location: n.local.Node.Location}
	out := []health.Vantage{self}
	for _, m := range st.Members {
		if m.Name != self.Name {
			out = append(out, health.Vantage{Name: m.Name, Location: m.Location})
		}
	}
	slices.SortFunc(out, func(a, b health.Vantage) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// observe feeds one observation to the engine and reports whether the
// engine took it: it knows the endpoint and the vantage point.
func (n *Node) observe(d *decider, o model.Observation) bool {
	if err := d.engine.Observe(o); err != nil {
		n.log.Debug("observation not used", "err", err)
		return false
	}
	return true
}

// propose commits a command through the cluster; onFail runs if it did not commit.
func (n *Node) propose(cmd state.Command, onFail func()) {
	data, err := state.Encode(cmd)
	if err == nil {
		ctx, cancel := context.WithTimeout(n.ctx, proposeTimeout)
		err = n.cluster.Apply(ctx, data)
		cancel()
	}
	if err != nil {
		n.log.Warn("command not committed", "kind", cmd.Kind, "err", err)
		if onFail != nil {
			onFail()
		}
	}
}

// proposeConfig replicates cfg's shared part; a follower's request is
// forwarded to the leader by the cluster.
func (n *Node) proposeConfig(cfg *config.Config, who string) error {
	shared := cfg.Shared()
	data, err := state.Encode(state.Command{Kind: state.SetConfig, At: time.Now(), Who: who,
		Config: &shared, ConfigHash: cfg.Hash})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(n.ctx, proposeTimeout)
	defer cancel()
	return n.cluster.Apply(ctx, data)
}

func endpointSpecs(cfg *config.Config) []health.EndpointSpec {
	var specs []health.EndpointSpec
	for _, s := range cfg.Services {
		for _, e := range s.Endpoints {
			specs = append(specs, health.EndpointSpec{
				Name: e.Name, Fall: s.Check.Fall, Rise: s.Check.Rise, Interval: s.Check.Interval,
			})
		}
	}
	return specs
}

// evidenceSummary renders a verdict's evidence for one log line:
// "n1=down (timeout: ...); n2=up (ok)".
func evidenceSummary(v model.Verdict) string {
	parts := make([]string, len(v.Evidence))
	for i, e := range v.Evidence {
		if e.At.IsZero() {
			parts[i] = e.Vantage + "=no probe yet"
			continue
		}
		s := fmt.Sprintf("%s=%s (%s", e.Vantage, e.State, e.Last.Reason)
		if e.Last.Detail != "" {
			s += ": " + e.Last.Detail
		}
		if !e.Fresh {
			s += ", stale"
		}
		parts[i] = s + ")"
	}
	return strings.Join(parts, "; ")
}
