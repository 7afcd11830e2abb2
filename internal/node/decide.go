package node

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"outlast/internal/config"
	"outlast/internal/dnsserver"
	"outlast/internal/health"
	"outlast/internal/model"
	"outlast/internal/probe"
	"outlast/internal/scheduler"
	"outlast/internal/steer"
)

// decideLoop is the only goroutine that touches the health engine: it folds
// observations in as they come and, on each tick, turns verdict changes into
// a new DNS snapshot. Reloads run here too, so they need no lock.
func (n *Node) decideLoop() {
	tick := n.opts.Clock.NewTimer(evaluateEvery)
	defer tick.Stop()
	for {
		select {
		case <-n.ctx.Done():
			return
		case o := <-n.obs:
			n.observe(o)
		case r := <-n.reloads:
			r.reply <- n.applyReload(r.cfg)
		case <-tick.C():
			n.evaluate(n.opts.Clock.Now())
			tick.Reset(evaluateEvery)
		}
	}
}

func (n *Node) observe(o model.Observation) {
	if _, ok := n.gen.endpoints[o.Endpoint]; !ok {
		return // probed under a configuration that has since been replaced
	}
	n.metrics.Observation(o)
	n.gen.status.observe(o)
	if err := n.gen.engine.Observe(o); err != nil {
		n.log.Warn("observation dropped", "err", err)
	}
}

func (n *Node) evaluate(now time.Time) {
	gen := n.gen
	changes := gen.engine.Evaluate(now)
	if len(changes) == 0 {
		return
	}
	for _, v := range changes {
		info := gen.endpoints[v.Endpoint]
		from := gen.status.verdict(v)
		n.metrics.Verdict(info.service, v.Endpoint, info.location, v.Health, true)
		n.log.Info("verdict changed", "endpoint", v.Endpoint, "service", info.service,
			"from", from.String(), "to", v.Health.String(),
			"up_votes", v.UpVotes, "down_votes", v.DownVotes, "voters", v.Voters, "evidence", evidenceSummary(v))
	}
	snap, err := n.steer(gen)
	if err != nil {
		// The previous snapshot keeps answering: a node never goes silent
		// because a new answer could not be built.
		n.log.Error("new answers not applied", "err", err)
		return
	}
	n.dns.Swap(snap)
}

// steer computes every service's answer from gen's verdicts and builds the DNS snapshot.
func (n *Node) steer(gen *generation) (*dnsserver.Snapshot, error) {
	answers := steer.Answers(gen.cfg.Services, gen.engine.Current)
	snap, err := dnsserver.NewSnapshot(gen.cfg.Zones, answers)
	if err != nil {
		return nil, fmt.Errorf("node: build answers: %w", err)
	}
	n.metrics.Answers(answers)
	for _, change := range gen.status.setAnswers(answers) {
		level := slog.LevelWarn
		if change.to == model.ModeHealthy {
			level = slog.LevelInfo
		}
		n.log.Log(context.Background(), level, "answer mode changed", "name", change.name, "type", change.typ,
			"from", change.from, "to", change.to, "addresses", change.addrs)
	}
	return snap, nil
}

// evidenceSummary renders a verdict's evidence for one log line:
// "n1=down (timeout: ...); n2=up (ok)".
func evidenceSummary(v model.Verdict) string {
	parts := make([]string, len(v.Evidence))
	for i, e := range v.Evidence {
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

func jobs(cfg *config.Config) []scheduler.Job {
	var out []scheduler.Job
	for _, s := range cfg.Services {
		for _, e := range s.Endpoints {
			out = append(out, scheduler.Job{
				Endpoint: e.Name,
				Target:   probe.Target{Endpoint: e.Name, Addr: e.ProbeAddress, Port: s.Check.Port},
				Check:    s.Check,
			})
		}
	}
	return out
}
