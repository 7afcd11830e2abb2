package auditresolve

import (
	"context"
	"fmt"
	"net"
	"slices"
	"time"

	"github.com/miekg/dns"

	"outlast/internal/audit"
	"outlast/internal/config"
	"outlast/internal/shiftwatch"
)

// Delegations looks up each zone's NS records, and their addresses,
// through resolver (host:port; default the first of /etc/resolv.conf): what
// the world really asks, whatever the config says. A zone that does not
// resolve is reported in its LiveDelegation, not as an error, so one broken
// zone does not hide the others. The command line's --resolve runs it.
func Delegations(ctx context.Context, resolver string, zones []config.Zone) (map[string]audit.LiveDelegation, error) {
	if resolver == "" {
		conf, err := dns.ClientConfigFromFile("/etc/resolv.conf")
		if err != nil || len(conf.Servers) == 0 {
			return nil, fmt.Errorf("--resolve: no resolver in /etc/resolv.conf (%v); name one with --resolver host:port", err)
		}
		resolver = net.JoinHostPort(conf.Servers[0], conf.Port)
	}
	out := map[string]audit.LiveDelegation{}
	for _, z := range zones {
		names, err := lookupNS(ctx, resolver, z.Apex)
		if err != nil {
			out[z.Apex] = audit.LiveDelegation{Err: err.Error()}
			continue
		}
		var live audit.LiveDelegation
		for _, name := range names {
			ns := config.NameServer{Name: name}
			a := shiftwatch.Ask(ctx, resolver, shiftwatch.Query{Name: name, Types: []uint16{dns.TypeA, dns.TypeAAAA}, Recursive: true})
			if a.Kind != shiftwatch.Answered { // NXDOMAIN, SERVFAIL, no reply: not an empty set
				live.Err = fmt.Sprintf("looking up %s: %s: %v", name, resolver, a.Err)
				break
			}
			ns.Addresses = a.Addrs
			live.NS = append(live.NS, ns)
		}
		out[z.Apex] = live
	}
	return out, nil
}

// lookupNS asks resolver for apex's NS records, sorted, lower-cased.
func lookupNS(ctx context.Context, resolver, apex string) ([]string, error) {
	q := new(dns.Msg)
	q.SetQuestion(dns.Fqdn(apex), dns.TypeNS)
	c := &dns.Client{Timeout: 2 * time.Second}
	r, _, err := c.ExchangeContext(ctx, q, resolver)
	if err != nil {
		return nil, err
	}
	if r.Rcode != dns.RcodeSuccess {
		return nil, fmt.Errorf("%s answered %s for %s NS", resolver, dns.RcodeToString[r.Rcode], apex)
	}
	var names []string
	for _, rr := range append(r.Answer, r.Ns...) {
		if ns, ok := rr.(*dns.NS); ok && dns.CanonicalName(ns.Hdr.Name) == dns.CanonicalName(apex) {
			names = append(names, dns.CanonicalName(ns.Ns))
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%s has no NS records for %s", resolver, apex)
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}
