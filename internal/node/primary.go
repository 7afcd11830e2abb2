package node

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"outlast/internal/config"
	"outlast/internal/hook"
	"outlast/internal/metrics"
	"outlast/internal/model"
	"outlast/internal/primary"
	"outlast/internal/state"
)

// Waits of the leader's primary work.
const (
	// refenceEvery is how long after a failed on_demote the leader runs it
	// again: the former primary may be unreachable for long (its region is
	// down) and is demoted once it can be reached.
	refenceEvery = 10 * time.Second
	// retryPromotionAfter is how long a service whose promotion was
	// abandoned (its on_promote failed for good) waits before the leader
	// tries again.
	retryPromotionAfter = 30 * time.Second
)

// primaries is the leader's work for policy primary services: it proposes
// changes of primary (primary.Decide, primary.Follow) and runs the
// endpoints' hooks, reporting each run and its outcome through the log.
// Only the decide loop calls lead and stop; the hooks run on goroutines of
// their own, which report through the cluster.
type primaries struct {
	n      *Node
	runner *hook.Runner
	mu     sync.Mutex
	// running are the hooks in progress, by run key; stop cancels them
	// when this node stops leading, and the next leader runs them again
	// with the same epoch.
	running map[string]*hookRun
	// notBefore holds back a run (by key) or a service's next promotion
	// (by service name) after a failure.
	notBefore map[string]time.Time
	// seen is each former primary's health when the loop last looked.
	seen map[string]model.Health
}

// hookRun is one hook in progress.
type hookRun struct{ cancel context.CancelFunc }

func newPrimaries(n *Node) *primaries {
	return &primaries{n: n, runner: &hook.Runner{Dir: n.local.Node.HookDir},
		running: map[string]*hookRun{}, notBefore: map[string]time.Time{}, seen: map[string]model.Health{}}
}

// lead does the leader's primary work at now for every policy primary
// service of st.
func (p *primaries) lead(st *state.State, now time.Time) {
	if st.Config == nil {
		return
	}
	p.mu.Lock()
	// A wait that is over holds nothing back; dropping it keeps the map to
	// the failures still waited on (a failed epoch's key is never run again).
	maps.DeleteFunc(p.notBefore, func(_ string, t time.Time) bool { return !now.Before(t) })
	p.mu.Unlock()
	for i := range st.Config.Shared.Services {
		svc := &st.Config.Shared.Services[i]
		if svc.Policy != config.PolicyPrimary {
			continue
		}
		rec := st.Primaries[svc.Name]
		if svc.Elects() {
			p.hooks(st, svc, rec.Record, now)
		}
		if rec.Pending == nil {
			p.decide(st, svc, rec, now)
		}
	}
}

// stop cancels the hooks in progress: this node no longer leads.
func (p *primaries) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for key, r := range p.running {
		r.cancel()
		delete(p.running, key)
	}
}

// decide proposes what primary.Decide (or Follow) says, unless a safety
// rule holds it back for the reason the state already records.
func (p *primaries) decide(st *state.State, svc *config.Service, rec state.Primary, now time.Time) {
	view := primary.View{Failback: svc.Primary.Failback == config.FailbackAuto, Now: now}
	for _, e := range svc.Endpoints {
		view.Endpoints = append(view.Endpoints, primary.Endpoint{Name: e.Name, Priority: e.Priority, Health: st.Health(e.Name, now)})
	}
	var cmd primary.Command
	var ok bool
	held := ""
	if svc.Elects() {
		if cmd, ok = primary.Decide(rec.Record, view); !ok {
			held = primary.Stranded(rec.Record, view)
		}
	} else {
		var claimants []string
		cmd, ok, claimants = primary.Follow(rec.Record, view)
		if len(claimants) > 1 {
			p.report(rec, now, &state.PrimaryReport{Service: svc.Name, Claimants: claimants,
				Held: fmt.Sprintf("split brain: %s pass the role check at once; answering %s, the last agreed primary",
					strings.Join(claimants, " and "), cmp.Or(rec.Primary, "none"))})
			return
		}
	}
	if ok && p.waiting(svc.Name, now) {
		return
	}
	if ok {
		_, err := primary.Apply(rec.Record, cmd, state.EndpointNames(svc), st.RulesOf(svc))
		switch {
		case err == nil:
			p.n.propose(state.Command{Kind: state.ChangePrimary, At: now, Who: p.n.local.Node.Name,
				Primary: &state.PrimaryChange{Service: svc.Name, Change: cmd}}, nil)
			return
		case !errors.Is(err, primary.ErrRule):
			// Decide and Follow propose only what applies; proposing a
			// refused change would send it through Raft on every tick.
			p.n.log.Debug("change of primary not proposed", "service", svc.Name, "change", cmd.Kind, "err", err)
			return
		}
		held = state.HeldReason(cmd, err)
	}
	p.report(rec, now, &state.PrimaryReport{Service: svc.Name, Held: held})
}

