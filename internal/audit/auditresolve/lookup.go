// Package auditresolve looks up, in live DNS, the names outlast audit
// places by their addresses: endpoint targets and nameservers without glue
// (audit.Deployment.ToResolve). It asks through internal/resolve, the code
// the nodes resolve targets with, so the audit sees what a node would (the
// same upstream order, CNAME chains, bounds and error texts), but once:
// each name is asked until it answers or fails, then the resolver stops.
//
// A name that does not resolve is never an error of the audit: its reason
// (no upstream server, a timeout, SERVFAIL, NXDOMAIN) goes into its
// audit.Resolution, and the report says it per endpoint.
//
// Delegations, for --resolve, asks one resolver for each zone's live NS
// records and their addresses (audit.Deployment.LiveNS).
package auditresolve

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"outlast/internal/audit"
	"outlast/internal/resolve"
)

// DefaultWait bounds one whole Lookup call.
const DefaultWait = 15 * time.Second

// Options say which resolvers the audit asks. Zero fields take defaults.
type Options struct {
	// Servers are recursive resolvers as IP:port, asked in order (default:
	// the nameservers of ResolvConf). The command line passes the
	// configuration's resolver.servers, as the node would ask.
	Servers []string
	// ResolvConf is read when Servers is empty (default /etc/resolv.conf).
	ResolvConf string
	// Timeout bounds one question to one server (default 2 s, resolve's).
	Timeout time.Duration
	// Wait bounds the whole lookup (default DefaultWait); a name with no
	// outcome by then did not resolve.
	Wait time.Duration
}

// Lookup returns an audit.Lookup that asks o's servers.
func Lookup(o Options) audit.Lookup {
	return func(ctx context.Context, names []string) map[string]audit.Resolution {
		return o.lookup(ctx, names)
	}
}

func (o Options) lookup(ctx context.Context, names []string) map[string]audit.Resolution {
	if len(names) == 0 {
		return map[string]audit.Resolution{}
	}
	r, err := resolve.New(resolve.Options{Servers: o.Servers, ResolvConf: o.ResolvConf, Timeout: o.Timeout, MaxNames: audit.MaxNames})
	if err == nil {
		err = r.Set(names)
	}
	if err != nil {
		return failAll(names, err.Error())
	}
	wait := cmp.Or(o.Wait, DefaultWait)
	ctx, cancel := context.WithTimeout(ctx, wait)
	var wg sync.WaitGroup
	wg.Go(func() { _ = r.Run(ctx) })
	settle(ctx, r, names)
	cancel()
	wg.Wait()
	out := make(map[string]audit.Resolution, len(names))
	for _, n := range names {
		out[n] = resolution(r.Lookup(n), wait)
	}
	return out
}

// settle returns when every name has had its first outcome, or ctx ends;
// the resolver signals each first outcome on Changes.
func settle(ctx context.Context, r *resolve.Resolver, names []string) {
	for slices.ContainsFunc(names, func(n string) bool { return r.Lookup(n).Pending() }) {
		select {
		case <-ctx.Done():
			return
		case <-r.Changes():
		}
	}
}

// resolution is what the audit keeps of a name: both families' addresses,
// or why there are none.
func resolution(res resolve.Result, wait time.Duration) audit.Resolution {
	addrs := append(slices.Clone(res.A.Addrs), res.AAAA.Addrs...)
	if len(addrs) > 0 {
		return audit.Resolution{Addrs: addrs}
	}
	switch {
	case res.Err() != "":
		return audit.Resolution{Err: res.Err()}
	case res.State == resolve.Empty:
		return audit.Resolution{Err: "no A or AAAA records"}
	}
	return audit.Resolution{Err: fmt.Sprintf("no answer within %s", wait)}
}

func failAll(names []string, err string) map[string]audit.Resolution {
	out := make(map[string]audit.Resolution, len(names))
	for _, n := range names {
		out[n] = audit.Resolution{Err: err}
	}
	return out
}
