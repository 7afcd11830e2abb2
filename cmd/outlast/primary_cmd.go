package main

import (
	"cmp"
	"fmt"
	"io"
	"strings"
	"time"

	"outlast/internal/wire"
)

const primaryUsage = `usage:
  outlast primary status
  outlast primary set ENDPOINT --reason TEXT [--break-glass]
  outlast primary gate NAME on|off --reason TEXT
`

// primaryCmd: outlast primary status|set|gate, for policy primary services.
func primaryCmd(args []string, stdout, stderr io.Writer) int {
	verb, rest := splitFirst(args)
	switch verb {
	case "status":
		return primaryStatusCmd(rest, stdout, stderr)
	case "set":
		return primarySetCmd(rest, stdout, stderr)
	case "gate":
		return primaryGateCmd(rest, stdout, stderr)
	}
	fmt.Fprint(stderr, primaryUsage)
	return exitUsage
}

func primaryStatusCmd(args []string, stdout, stderr io.Writer) int {
	o := newOpsFlags("primary status", stderr)
	if code, ok := parseFlags(o.fs, args, 0); !ok {
		return code
	}
	ctx, cancel := opsContext()
	defer cancel()
	ps, err := o.client().Primaries(ctx)
	return o.finish(stdout, stderr, ps, err, func(w io.Writer) {
		fmt.Fprintln(w, "SERVICE\tMODE\tPRIMARY\tEPOCH\tPENDING\tFENCING\tHELD\tGATES")
		for _, p := range ps {
			fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", strings.TrimSuffix(p.Service, "."), p.Mode,
				cmp.Or(p.Primary, "none"), p.Epoch, pendingText(p), dash(strings.Join(p.Fencing, ",")), dash(p.Held), gatesText(p.Gates))
		}
		for _, p := range ps {
			for _, h := range p.Hooks {
				outcome := fmt.Sprintf("ok in %s", h.Took.Round(time.Millisecond))
				if !h.OK {
					outcome = "FAILED: " + h.Error
				}
				fmt.Fprintf(w, "\n%s %s of %s at epoch %d on %s: %s", strings.TrimSuffix(p.Service, "."), h.Hook, h.Endpoint, h.Epoch, h.Node, outcome)
			}
		}
		fmt.Fprintln(w)
	})
}

func pendingText(p wire.Primary) string {
	if p.Pending == nil {
		return "-"
	}
	return fmt.Sprintf("%s at epoch %d (by %s)", p.Pending.Candidate, p.Pending.Epoch, p.Pending.Who)
}

func gatesText(gates []wire.GateStatus) string {
	var parts []string
	for _, g := range gates {
		state := "on"
		if !g.On {
			state = "OFF"
		}
		parts = append(parts, g.Name+"="+state)
	}
	return dash(strings.Join(parts, " "))
}

func dash(s string) string { return cmp.Or(s, "-") }

func primarySetCmd(args []string, stdout, stderr io.Writer) int {
	o := newOpsFlags("primary set", stderr)
	reason := o.fs.String("reason", "", "why (required; recorded with your name)")
	glass := o.fs.Bool("break-glass", false, "pass over the service's safety rules and gates (recorded as such)")
	endpoint, rest := splitFirst(args)
	if o.fs.Parse(rest) != nil || o.fs.NArg() > 0 || endpoint == "" || *reason == "" {
		fmt.Fprint(stderr, primaryUsage)
		return exitUsage
	}
	ctx, cancel := opsContext()
	defer cancel()
	p, err := o.client().SetPrimary(ctx, wire.PrimaryRequest{Endpoint: endpoint, Reason: *reason, BreakGlass: *glass})
	return o.finish(stdout, stderr, p, err, func(w io.Writer) {
		fmt.Fprintf(w, "%s: promoting %s (%s); the name moves once its on_promote succeeded: see outlast primary status\n",
			strings.TrimSuffix(p.Service, "."), endpoint, pendingText(*p))
	})
}

func primaryGateCmd(args []string, stdout, stderr io.Writer) int {
	o := newOpsFlags("primary gate", stderr)
	reason := o.fs.String("reason", "", "why (required; recorded with your name)")
	name, rest := splitFirst(args)
	onOff, rest := splitFirst(rest)
	if o.fs.Parse(rest) != nil || o.fs.NArg() > 0 || name == "" || (onOff != "on" && onOff != "off") || *reason == "" {
		fmt.Fprint(stderr, primaryUsage)
		return exitUsage
	}
	ctx, cancel := opsContext()
	defer cancel()
	g, err := o.client().SetGate(ctx, name, wire.GateRequest{On: onOff == "on", Reason: *reason})
	return o.finish(stdout, stderr, g, err, func(w io.Writer) {
		fmt.Fprintf(w, "gate %s %s by %s (%s)\n", g.Name, onOff, g.Who, g.Why)
	})
}