// waiting reports whether key (a service's promotion) is held back at now
// after a failure; a hook's goroutine sets it.
func (p *primaries) waiting(key string, now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return now.Before(p.notBefore[key])
}

// report proposes r when it says something the state does not hold yet.
func (p *primaries) report(rec state.Primary, now time.Time, r *state.PrimaryReport) {
	if rec.Held == r.Held && slices.Equal(rec.Claimants, r.Claimants) {
		return
	}
	p.n.propose(state.Command{Kind: state.ReportPrimary, At: now, Who: p.n.local.Node.Name, Report: r}, nil)
}

// hooks runs the hooks rec calls for: the pending promotion's on_promote,
// and on_demote of every former primary not fenced yet. An endpoint
// without the hook is done at once.
func (p *primaries) hooks(st *state.State, svc *config.Service, rec primary.Record, now time.Time) {
	if pr := rec.Pending; pr != nil {
		done := state.Command{Kind: state.ChangePrimary, Who: p.n.local.Node.Name, Primary: &state.PrimaryChange{Service: svc.Name,
			Change: primary.Command{Kind: primary.Promoted, Epoch: pr.Epoch, Who: pr.Who}}}
		failed := done
		failed.Primary = &state.PrimaryChange{Service: svc.Name, Change: primary.Command{Kind: primary.Abandon, Epoch: pr.Epoch,
			Who: pr.Who, Reason: "on_promote of " + pr.Candidate + " failed"}}
		call := hook.Call{Hook: "on_promote", Service: svc.Name, Endpoint: pr.Candidate, Epoch: pr.Epoch,
			OldPrimary: pr.From, Reason: pr.Reason, Who: pr.Who}
		p.run(st, svc, endpointOf(svc, pr.Candidate).OnPromote, call, done, &failed, now)
	}
	for _, name := range rec.ToFence() {
		p.retryWhenBack(svc.Name, name, st.Health(name, now))
		done := state.Command{Kind: state.ChangePrimary, Who: p.n.local.Node.Name, Primary: &state.PrimaryChange{Service: svc.Name,
			Change: primary.Command{Kind: primary.Fenced, Candidate: name, Epoch: rec.Epoch, Who: primary.Auto}}}
		call := hook.Call{Hook: "on_demote", Service: svc.Name, Endpoint: name, Epoch: rec.Epoch,
			OldPrimary: name, Reason: "demoted: " + cmp.Or(rec.Primary, "none") + " is the primary at epoch " + fmt.Sprint(rec.Epoch), Who: primary.Auto}
		p.run(st, svc, endpointOf(svc, name).OnDemote, call, done, nil, now)
	}
}

// runKey is the start of a hook run's key, which ends with its epoch.
func runKey(service, hook, endpoint string) string {
	return service + "/" + hook + "/" + endpoint + "/"
}

// retryWhenBack lets the on_demote of a former primary run at once when
// its verdict turns up, rather than at the next retry after a failure: a
// primary whose region comes back must be fenced before clients that
// still reach it directly can write to it.
func (p *primaries) retryWhenBack(service, endpoint string, h model.Health) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if h == model.Up && p.seen[endpoint] != model.Up {
		for key := range p.notBefore {
			if strings.HasPrefix(key, runKey(service, "on_demote", endpoint)) {
				delete(p.notBefore, key)
			}
		}
	}
	p.seen[endpoint] = h
}

