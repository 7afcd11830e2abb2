package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"outlast/internal/cluster"
	"outlast/internal/config"
	"outlast/internal/state"
	"outlast/internal/tlsca"
)

const clusterUsage = `usage:
  outlast cluster status --config FILE [--addr HOST:PORT]
  outlast cluster join   --config FILE [--addr HOST:PORT] [NAME ADDRESS]
  outlast cluster remove --config FILE [--addr HOST:PORT] NAME

The commands speak the cluster RPC with the certificate of the node FILE
describes. --addr is the member to ask (default: this node's cluster.advertise;
for join, the first other peer). join without NAME ADDRESS adds the node FILE
describes.
`

// clusterCmd runs `outlast cluster status|join|remove`.
func clusterCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, clusterUsage)
		return exitUsage
	}
	verb := args[0]
	fs := newFlags("cluster "+verb, stderr)
	path := fs.String("config", "outlast.yaml", "configuration `file` of a node on this host")
	addr := fs.String("addr", "", "cluster `address` of the member to ask")
	if code, ok := parseFlags(fs, args[1:], 1); !ok {
		return code
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailure
	}
	if cfg.Cluster.Listen == "" {
		fmt.Fprintf(stderr, "outlast cluster: %s has no cluster section; a node on its own has no cluster to manage\n", *path)
		return exitFailure
	}
	certs, err := tlsca.Load(tlsca.Files{CA: cfg.Cluster.TLS.CAFile, Cert: cfg.Cluster.TLS.CertFile, Key: cfg.Cluster.TLS.KeyFile}, cfg.Node.Name)
	if err != nil {
		fmt.Fprintf(stderr, "outlast cluster: %v\n", err)
		return exitFailure
	}
	client := cluster.NewClient(certs.ClientConfig)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	switch verb {
	case "status":
		return clusterStatus(ctx, client, target(*addr, cfg.Cluster.Advertise), fs.Args(), stdout, stderr)
	case "join":
		return clusterJoin(ctx, client, cfg, *addr, fs.Args(), stdout, stderr)
	case "remove":
		if fs.NArg() != 1 {
			fmt.Fprint(stderr, clusterUsage)
			return exitUsage
		}
		return reportOutcome(stdout, stderr, client.Remove(ctx, target(*addr, cfg.Cluster.Advertise), fs.Arg(0)),
			"removed "+fs.Arg(0))
	default:
		fmt.Fprintf(stderr, "outlast cluster: unknown command %q\n%s", verb, clusterUsage)
		return exitUsage
	}
}

func target(flag, fallback string) string {
	if flag != "" {
		return flag
	}
	return fallback
}

func clusterJoin(ctx context.Context, client *cluster.Client, cfg *config.Config, addr string, args []string, stdout, stderr io.Writer) int {
	name, self := cfg.Node.Name, cfg.Cluster.Advertise
	switch len(args) {
	case 0:
	case 2:
		name, self = args[0], args[1]
	default:
		fmt.Fprint(stderr, clusterUsage)
		return exitUsage
	}
	if addr == "" {
		for _, p := range cfg.Cluster.Peers {
			if p.Name != cfg.Node.Name {
				addr = p.Address
				break
			}
		}
	}
	if addr == "" {
		fmt.Fprintln(stderr, "outlast cluster join: no member to ask: give --addr HOST:PORT of a member")
		return exitUsage
	}
	return reportOutcome(stdout, stderr, client.Join(ctx, addr, name, self), fmt.Sprintf("%s at %s joined the cluster", name, self))
}

func reportOutcome(stdout, stderr io.Writer, err error, done string) int {
	if err != nil {
		fmt.Fprintf(stderr, "outlast cluster: %v\n", err)
		return exitFailure
	}
	fmt.Fprintln(stdout, done)
	return exitOK
}

// clusterStatus prints every member's own view: a member that disagrees
// about the leader, or lags in applied index, stands out.
func clusterStatus(ctx context.Context, client *cluster.Client, addr string, args []string, stdout, stderr io.Writer) int {
	if len(args) != 0 {
		fmt.Fprint(stderr, clusterUsage)
		return exitUsage
	}
	first, err := client.Status(ctx, addr)
	if err != nil {
		fmt.Fprintf(stderr, "outlast cluster status: %v\n", err)
		return exitFailure
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "MEMBER\tADDRESS\tSUFFRAGE\tSTATE\tLEADER\tTERM\tAPPLIED\tVERSION\tLAST CONTACT")
	code := exitOK
	lowest, known := 0, true // the cluster version: the lowest voter's
	for _, m := range first.Members {
		st, err := client.Status(ctx, m.Address)
		if err != nil {
			fmt.Fprintf(w, "%s\t%s\t%s\tunreachable\t\t\t\t\t%v\n", m.ID, m.Address, m.Suffrage, err)
			code, known = exitFailure, known && m.Suffrage != "Voter"
			continue
		}
		contact := "-"
		if !st.LastContact.IsZero() {
			contact = time.Since(st.LastContact).Round(time.Millisecond).String() + " ago"
		}
		if st.ApplyStopped != "" {
			contact += " (stopped applying: " + st.ApplyStopped + ")"
			code = exitFailure
		}
		if m.Suffrage == "Voter" && (lowest == 0 || st.Version() < lowest) {
			lowest = st.Version()
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\n", m.ID, m.Address, m.Suffrage, st.State, st.LeaderID, st.Term, st.AppliedIndex, st.Version(), contact)
	}
	w.Flush()
	if known && lowest > 0 {
		fmt.Fprintf(stdout, "cluster version %d (the lowest protocol version of the voters; this build speaks %d)\n", lowest, state.ProtocolVersion)
	} else {
		fmt.Fprintf(stdout, "cluster version unknown: a voter did not answer (this build speaks %d)\n", state.ProtocolVersion)
	}
	return code
}
