package node

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"outlast/internal/clock"
	"outlast/internal/config"
	"outlast/internal/dnsserver"
	"outlast/internal/model"
	"outlast/internal/probe"
	"outlast/internal/scheduler"
	"outlast/internal/state"
	"outlast/internal/steer"
	"outlast/internal/zone"

	"github.com/miekg/dns"
)

// recheckEvery bounds how long an override's expiry or a change of
// staleness waits to show in the answers and /healthz.
const recheckEvery = time.Second

// answerLoop keeps this node's DNS answers and probes in line with the
// applied state. Every node runs it, leader or not: each answers from its own
// copy of the agreed state, so a node cut off from the others keeps answering
// from the last state it heard (static stability).
func (n *Node) answerLoop() {
	var probing *probeRun
	defer func() { probing.stop() }()
	defer n.secondaries.close()
	tick := time.NewTimer(0)
	defer tick.Stop()
	var last *state.State
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-n.changed:
		case <-n.targets.changes():
			n.recordResolution()
		case <-tick.C:
			tick.Reset(recheckEvery)
			if n.holding.Load() {
				tick.Reset(evaluateEvery) // catching up is seen at once
			}
			n.checkStale()
		}
		st, now := n.machine.Current(), time.Now()
		n.beat.Store(now.UnixNano())
		cfg := n.effectiveConfig(st)
		if probing == nil || probing.hash != cfg.Hash {
			probing.stop()
			n.targets.watch(cfg)
			probing = n.startProbing(cfg)
			// Endpoints the new configuration dropped must not linger in
			// the verdict metrics; recordVerdicts sets the current ones again.
			n.metrics.ResetVerdicts()
		}
		n.followFile(st.Config)
		n.recordVerdicts(last, st, cfg)
		n.recordPrimaries(last, st)
		last = st
		if n.holding.Load() && !n.caughtUp(now) {
			continue
		}
		snap, err := n.buildAnswers(cfg, st, now)
		if err != nil {
			// The previous snapshot keeps answering: a node never goes
			// silent because a new answer could not be built.
			n.log.Error("new answers not applied", "err", err)
			continue
		}
		n.dns.Swap(snap)
		n.setUpTransfers(cfg)
		n.publishZones(snap)
		n.publishZoneStatus(cfg, st, snap)
	}
}

// caughtUp reports whether a member that holds its answers since it
// started may answer: it has applied everything its leader told it is
// committed, or it waited cluster.stale_after for that in vain and answers
// from what it has (static stability, with its own probes' removals).
// Until then it answers SERVFAIL, and resolvers ask another nameserver
// rather than get an answer from a state that may be hours old.
func (n *Node) caughtUp(now time.Time) bool {
	st := n.cluster.Status()
	led := st.State == "Leader" || (st.LeaderID != "" && !st.LastContact.IsZero())
	switch {
	case led && st.CommitIndex > 0 && st.AppliedIndex >= st.CommitIndex && n.machine.Current().Config != nil:
		n.log.Info("caught up with the cluster: answering", "applied_index", st.AppliedIndex, "after", now.Sub(n.started).Round(time.Millisecond))
	case now.Sub(n.started) > n.local.Cluster.StaleAfter:
		n.log.Warn("could not catch up with the cluster: answering from the state this node has, less what its own probes see down",
			"waited", n.local.Cluster.StaleAfter, "applied_index", st.AppliedIndex, "leader", st.LeaderID)
	default:
		return false
	}
	n.holding.Store(false)
	return true
}

// effectiveConfig is the configuration the node runs (state.EffectiveConfig:
// the API shows what the node runs by the same rule).
func (n *Node) effectiveConfig(st *state.State) *config.Config {
	return state.EffectiveConfig(n.local, st)
}

// buildAnswers steers every service from the state and packs a DNS
// snapshot; cfg is the configuration the node runs at st (effectiveConfig).
func (n *Node) buildAnswers(cfg *config.Config, st *state.State, now time.Time) (*dnsserver.Snapshot, error) {
	services := cfg.Services
	if st.Config != nil {
		services = st.Services(now) // with drain overrides applied
	}
	agreed := func(name string) model.Health { return st.Health(name, now) }
	// Read once: the DNS answers and the proxy's plan steer by the same health.
	cutOff, resolved := n.cutOff(), n.targets.resolved()
	var answers []model.Answer
	if cutOff {
		answers = steer.CutOff(services, agreed, n.own.of, resolved)
	} else {
		returned := func(name string) time.Time { return st.ReturnedAt(name, now) }
		answers = steer.AnswersReturning(services, agreed, resolved, steer.Returns{Now: now, At: returned})
	}
	static, err := n.staticOf(cfg)
	if err != nil {
		return nil, fmt.Errorf("node: build answers: %w", err)
	}
	if st.Config != nil {
		static.Version = st.Config.Version
	}
	if static.Signers, err = n.signersOf(cfg); err != nil {
		return nil, err
	}
	static.Now = now
	if !n.holding.Load() {
		// A holding node's answers are not served: numbering them would
		// spend serials on a state it has not caught up with.
		static.Serials = n.transferSerials(cfg, st, answers)
	}
	static.NSID = n.local.DNS.NSIDValue()
	static.Cookies = n.cookieJar(st)
	if err := n.areas.static(cfg, &static); err != nil {
		return nil, err
	}
	snap, err := dnsserver.NewSnapshot(cfg.Zones, answers, static)
	if err != nil {
		return nil, fmt.Errorf("node: build answers: %w", err)
	}
	n.recordSigning(static.Signers, snap)
	healthOf := func(*config.Service) func(string) model.Health { return agreed }
	if cutOff {
		healthOf = func(svc *config.Service) func(string) model.Health { return steer.CutOffHealth(svc, agreed, n.own.of) }
	}
	if err := n.proxy.update(services, st, now, healthOf, resolved, &areaTable{static.Areas, static.AreaNames}); err != nil {
		n.log.Error("proxy plan not applied: the proxy keeps the previous one", "err", err)
	}
	n.metrics.Answers(answers)
	if prev := n.answers.Swap(&answers); prev != nil {
		n.logModeChanges(*prev, answers)
	}
	return snap, nil
}

