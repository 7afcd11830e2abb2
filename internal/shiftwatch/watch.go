package shiftwatch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Errors Watch returns, wrapped with the details.
var (
	// ErrNotShifted: the deadline passed before every nameserver shifted.
	ErrNotShifted = errors.New("shiftwatch: not every nameserver shifted")
	// ErrNoNameservers: Options named none.
	ErrNoNameservers = errors.New("shiftwatch: no nameservers to watch")
)

// Defaults of Query and Options.
const (
	DefaultTimeout  = time.Second
	DefaultInterval = 100 * time.Millisecond
	DefaultDeadline = time.Minute
)

// Query is what one poll asks.
type Query struct {
	// Name is the name asked (made fully qualified). Required.
	Name string
	// Types are the record types asked, one query each (default A).
	Types []uint16
	// Timeout bounds each query (default 1 s); a reply later than that is
	// a Timeout.
	Timeout time.Duration
	// Recursive sets RD, for a question to a recursive resolver (default
	// false: watched nameservers are authoritative).
	Recursive bool
	// Source is the address queries leave from (default: the system picks),
	// for a nameserver that answers by the sender's address.
	Source netip.Addr
}

// Ask polls one nameserver (host:port) once: one query per type over UDP,
// again over TCP when a reply comes back truncated.
func Ask(ctx context.Context, server string, q Query) Answer {
	types := q.Types
	if len(types) == 0 {
		types = []uint16{dns.TypeA}
	}
	parts := make([]Answer, 0, len(types))
	for _, qtype := range types {
		a := askOne(ctx, server, q.question(qtype), orDefault(q.Timeout, DefaultTimeout), q.Source)
		if a.Kind != Answered {
			return a
		}
		parts = append(parts, a)
	}
	return merge(parts)
}

func (q Query) question(qtype uint16) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(q.Name), qtype)
	m.RecursionDesired = q.Recursive
	return m
}

func askOne(ctx context.Context, server string, m *dns.Msg, timeout time.Duration, source netip.Addr) Answer {
	var a Answer
	for _, network := range []string{"udp", "tcp"} {
		c := &dns.Client{Net: network, Timeout: timeout}
		if source.IsValid() {
			c.Dialer = &net.Dialer{Timeout: timeout, LocalAddr: localAddr(network, source)}
		}
		qctx, cancel := context.WithTimeout(ctx, timeout)
		r, _, err := c.ExchangeContext(qctx, m, server)
		cancel()
		if err != nil {
			return fromError(err)
		}
		if a = FromMsg(r); !r.Truncated {
			return a
		}
	}
	return a
}

// localAddr is source as network's local address, on a port the system picks.
func localAddr(network string, source netip.Addr) net.Addr {
	if network == "tcp" {
		return net.TCPAddrFromAddrPort(netip.AddrPortFrom(source, 0))
	}
	return net.UDPAddrFromAddrPort(netip.AddrPortFrom(source, 0))
}

// fromError classifies a failed exchange.
func fromError(err error) Answer {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return Answer{Kind: Timeout, Err: fmt.Errorf("no reply in time: %w", err)}
	}
	return Answer{Kind: Failed, Err: err}
}

// Options tune a Watch.
type Options struct {
	// Nameservers are the host:port addresses watched. Required.
	Nameservers []string
	Query
	Rule
	// Interval is how often every nameserver is asked (default 100 ms).
	Interval time.Duration
	// Deadline bounds the whole watch, counted from Start (default 1 min).
	Deadline time.Duration
	// Start is the moment times count from (default: the call to Watch).
	Start time.Time
}

// Watch asks every nameserver at once, once per interval, until each has
// shifted, the deadline passes or ctx ends. The Report holds what was seen
// in every case; the error is ErrNotShifted (naming the nameservers that
// did not shift and their last answers) or ctx's.
func Watch(ctx context.Context, o Options) (Report, error) {
	if len(o.Nameservers) == 0 {
		return Report{}, ErrNoNameservers
	}
	if o.Want == nil {
		return Report{}, errors.New("shiftwatch: Options.Want is required")
	}
	if o.Start.IsZero() {
		o.Start = time.Now()
	}
	deadline := orDefault(o.Deadline, DefaultDeadline)
	ctx, cancel := context.WithDeadline(ctx, o.Start.Add(deadline))
	defer cancel()
	t := NewTracker(o.Rule, o.Nameservers...)
	tick := time.NewTicker(orDefault(o.Interval, DefaultInterval))
	defer tick.Stop()
	for {
		poll(ctx, t, o)
		if t.AllShifted() {
			return t.Report(), nil
		}
		select {
		case <-ctx.Done():
			r := t.Report()
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return r, fmt.Errorf("%w within %s of %s: %s", ErrNotShifted, deadline, o.Name, r.pending())
			}
			return r, fmt.Errorf("shiftwatch: %w", ctx.Err())
		case <-tick.C:
		}
	}
}

// poll asks every nameserver once, all at the same moment, and records the
// outcomes against the moment they were sent.
func poll(ctx context.Context, t *Tracker, o Options) {
	sent := time.Since(o.Start)
	answers := make([]Answer, len(o.Nameservers))
	var wg sync.WaitGroup
	for i, ns := range o.Nameservers {
		wg.Go(func() { answers[i] = Ask(ctx, ns, o.Query) })
	}
	wg.Wait()
	if cutShort(ctx) {
		return // the queries ran into the deadline: no evidence either way
	}
	for i, a := range answers {
		t.Observe(i, sent, a)
	}
}

// cutShort reports whether ctx ended or its deadline passed: a socket's
// deadline can fire a moment before the context's own timer does.
func cutShort(ctx context.Context) bool {
	dl, ok := ctx.Deadline()
	return ctx.Err() != nil || (ok && !time.Now().Before(dl))
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
