package drill

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/miekg/dns"

	"outlast/internal/model"
	"outlast/internal/shiftwatch"
	"outlast/internal/state"
	"outlast/internal/wire"
)

// Options tune a drill.
type Options struct {
	// Endpoint is the endpoint forced down. Required.
	Endpoint string
	// Nameservers are the host:port addresses watched; every one must
	// shift. Required.
	Nameservers []string
	// Timeout bounds each shift, away and back (default 1 min).
	Timeout time.Duration
	// Interval is how often every nameserver is asked (default 50 ms): the
	// resolution of the figures.
	Interval time.Duration
	// QueryTimeout bounds each DNS query (default 1 s).
	QueryTimeout time.Duration
	// Progress receives a line at each step; may be nil.
	Progress func(line string)
}

// Result is a drill's measurements. Away counts from the moment the
// override was sent, Back from the moment its removal was sent; see
// shiftwatch for what each time means.
type Result struct {
	Plan
	Away, Back shiftwatch.Report
}

// writeTimeout bounds each API write; the undo gets it even after ctx ended.
const writeTimeout = 15 * time.Second

// Run drills opts.Endpoint through the node c talks to. c needs an admin
// token. The override is removed whatever happens after it was set, and it
// expires on its own after both waits, so a drill cut short cannot leave
// the endpoint forced down.
func Run(ctx context.Context, c *wire.Client, o Options) (Result, error) {
	if len(o.Nameservers) == 0 {
		return Result{}, errors.New("drill: no nameservers to watch")
	}
	o.Timeout = orDefault(o.Timeout, time.Minute)
	services, err := c.Services(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("drill: reading the agreed health: %w", err)
	}
	plan, err := Check(services, o.Endpoint)
	if err != nil {
		return Result{}, err
	}
	res := Result{Plan: plan}
	o.say("forcing %s (%s, %s) down on the cluster", plan.Endpoint, strings.TrimSuffix(plan.Service, "."), addrList(plan))
	start := time.Now()
	wctx, cancel := context.WithTimeout(ctx, writeTimeout)
	_, err = c.SetOverride(wctx, wire.OverrideRequest{Endpoint: plan.Endpoint, Kind: state.ForceDown,
		Reason: "outlast drill", For: (2*o.Timeout + time.Minute).String()})
	cancel()
	if err != nil {
		return res, fmt.Errorf("drill: forcing %s down: %w", plan.Endpoint, err)
	}
	res.Away, err = shiftwatch.Watch(ctx, o.watch(plan, shiftwatch.Without(plan.Addrs...), start))
	undoAt := time.Now()
	if undoErr := undo(ctx, c, plan.Endpoint); undoErr != nil || err != nil {
		return res, errors.Join(err, undoErr)
	}
	o.say("every nameserver stopped answering %s after %.2f s; override removed", plan.Endpoint, res.Away.All.Seconds())
	res.Back, err = shiftwatch.Watch(ctx, o.watch(plan, shiftwatch.With(plan.Addrs...), undoAt))
	return res, err
}

// undo removes the drill's override, even when ctx has ended.
func undo(ctx context.Context, c *wire.Client, endpoint string) error {
	uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
	defer cancel()
	if _, err := c.ClearOverride(uctx, endpoint, "outlast drill done"); err != nil {
		return fmt.Errorf("drill: removing the override on %s (it expires on its own; or: outlast undrain %s --reason ...): %w",
			endpoint, endpoint, err)
	}
	return nil
}

func (o Options) watch(p Plan, want shiftwatch.Predicate, start time.Time) shiftwatch.Options {
	qtype := dns.TypeA
	if p.Type == model.TypeAAAA {
		qtype = dns.TypeAAAA
	}
	return shiftwatch.Options{
		Nameservers: o.Nameservers,
		Query:       shiftwatch.Query{Name: p.Service, Types: []uint16{qtype}, Timeout: o.QueryTimeout},
		Rule:        shiftwatch.Rule{Want: want},
		Interval:    orDefault(o.Interval, 50*time.Millisecond),
		Deadline:    o.Timeout,
		Start:       start,
	}
}

func (o Options) say(format string, args ...any) {
	if o.Progress != nil {
		o.Progress(fmt.Sprintf(format, args...))
	}
}

func addrList(p Plan) string {
	s := make([]string, len(p.Addrs))
	for i, a := range p.Addrs {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