// staticRecords caches the zones' records of one configuration: answers
// are rebuilt on every verdict change, and a zone file is parsed only when
// the configuration changes. Only buildAnswers uses it, so it needs no lock:
// New calls that before the answer loop starts, then only the loop does.
type staticRecords struct {
	hash    string
	records map[string][]dns.RR
}

// staticOf returns the zones' static records of cfg, parsed once per
// configuration (by its hash, which covers the zone files' text).
func (n *Node) staticOf(cfg *config.Config) (dnsserver.Static, error) {
	c := &n.static
	if c.records == nil || c.hash != cfg.Hash {
		records := make(map[string][]dns.RR, len(cfg.Zones))
		for _, z := range cfg.Zones {
			rrs, err := zone.Records(z)
			if err != nil {
				return dnsserver.Static{}, err
			}
			records[z.Apex] = rrs
		}
		c.hash, c.records = cfg.Hash, records
	}
	return dnsserver.Static{Records: c.records}, nil
}

// logModeChanges says when a name stops steering (panic, serve-all, fallback,
// empty) or starts again: operators want to hear about those.
func (n *Node) logModeChanges(before, after []model.Answer) {
	old := make(map[[3]string]model.AnswerMode, len(before))
	for _, a := range before {
		old[[3]string{a.Name, string(a.Type), a.Area}] = a.Mode
	}
	for _, a := range after {
		if was, ok := old[[3]string{a.Name, string(a.Type), a.Area}]; ok && was != a.Mode {
			level := slog.LevelWarn
			if a.Mode == model.ModeHealthy {
				level = slog.LevelInfo
			}
			n.log.Log(context.Background(), level, "answer mode changed", "name", a.Name, "type", a.Type, "area", a.Area,
				"from", was, "to", a.Mode, "addresses", a.AddressCount())
		}
	}
}

// recordVerdicts updates the verdict metrics and logs the changes the state brought.
func (n *Node) recordVerdicts(before, after *state.State, cfg *config.Config) {
	for _, svc := range cfg.Services {
		for _, e := range svc.Endpoints {
			v, _ := after.Verdicts.Get(e.Name)
			var was model.Verdict
			if before != nil {
				was, _ = before.Verdicts.Get(e.Name)
			}
			changed := before != nil && was.Health != v.Health
			n.metrics.Verdict(svc.Name, e.Name, e.Location, v.Health, changed)
			if changed {
				n.log.Info("verdict changed", "endpoint", e.Name, "service", svc.Name,
					"from", was.Health.String(), "to", v.Health.String(),
					"up_votes", v.UpVotes, "down_votes", v.DownVotes, "voters", v.Voters, "evidence", evidenceSummary(v))
			}
		}
	}
}

// probeRun is one scheduler probing one configuration's endpoints.
type probeRun struct {
	hash    string
	cancel  context.CancelFunc
	stopped chan struct{}
}

func (p *probeRun) stop() {
	if p != nil {
		p.cancel()
		<-p.stopped
	}
}

// startProbing runs a scheduler for cfg's endpoints until stopped.
func (n *Node) startProbing(cfg *config.Config) *probeRun {
	ctx, cancel := context.WithCancel(n.ctx)
	run := &probeRun{hash: cfg.Hash, cancel: cancel, stopped: make(chan struct{})}
	sched := scheduler.New(scheduler.Options{
		Clock:   clock.Real{},
		Vantage: cfg.Node.Name,
		Probe:   n.opts.Probe,
		Emit: func(o model.Observation) {
			// Block rather than drop: a lost failure would delay a failover.
			select {
			case n.obs <- o:
			case <-ctx.Done():
			}
		},
		Late:   n.metrics.ProbeLateness,
		Logger: n.opts.Logger,
	}, jobs(cfg, n.targets.probeAddrs))
	go func() {
		defer close(run.stopped)
		_ = sched.Run(ctx)
	}()
	return run
}

// jobs lists the probes of cfg's endpoints. A hostname endpoint's probe
// takes its addresses from addrsOf just before each probe.
func jobs(cfg *config.Config, addrsOf func(target string, svc *config.Service) func() []netip.Addr) []scheduler.Job {
	var out []scheduler.Job
	for i := range cfg.Services {
		s := &cfg.Services[i]
		for _, e := range s.Endpoints {
			j := scheduler.Job{
				Endpoint: e.Name,
				Target: probe.Target{Endpoint: e.Name, Host: strings.TrimSuffix(e.Target, "."), Addr: e.ProbeAddress,
					Port: s.Check.Port, Source: cfg.Node.ProbeSource},
				Check: s.Check,
			}
			if e.HasTarget() {
				j.Addrs = addrsOf(e.Target, s)
			}
			out = append(out, j)
		}
	}
	return out
}

// recordResolution puts what the resolver holds in the metrics.
func (n *Node) recordResolution() {
	states := map[string]string{}
	for _, r := range n.targets.report() {
		states[r.Target] = r.State
	}
	n.metrics.TargetResolution(states)
}
