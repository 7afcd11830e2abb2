package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"

	"outlast/internal/audit"
	"outlast/internal/audit/auditreport"
	"outlast/internal/audit/auditresolve"
	"outlast/internal/ipranges"
	"outlast/internal/wire"
)

// auditCmd: outlast audit --config FILE | --addr ADDR. Exit codes: 0 no
// finding reaches --fail-on, 1 one does (or the audit could not run),
// 2 a wrong command line.
func auditCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("audit", stderr)
	cfgPath := fs.String("config", "", "audit the configuration `FILE` (a node's, with its cluster.peers)")
	addr := fs.String("addr", "", "audit the running cluster whose API is at `ADDR` instead")
	token := fs.String("token", os.Getenv("OUTLAST_TOKEN"), "API `token` for --addr (env OUTLAST_TOKEN)")
	ca := caFlag(fs)
	resolve := fs.Bool("resolve", false, "also look up each zone's NS records in live DNS")
	resolver := fs.String("resolver", "", "DNS server `host:port` for --resolve (default: the first in /etc/resolv.conf)")
	resolveTargets := fs.Bool("resolve-targets", true, "look up endpoint targets and nameservers without glue, to place them by their addresses")
	var targetResolvers listFlag
	fs.Var(&targetResolvers, "target-resolver", "recursive resolvers `IP:port,...` for --resolve-targets (default: the config's resolver.servers, else /etc/resolv.conf)")
	var ranges listFlag
	fs.Var(&ranges, "ip-ranges", "providers' published IP ranges, `FILE` or PROVIDER=FILE (repeat, or separate with commas)")
	output := fs.String("o", "text", "output: text, json or html")
	failOn := fs.String("fail-on", "warning", "exit 1 when a finding is at least this `severe`: info, warning or critical")
	if code, ok := parseFlags(fs, args, 0); !ok {
		return code
	}
	threshold, err := audit.ParseSeverity(*failOn)
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "outlast audit: --fail-on: %v\n", err)
		return exitUsage
	case fs.NArg() > 0 || (*cfgPath == "") == (*addr == ""):
		fmt.Fprintln(stderr, "outlast audit: give exactly one of --config FILE or --addr ADDR")
		return exitUsage
	case *output != "text" && *output != "json" && *output != "html":
		fmt.Fprintf(stderr, "outlast audit: -o %q: use text, json or html\n", *output)
		return exitUsage
	}
	ctx, cancel := opsContext()
	defer cancel()
	d, upstream, err := auditSubject(ctx, *cfgPath, *addr, apiClient(*addr, *token, *ca))
	if err == nil && *resolveTargets {
		err = d.Resolve(ctx, auditresolve.Lookup(targetUpstream(upstream, targetResolvers)))
	}
	if err == nil && len(ranges) > 0 {
		err = withOwners(&d, ranges)
	}
	if err == nil && *resolve {
		d.LiveNS, err = auditresolve.Delegations(ctx, *resolver, d.Zones)
	}
	if err != nil {
		fmt.Fprintf(stderr, "outlast audit: %v\n", err)
		return exitFailure
	}
	r := audit.Run(d)
	if err := writeAudit(stdout, *output, r, threshold); err != nil {
		fmt.Fprintf(stderr, "outlast audit: %v\n", err)
		return exitFailure
	}
	if r.Worst() >= threshold {
		return exitFailure
	}
	return exitOK
}

// auditSubject reads what is audited: a config file (loaded as the node
// loads it, so a zone file's nameservers are there), or a cluster's API.
// It also returns how the config says targets are resolved, if it does.
func auditSubject(ctx context.Context, path, addr string, client *wire.Client) (audit.Deployment, auditresolve.Options, error) {
	if path != "" {
		cfg, err := loadConfig(path)
		if err != nil {
			return audit.Deployment{}, auditresolve.Options{}, err
		}
		upstream := auditresolve.Options{Servers: cfg.Resolver.Servers, Timeout: cfg.Resolver.Timeout}
		return audit.FromConfig(path, cfg), upstream, nil
	}
	d, err := clusterSubject(ctx, addr, client)
	return d, auditresolve.Options{}, err
}

// targetUpstream is whom --resolve-targets asks: --target-resolver's
// servers when given, else the configuration's.
func targetUpstream(o auditresolve.Options, servers []string) auditresolve.Options {
	if len(servers) > 0 {
		o.Servers = servers
	}
	return o
}

// clusterSubject reads a running cluster's configuration and members.
func clusterSubject(ctx context.Context, addr string, client *wire.Client) (audit.Deployment, error) {
	st, err := client.Status(ctx)
	if err != nil {
		return audit.Deployment{}, err
	}
	doc, err := client.Config(ctx)
	if err != nil {
		return audit.Deployment{}, err
	}
	d := audit.Deployment{Source: addr, Services: doc.Config.Services, Zones: doc.Config.Zones}
	for _, m := range st.Cluster.Members {
		n := audit.Node{Name: m.Name, Location: m.Location, Voter: m.Suffrage == "Voter"}
		if ap, err := netip.ParseAddrPort(m.Address); err == nil {
			n.Addrs = append(n.Addrs, ap.Addr().Unmap())
		}
		d.Nodes = append(d.Nodes, n)
	}
	return d, nil
}

// rangeOwners lets the providers' range table answer the audit.
type rangeOwners struct{ *ipranges.Table }

func (r rangeOwners) Lookup(a netip.Addr) (audit.Owner, bool) {
	o, ok := r.Table.Lookup(a)
	return audit.Owner{Provider: o.Provider, Region: o.Region, Prefix: o.Prefix}, ok
}

func withOwners(d *audit.Deployment, specs []string) error {
	t, err := ipranges.Load(specs...)
	if err != nil {
		return err
	}
	d.Owners = rangeOwners{t}
	return nil
}

func writeAudit(w io.Writer, format string, r *audit.Report, failOn audit.Severity) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			*audit.Report
			FailOn audit.Severity `json:"fail_on"`
			Pass   bool           `json:"pass"`
		}{r, failOn, r.Worst() < failOn})
	case "html":
		return auditreport.HTML(w, r)
	default:
		return auditreport.Text(w, r, failOn)
	}
}
