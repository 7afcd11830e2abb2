package resolve

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"

	"outlast/internal/clock"
)

// Defaults of Options beyond Policy's.
const (
	DefaultTimeout    = 2 * time.Second
	DefaultMaxNames   = 4096
	DefaultParallel   = 8
	DefaultResolvConf = "/etc/resolv.conf"
)

// Options configure a Resolver. Zero fields take their defaults.
type Options struct {
	// Servers are the upstream recursive resolvers as host:port, asked in
	// order (default: the nameservers of ResolvConf).
	Servers []string
	// ResolvConf is read for Servers when none are given (default /etc/resolv.conf).
	ResolvConf string
	// Timeout bounds one question to one server over one transport (default 2 s).
	Timeout time.Duration
	// MinTTL, MaxTTL, MaxStale, StaleTTL and MaxAddrs: see Policy.
	MinTTL, MaxTTL, MaxStale, StaleTTL time.Duration
	MaxAddrs                           int
	// MaxNames bounds how many names Set accepts (default 4096).
	MaxNames int
	// Parallel bounds the lookups in flight at once (default 8).
	Parallel int
	// Clock tells the time and runs the refresh timer (default the wall clock).
	Clock clock.Clock
	// Jitter returns a number in [0, 1) that spreads refreshes (default math/rand/v2).
	Jitter func() float64
	// Logger receives state changes ("stale resolution"); default discards.
	Logger *slog.Logger
}

// Result is what Lookup knows about one name now.
type Result struct {
	Name  string
	State State    // the name's: Stale if a family is, else Fresh if one has addresses, else Empty if both are, else Unresolved
	A     Decision // IPv4
	AAAA  Decision // IPv6
}

// Addrs returns the addresses to answer for qtype (dns.TypeA or
// dns.TypeAAAA) and their TTL; nil unless that family is Fresh or Stale.
func (r Result) Addrs(qtype uint16) ([]netip.Addr, time.Duration) {
	if qtype == dns.TypeAAAA {
		return r.AAAA.Addrs, r.AAAA.TTL
	}
	return r.A.Addrs, r.A.TTL
}

// Pending reports whether a family of the name has had no outcome yet:
// neither an answer nor a failure since Set.
func (r Result) Pending() bool {
	first := func(d Decision) bool { return d.State == Unresolved && d.Err == "" }
	return first(r.A) || first(r.AAAA)
}

// Err is the last failure of either family, "" when both last succeeded.
func (r Result) Err() string { return cmp.Or(r.A.Err, r.AAAA.Err) }

// entry is the pair of records of one name.
type entry struct{ a, aaaa Record }

// Resolver keeps a set of names resolved. Lookup, Results and Set are safe
// for concurrent use; Run drives the refreshes.
type Resolver struct {
	policy   Policy
	maxNames int
	parallel int
	clock    clock.Clock
	jitter   func() float64
	log      *slog.Logger
	ex       *exchanger

	snap    atomic.Pointer[map[string]entry] // read lock-free by Lookup
	mu      sync.Mutex                       // serialises writers of snap
	wake    chan struct{}                    // Set tells Run the names changed
	changes chan struct{}
	seen    map[string]view // what the last notification reported, owned by Run
}

// ErrNoServers is returned by New when no upstream server is known.
var ErrNoServers = errors.New("resolve: no upstream servers")