// run starts the hook h for call, which st calls for, unless it runs
// already or waits after a failure; done is proposed when it succeeded
// (at once without a hook), failed (if any) when it failed for good, else
// it runs again later.
func (p *primaries) run(st *state.State, svc *config.Service, h *config.Hook, call hook.Call, done state.Command, failed *state.Command, now time.Time) {
	if h == nil {
		done.At, done.Primary.Change.At = now, now
		p.n.propose(done, nil)
		return
	}
	key := runKey(call.Service, call.Hook, call.Endpoint) + fmt.Sprint(call.Epoch)
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, busy := p.running[key]; busy || now.Before(p.notBefore[key]) {
		return
	}
	if p.n.machine.Current() != st {
		// A run leaves running only after its outcome was applied; one
		// that ended since st was read may have it applied after st, and
		// starting it again would run the hook twice for one epoch. The
		// next tick reads the state again.
		return
	}
	ctx, cancel := context.WithCancel(p.n.ctx)
	mine := &hookRun{cancel: cancel}
	p.running[key] = mine
	spec := specOf(h)
	p.n.wg.Add(1) // Stop waits for the hook, which its context ends
	go func() {
		defer p.n.wg.Done()
		defer cancel()
		p.n.log.Info("running hook", "hook", call.Hook, "service", call.Service, "endpoint", call.Endpoint, "epoch", call.Epoch, "spec", spec.Describe())
		res := p.runner.Run(ctx, spec, call)
		p.mu.Lock()
		current := p.running[key] == mine
		if res.Err != nil {
			p.notBefore[key] = time.Now().Add(refenceEvery)
		} else {
			delete(p.notBefore, key) // the map holds failures only
		}
		p.mu.Unlock()
		if current && !errors.Is(res.Err, hook.ErrCancelled) {
			// Still running until its outcome is proposed: the state shows
			// the promotion pending until then, and the loop must not
			// start the hook again meanwhile.
			p.finish(svc, call, res, done, failed)
		}
		p.mu.Lock()
		if p.running[key] == mine {
			delete(p.running, key)
		}
		p.mu.Unlock()
	}()
}

// finish reports a hook's run and proposes what follows from it.
func (p *primaries) finish(svc *config.Service, call hook.Call, res hook.Result, done state.Command, failed *state.Command) {
	now := time.Now()
	run := &state.HookRun{Hook: call.Hook, Endpoint: call.Endpoint, Epoch: call.Epoch, OK: res.Err == nil,
		Attempts: res.Attempts, Took: res.Took, Output: res.Output, Node: p.n.local.Node.Name, At: now}
	if res.Err != nil {
		run.Error = res.Err.Error()
		p.n.log.Warn("hook failed", "hook", call.Hook, "service", call.Service, "endpoint", call.Endpoint, "epoch", call.Epoch, "err", res.Err)
	}
	p.n.metrics.HookRun(call.Service, call.Hook, run.OK)
	p.n.propose(state.Command{Kind: state.ReportPrimary, At: now, Who: p.n.local.Node.Name,
		Report: &state.PrimaryReport{Service: svc.Name, Hook: run}}, nil)
	next := done
	if res.Err != nil {
		if failed == nil {
			return // on_demote: run again after refenceEvery
		}
		next = *failed
		p.mu.Lock()
		p.notBefore[svc.Name] = now.Add(retryPromotionAfter)
		p.mu.Unlock()
	}
	next.At, next.Primary.Change.At = now, now
	p.n.propose(next, nil)
}

func endpointOf(svc *config.Service, name string) *config.Endpoint {
	for i := range svc.Endpoints {
		if svc.Endpoints[i].Name == name {
			return &svc.Endpoints[i]
		}
	}
	return &config.Endpoint{}
}

// specOf turns a configured hook into the runner's.
func specOf(h *config.Hook) hook.Spec {
	s := hook.Spec{Exec: h.Exec, URL: h.URL, Method: h.Method, Timeout: h.Timeout}
	if h.Retries != nil {
		s.Retries = *h.Retries
	}
	if len(h.Headers) > 0 {
		s.Headers = map[string]string{}
		for _, line := range h.Headers {
			if name, value, ok := config.SplitHeader(line); ok {
				s.Headers[name] = value
			}
		}
	}
	return s
}

// recordPrimaries sets the primary metrics and logs each change of an
// agreed primary.
func (n *Node) recordPrimaries(before, after *state.State) {
	if after.Config == nil {
		return
	}
	var facts []metrics.PrimaryFacts
	for _, svc := range after.Config.Shared.Services {
		if svc.Policy != config.PolicyPrimary {
			continue
		}
		rec := after.Primaries[svc.Name]
		f := metrics.PrimaryFacts{Service: svc.Name, Primary: rec.Primary, Endpoints: state.EndpointNames(&svc),
			Epoch: rec.PrimaryEpoch, Held: rec.Held != "", Claimants: len(rec.Claimants)}
		if rec.Pending != nil {
			f.Pending = rec.Pending.Candidate
		}
		facts = append(facts, f)
		if before != nil && before.Primaries[svc.Name].Primary != rec.Primary {
			n.log.Info("primary changed", "service", svc.Name, "from", before.Primaries[svc.Name].Primary,
				"to", rec.Primary, "epoch", rec.Epoch)
		}
	}
	n.metrics.Primaries(facts)
}
