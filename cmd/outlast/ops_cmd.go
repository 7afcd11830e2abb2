package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"outlast/internal/state"
	"outlast/internal/wire"
)

// The operator commands talk to a node's API: OUTLAST_ADDR (default
// 127.0.0.1:8080) and OUTLAST_TOKEN, or --addr and --token. They print
// tables for people and, with -o json, JSON for scripts. Exit codes: 0 done,
// 1 the server refused or failed, 2 a wrong command line.

type opsFlags struct {
	fs     *flag.FlagSet
	addr   *string
	token  *string
	ca     *string
	output *string
}

func newOpsFlags(name string, stderr io.Writer) *opsFlags {
	fs := newFlags(name, stderr)
	addr := os.Getenv("OUTLAST_ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	return &opsFlags{
		fs:     fs,
		addr:   fs.String("addr", addr, "node API `address` (env OUTLAST_ADDR)"),
		token:  fs.String("token", os.Getenv("OUTLAST_TOKEN"), "API `token` (env OUTLAST_TOKEN)"),
		ca:     caFlag(fs),
		output: fs.String("o", "table", "output: table or json"),
	}
}

func (o *opsFlags) client() *wire.Client { return apiClient(*o.addr, *o.token, *o.ca) }

// caFlag is --ca: the CA to trust for a node's https address.
func caFlag(fs *flag.FlagSet) *string {
	return fs.String("ca", os.Getenv("OUTLAST_CA"), "trust the CA certificates in `FILE` for an https address, such as the cluster's ca.pem (env OUTLAST_CA)")
}

// apiClient is a client of the node at addr, trusting caFile when it is set.
func apiClient(addr, token, caFile string) *wire.Client {
	if caFile == "" {
		return wire.NewClient(addr, token)
	}
	return wire.NewClient(addr, token, wire.WithCAFile(caFile))
}

// finish prints v as JSON or with table, and turns an error into an exit code.
func (o *opsFlags) finish(stdout, stderr io.Writer, v any, err error, table func(w io.Writer)) int {
	if err != nil {
		fmt.Fprintf(stderr, "outlast: %v\n", err)
		return exitFailure
	}
	if *o.output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(v); err != nil {
			return exitFailure
		}
		return exitOK
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	table(tw)
	tw.Flush()
	return exitOK
}

func opsContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 30*time.Second)
}

// statusCmd: outlast status.
func statusCmd(args []string, stdout, stderr io.Writer) int {
	o := newOpsFlags("status", stderr)
	if code, ok := parseFlags(o.fs, args, 0); !ok {
		return code
	}
	ctx, cancel := opsContext()
	defer cancel()
	st, err := o.client().Status(ctx)
	return o.finish(stdout, stderr, st, err, func(w io.Writer) {
		stale := ""
		if st.Node.Stale {
			stale = "  STALE: answering from the last agreed state"
		}
		fmt.Fprintf(w, "node %s (%s), %s, leader %s, term %d, applied %d%s\n", st.Node.Name, st.Node.Location,
			st.Cluster.State, st.Cluster.Leader, st.Cluster.Term, st.Cluster.AppliedIndex, stale)
		fmt.Fprintf(w, "config version %d, hash %s\n\n", st.Config.Version, st.Config.Hash)
		fmt.Fprintln(w, "MEMBER\tLOCATION\tADDRESS\tLEADER")
		for _, m := range st.Cluster.Members {
			fmt.Fprintf(w, "%s\t%s\t%s\t%v\n", m.Name, m.Location, m.Address, m.Leader)
		}
	})
}

// endpointsCmd: outlast endpoints [SERVICE].
func endpointsCmd(args []string, stdout, stderr io.Writer) int {
	o := newOpsFlags("endpoints", stderr)
	if code, ok := parseFlags(o.fs, args, 1); !ok {
		return code
	}
	ctx, cancel := opsContext()
	defer cancel()
	var services []wire.Service
	var err error
	if o.fs.NArg() == 1 {
		var one *wire.Service
		if one, err = o.client().Service(ctx, o.fs.Arg(0)); err == nil {
			services = []wire.Service{*one}
		}
	} else {
		services, err = o.client().Services(ctx)
	}
	return o.finish(stdout, stderr, services, err, func(w io.Writer) {
		fmt.Fprintln(w, "SERVICE\tENDPOINT\tLOCATION\tHEALTH\tVERDICT\tOVERRIDE\tVANTAGE POINTS")
		for _, s := range services {
			for _, e := range s.Endpoints {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", strings.TrimSuffix(s.Name, "."), e.Name, e.Location,
					e.Health, e.Verdict, overrideText(e.Override), evidenceText(e.Evidence))
			}
		}
	})
}

func overrideText(o *wire.Override) string {
	if o == nil {
		return "-"
	}
	return fmt.Sprintf("%s by %s (%s)", o.Kind, o.Who, o.Why)
}

func evidenceText(ev []wire.Evidence) string {
	parts := make([]string, len(ev))
	for i, e := range ev {
		parts[i] = e.Vantage + "=" + e.State
	}
	return strings.Join(parts, " ")
}

