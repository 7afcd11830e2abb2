package main

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"outlast/internal/config"
	"outlast/internal/drill"
)

const drillUsage = `usage: outlast drill --endpoint NAME --nameservers HOST:PORT,... [--addr ADDR | --config FILE] [--token TOKEN] [--ca FILE] [--timeout 60s]

Forces ENDPOINT down with an override (through the node's API, with an admin
token), measures how long until every listed nameserver stops answering its
addresses, removes the override, and measures how long until they answer
them again. It refuses to take away the last healthy endpoint of a service,
or to replace an override an operator set.

The node is --addr (env OUTLAST_ADDR), or the http.listen of --config's
file: https with the cluster CA of that file when the listener is not
loopback. The token needs the admin scope (env OUTLAST_TOKEN).
`

// drillCmd runs `outlast drill` against a real cluster.
func drillCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("drill", stderr)
	addr := fs.String("addr", os.Getenv("OUTLAST_ADDR"), "node API `address` (env OUTLAST_ADDR; default: from --config)")
	path := fs.String("config", "", "configuration `file` of a node on this host, to find its API when --addr is not given")
	endpoint := fs.String("endpoint", "", "endpoint `name` to force down")
	servers := fs.String("nameservers", "", "comma-separated `host:port` list of the nameservers to watch")
	timeout := fs.Duration("timeout", time.Minute, "give up waiting for each shift after this long")
	token := fs.String("token", os.Getenv("OUTLAST_TOKEN"), "admin API `token` (env OUTLAST_TOKEN)")
	ca := caFlag(fs)
	if code, ok := parseFlags(fs, args, 0); !ok {
		return code
	}
	if *endpoint == "" || *servers == "" {
		fmt.Fprint(stderr, drillUsage)
		return exitUsage
	}
	if *addr == "" {
		var err error
		if *addr, *ca, err = apiOfConfig(*path, *ca); err != nil {
			fmt.Fprintln(stderr, "outlast drill:", err)
			return exitFailure
		}
	}
	ctx, cancel := signalContext()
	defer cancel()
	res, err := drill.Run(ctx, apiClient(*addr, *token, *ca), drill.Options{
		Endpoint: *endpoint, Nameservers: strings.Split(*servers, ","), Timeout: *timeout,
		Progress: func(line string) { fmt.Fprintln(stdout, "drill:", line) },
	})
	if err != nil {
		fmt.Fprintln(stderr, "outlast drill:", err)
		return exitFailure
	}
	fmt.Fprintf(stdout, "drill: shift away took %.2f s (every one of %d nameservers stopped answering %s; the first after %.2f s)\n",
		res.Away.All.Seconds(), len(res.Away.Servers), *endpoint, res.Away.First.Seconds())
	fmt.Fprintf(stdout, "drill: override removed; traffic returned after %.2f s\n", res.Back.All.Seconds())
	return exitOK
}

// apiOfConfig finds a node's API from its configuration file (default
// outlast.yaml): plain HTTP on a loopback listener, else https trusting the
// cluster CA (unless ca names another).
func apiOfConfig(path, ca string) (addr, caFile string, err error) {
	if path == "" {
		path = "outlast.yaml"
	}
	cfg, err := loadConfig(path)
	if err != nil {
		return "", "", fmt.Errorf("%w (or give the node's API with --addr)", err)
	}
	host, port, err := net.SplitHostPort(cfg.HTTP.Listen)
	if err != nil {
		return "", "", fmt.Errorf("%s: http.listen %q: %w", path, cfg.HTTP.Listen, err)
	}
	ip, err := netip.ParseAddr(host)
	switch {
	case err == nil && ip.IsLoopback() && cfg.HTTP.TLS != config.HTTPAlways:
		return cfg.HTTP.Listen, ca, nil
	case err == nil && ip.IsUnspecified(): // all addresses, loopback among them
		host = "127.0.0.1"
	}
	if ca == "" {
		ca = cfg.Cluster.TLS.CAFile
	}
	return "https://" + net.JoinHostPort(host, port), ca, nil
}
