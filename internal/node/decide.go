package node

import (
	"context"
	"fmt"
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
// a new DNS snapshot.
func (n *Node) decideLoop(ctx context.Context) {
	tick := n.opts.Clock.NewTimer(evaluateEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case o := <-n.obs:
			n.observe(o)
		case <-tick.C():
			n.evaluate(n.opts.Clock.Now())
			tick.Reset(evaluateEvery)
		}
	}
}

func (n *Node) observe(o model.Observation) {
	n.metrics.Observation(o)
	n.status.observe(o)
	if err := n.engine.Observe(o); err != nil {
		n.log.Warn("observation dropped", "err", err)
	}
}

func (n *Node) evaluate(now time.Time) {
	changes := n.engine.Evaluate(now)
	if len(changes) == 0 {
		return
	}
	for _, v := range changes {
		ep := n.status.endpoint(v.Endpoint)
		n.metrics.Verdict(ep.service, v.Endpoint, ep.location, v.Health, true)
		n.status.verdict(v)
		n.log.Info("verdict changed", "endpoint", v.Endpoint, "health", v.Health.String(),
			"up_votes", v.UpVotes, "down_votes", v.DownVotes, "voters", v.Voters, "evidence", evidenceSummary(v))
	}
	snap, err := n.steer()
	if err != nil {
		// The previous snapshot keeps answering: a node never goes silent
		// because a new answer could not be built.
		n.log.Error("new answers not applied", "err", err)
		return
	}
	n.dns.Swap(snap)
}

// steer computes every service's answer from the current verdicts and builds the DNS snapshot.
func (n *Node) steer() (*dnsserver.Snapshot, error) {
	answers := steer.Answers(n.cfg.Services, n.engine.Current)
	snap, err := dnsserver.NewSnapshot(n.cfg.Zones, answers)
	if err != nil {
		return nil, fmt.Errorf("node: build answers: %w", err)
	}
	n.metrics.Answers(answers)
	n.status.setAnswers(answers)
	return snap, nil
}

func evidenceSummary(v model.Verdict) string {
	s := ""
	for i, e := range v.Evidence {
		if i > 0 {
			s += "; "
		}
		s += fmt.Sprintf("%s=%s (%s", e.Vantage, e.State, e.Last.Reason)
		if e.Last.Detail != "" {
			s += ": " + e.Last.Detail
		}
		if !e.Fresh {
			s += ", stale"
		}
		s += ")"
	}
	return s
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