// overrideCmd: outlast drain|undrain|force up|force down ENDPOINT --reason TEXT [--for 30m].
func overrideCmd(verb string, args []string, stdout, stderr io.Writer) int {
	kind := map[string]state.OverrideKind{"drain": state.Drain, "up": state.ForceUp, "down": state.ForceDown}[verb]
	if verb == "force" {
		if len(args) == 0 || (args[0] != "up" && args[0] != "down") {
			fmt.Fprint(stderr, "usage: outlast force up|down ENDPOINT --reason TEXT [--for 30m]\n")
			return exitUsage
		}
		kind, args = map[string]state.OverrideKind{"up": state.ForceUp, "down": state.ForceDown}[args[0]], args[1:]
	}
	o := newOpsFlags(verb, stderr)
	reason := o.fs.String("reason", "", "why (required; recorded with your name)")
	lasts := o.fs.String("for", "", "how long, such as 30m (default: until cleared)")
	endpoint, rest := splitFirst(args)
	if o.fs.Parse(rest) != nil || o.fs.NArg() > 0 || endpoint == "" || *reason == "" {
		fmt.Fprintf(stderr, "usage: outlast %s ENDPOINT --reason TEXT [--for 30m]\n", verb)
		return exitUsage
	}
	ctx, cancel := opsContext()
	defer cancel()
	if verb == "undrain" {
		cleared, err := o.client().ClearOverride(ctx, endpoint, *reason)
		return o.finish(stdout, stderr, cleared, err, func(w io.Writer) {
			fmt.Fprintf(w, "%s: %s cleared\n", endpoint, cleared.Kind)
		})
	}
	set, err := o.client().SetOverride(ctx, wire.OverrideRequest{Endpoint: endpoint, Kind: kind, Reason: *reason, For: *lasts})
	return o.finish(stdout, stderr, set, err, func(w io.Writer) {
		fmt.Fprintf(w, "%s: %s by %s (%s)", endpoint, set.Kind, set.Who, set.Why)
		if !set.Expires.IsZero() {
			fmt.Fprintf(w, " until %s", set.Expires.Format(time.RFC3339))
		}
		fmt.Fprintln(w)
	})
}

// splitFirst takes the first argument that is not a flag, so the endpoint
// may come before or after the flags.
func splitFirst(args []string) (string, []string) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:]
	}
	return "", args
}

// eventsCmd: outlast events [--since SEQ] [--limit N].
func eventsCmd(args []string, stdout, stderr io.Writer) int {
	o := newOpsFlags("events", stderr)
	since := o.fs.Int64("since", -1, "show events after this sequence number")
	limit := o.fs.Int("limit", 100, "at most this many events")
	if code, ok := parseFlags(o.fs, args, 0); !ok {
		return code
	}
	ctx, cancel := opsContext()
	defer cancel()
	page, err := o.client().Events(ctx, *since, *limit)
	return o.finish(stdout, stderr, page, err, func(w io.Writer) {
		fmt.Fprintln(w, "SEQ\tTIME\tKIND\tENDPOINT\tWHO\tWHY\tDETAIL")
		for _, e := range page.Events {
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Seq, e.At.Format(time.RFC3339), e.Kind, e.Endpoint, e.Who, e.Why, e.Detail)
		}
	})
}

// configAPICmd: outlast config get|validate|apply FILE, through the API.
func configAPICmd(verb string, args []string, stdout, stderr io.Writer) int {
	o := newOpsFlags("config "+verb, stderr)
	reason := o.fs.String("reason", "", "why (required for apply)")
	base := o.fs.Uint64("base-version", 0, "apply only if the cluster still runs this version (default: the current one)")
	file, rest := splitFirst(args)
	if verb == "get" {
		file, rest = "", args // get takes no file
	}
	if o.fs.Parse(rest) != nil || o.fs.NArg() > 0 || (verb != "get" && file == "") || (verb == "apply" && *reason == "") {
		fmt.Fprint(stderr, "usage: outlast config get | validate FILE | apply FILE --reason TEXT [--base-version N]\n")
		return exitUsage
	}
	ctx, cancel := opsContext()
	defer cancel()
	c := o.client()
	if verb == "get" {
		doc, err := c.Config(ctx)
		return o.finish(stdout, stderr, doc, err, func(w io.Writer) {
			fmt.Fprintf(w, "version %d, hash %s, applied by %s at %s, %d services\n", doc.Version, doc.Hash, doc.AppliedBy,
				doc.AppliedAt.Format(time.RFC3339), len(doc.Config.Services))
		})
	}
	data, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintf(stderr, "outlast: %v\n", err)
		return exitFailure
	}
	if verb == "validate" {
		v, err := c.ValidateConfig(ctx, data)
		code := o.finish(stdout, stderr, v, err, func(w io.Writer) { printValidation(w, file, v) })
		if code == exitOK && !v.Valid {
			return exitFailure
		}
		return code
	}
	if *base == 0 {
		// Edit against what runs now: a change applied meanwhile by someone else is a conflict, not overwritten.
		if doc, err := c.Config(ctx); err == nil {
			*base = doc.Version
		}
	}
	applied, err := c.ApplyConfig(ctx, data, *base, *reason)
	var apiErr *wire.Error
	if errors.As(err, &apiErr) && len(apiErr.Problems) > 0 {
		printValidation(stderr, file, &wire.Validation{Problems: apiErr.Problems})
	}
	return o.finish(stdout, stderr, applied, err, func(w io.Writer) {
		fmt.Fprintf(w, "applied: version %d, hash %s (changed: %v)\n", applied.Version, applied.Hash, applied.Changed)
	})
}

func printValidation(w io.Writer, file string, v *wire.Validation) {
	if v.Valid {
		fmt.Fprintf(w, "%s: ok (hash %s)\n", file, v.Hash)
		return
	}
	for _, p := range v.Problems {
		fmt.Fprintf(w, "%s:%d:%d: %s: %s\n", file, p.Line, p.Column, p.Path, p.Message)
	}
}