// New returns a Resolver; it does no IO beyond reading ResolvConf when
// Options.Servers is empty.
func New(o Options) (*Resolver, error) {
	servers, err := upstreams(o)
	if err != nil {
		return nil, err
	}
	p := Policy{MinTTL: o.MinTTL, MaxTTL: o.MaxTTL, MaxStale: o.MaxStale, StaleTTL: o.StaleTTL, MaxAddrs: o.MaxAddrs}.WithDefaults()
	r := &Resolver{
		policy:   p,
		maxNames: cmp.Or(o.MaxNames, DefaultMaxNames),
		parallel: cmp.Or(o.Parallel, DefaultParallel),
		clock:    cmp.Or[clock.Clock](o.Clock, clock.Real{}),
		jitter:   o.Jitter,
		log:      o.Logger,
		ex:       newExchanger(servers, cmp.Or(o.Timeout, DefaultTimeout), p.MaxAddrs),
		wake:     make(chan struct{}, 1),
		changes:  make(chan struct{}, 1),
		seen:     map[string]view{},
	}
	if r.jitter == nil {
		r.jitter = rand.Float64
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	r.snap.Store(&map[string]entry{})
	return r, nil
}

// upstreams returns the configured servers, checked, or those of resolv.conf.
func upstreams(o Options) ([]string, error) {
	if len(o.Servers) == 0 {
		path := cmp.Or(o.ResolvConf, DefaultResolvConf)
		conf, err := dns.ClientConfigFromFile(path)
		if err != nil {
			return nil, fmt.Errorf("resolve: reading upstream servers from %s: %w (list servers explicitly)", path, err)
		}
		for _, s := range conf.Servers {
			o.Servers = append(o.Servers, net.JoinHostPort(s, conf.Port))
		}
	}
	if len(o.Servers) == 0 {
		return nil, fmt.Errorf("%w: none configured and none in resolv.conf", ErrNoServers)
	}
	for _, s := range o.Servers {
		if _, err := netip.ParseAddrPort(s); err != nil {
			return nil, fmt.Errorf("resolve: upstream server %q: want an IP address and port, like 192.0.2.53:53 or [2001:db8::53]:53", s)
		}
	}
	return slices.Clone(o.Servers), nil
}

// Servers returns the upstream servers in the order they are asked.
func (r *Resolver) Servers() []string { return slices.Clone(r.ex.servers) }

// Policy returns the bounds in force, defaults filled in.
func (r *Resolver) Policy() Policy { return r.policy }

// Changes receives a value whenever a name's addresses or state changed, or
// it had its first outcome (see Result.Pending), since the last value was
// taken (coalesced: one pending value at most). The node rebuilds its
// answers then. A refresh that returns the same addresses sends nothing.
func (r *Resolver) Changes() <-chan struct{} { return r.changes }

// Set makes names the set of names kept fresh: new names are looked up at
// once (by Run), names no longer listed are forgotten. Names are checked
// with Canonical; on any error nothing changes.
func (r *Resolver) Set(names []string) error {
	if len(names) > r.maxNames {
		return fmt.Errorf("resolve: %d names to watch, more than the limit of %d", len(names), r.maxNames)
	}
	want := make(map[string]bool, len(names))
	var errs []error
	for _, n := range names {
		c, err := Canonical(n)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		want[c] = true
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	r.mu.Lock()
	old := *r.snap.Load()
	next := make(map[string]entry, len(want))
	for n := range want {
		next[n] = old[n] // a new name's zero entry is due now
	}
	r.snap.Store(&next)
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
	return nil
}

// Lookup returns what is known about name now, without blocking. A name
// not given to Set is Unresolved with an error saying so.
func (r *Resolver) Lookup(name string) Result {
	snap := *r.snap.Load()
	e, ok := snap[name]
	if !ok {
		c, err := Canonical(name)
		if err != nil {
			return unresolved(name, err.Error())
		}
		if e, ok = snap[c]; !ok {
			return unresolved(c, "not watched: the resolver was not asked to keep this name fresh")
		}
		name = c
	}
	return r.result(name, e, r.clock.Now())
}

// Results returns every watched name's Result, sorted by name, for the API,
// metrics and the status page.
func (r *Resolver) Results() []Result {
	snap := *r.snap.Load()
	now := r.clock.Now()
	out := make([]Result, 0, len(snap))
	for n, e := range snap {
		out = append(out, r.result(n, e, now))
	}
	slices.SortFunc(out, func(a, b Result) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

func unresolved(name, err string) Result {
	d := Decision{State: Unresolved, Err: err}
	return Result{Name: name, State: Unresolved, A: d, AAAA: d}
}

func (r *Resolver) result(name string, e entry, now time.Time) Result {
	res := Result{Name: name, A: e.a.Decide(r.policy, now), AAAA: e.aaaa.Decide(r.policy, now)}
	res.State = nameState(res.A.State, res.AAAA.State)
	return res
}

// nameState combines the families' states (see Result.State).
func nameState(a, aaaa State) State {
	switch {
	case a == Stale || aaaa == Stale:
		return Stale
	case a == Fresh || aaaa == Fresh:
		return Fresh
	case a == Empty && aaaa == Empty:
		return Empty
	}
	return Unresolved
}
