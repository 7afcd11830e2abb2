package node

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"time"

	"github.com/miekg/dns"

	"outlast/internal/config"
	"outlast/internal/model"
	"outlast/internal/resolve"
	"outlast/internal/steer"
	"outlast/internal/wire"
)

// targets keeps the endpoints' target hostnames resolved for this node:
// the answers flatten them and the probes connect to their addresses.
// Every node resolves on its own, through its own upstreams, and keeps
// the last good addresses while those fail (static stability).
type targets struct {
	r   *resolve.Resolver // nil when none could be made; err says why
	err error
	log *slog.Logger
}

// newTargets makes the resolver cfg's resolver section describes. A node
// whose endpoints name no target starts even when no upstream is known
// (no resolv.conf): it needs none until a configuration adds a target.
func newTargets(cfg *config.Config, log *slog.Logger) (*targets, error) {
	rc := cfg.Resolver
	r, err := resolve.New(resolve.Options{
		Servers: rc.Servers, Timeout: rc.Timeout,
		MinTTL: rc.MinTTL, MaxTTL: rc.MaxTTL, MaxStale: rc.MaxStale, StaleTTL: rc.StaleTTL,
		Logger: log.With("component", "resolve"),
	})
	if err != nil {
		err = fmt.Errorf("node: resolving endpoint targets: %w; set resolver.servers", err)
		if len(targetNames(cfg)) > 0 {
			return nil, err
		}
	}
	t := &targets{r: r, err: err, log: log}
	t.watch(cfg)
	return t, nil
}

// targetNames lists cfg's target hostnames, each once.
func targetNames(cfg *config.Config) []string {
	var names []string
	for _, s := range cfg.Services {
		for _, e := range s.Endpoints {
			if e.HasTarget() && !slices.Contains(names, e.Target) {
				names = append(names, e.Target)
			}
		}
	}
	return names
}

// watch makes cfg's targets the names kept fresh.
func (t *targets) watch(cfg *config.Config) {
	names := targetNames(cfg)
	if t.r == nil {
		if len(names) > 0 {
			t.log.Error("endpoint targets cannot be resolved: they count as unresolved", "err", t.err, "targets", len(names))
		}
		return
	}
	if err := t.r.Set(names); err != nil {
		// Config validation checked every name; only the limit is left.
		t.log.Error("endpoint targets not watched", "err", err)
	}
}

// run refreshes the targets until ctx ends.
func (t *targets) run(ctx context.Context) {
	if t.r != nil {
		_ = t.r.Run(ctx)
	}
}

// changes receives when a target's addresses or state changed; nil (never)
// without a resolver.
func (t *targets) changes() <-chan struct{} {
	if t.r == nil {
		return nil
	}
	return t.r.Changes()
}

func (t *targets) lookup(target string) resolve.Result {
	if t.r == nil {
		return resolve.Result{Name: target}
	}
	return t.r.Lookup(target)
}

// resolved is steer's view of the targets: the addresses of one family
// and how long they may be cached.
func (t *targets) resolved() steer.Resolved {
	return func(target string, rt model.RecordType) ([]netip.Addr, time.Duration) {
		return t.lookup(target).Addrs(qtypeOf(rt))
	}
}

// probeAddrs returns what a probe of target connects to: the addresses of
// the family clients are answered (the service's type), and for a CNAME,
// which clients resolve themselves, the other family's after them.
func (t *targets) probeAddrs(target string, svc *config.Service) func() []netip.Addr {
	return func() []netip.Addr {
		res := t.lookup(target)
		first, _ := res.Addrs(qtypeOf(svc.Type))
		if svc.Answer != config.AnswerCNAME {
			return first
		}
		other := dns.TypeAAAA
		if svc.Type == model.TypeAAAA {
			other = dns.TypeA
		}
		second, _ := res.Addrs(other)
		return append(slices.Clip(first), second...)
	}
}

func qtypeOf(rt model.RecordType) uint16 {
	if rt == model.TypeAAAA {
		return dns.TypeAAAA
	}
	return dns.TypeA
}

// report is what the resolver holds for every target, for the API, the
// status page and /healthz.
func (t *targets) report() []wire.Resolution {
	if t.r == nil {
		return nil
	}
	results := t.r.Results()
	out := make([]wire.Resolution, 0, len(results))
	for _, r := range results {
		ttl := r.A.TTL
		if len(r.A.Addrs) == 0 {
			ttl = r.AAAA.TTL
		}
		out = append(out, wire.Resolution{
			Target: r.Name, State: r.State.String(), A: r.A.Addrs, AAAA: r.AAAA.Addrs,
			TTLS: ttl.Seconds(), Error: r.Err(), FailingSince: earliest(r.A.FailingSince, r.AAAA.FailingSince),
		})
	}
	return out
}

// earliest is the earlier of two times, zero counting as unset.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}
